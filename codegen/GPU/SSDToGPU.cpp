//===- SSDToGPU.cpp - the SSD recurrence as a GPU kernel ------------------===//
//
// ssm-gpu-lower-ops for ssm.ssd, in its sequential (recurrent) form on the
// CUDA cores, with f32 arithmetic: `row_blocks` blocks of `warps` warps per
// (batch, head), each owning p / row_blocks rows of the (p, n) state in
// registers (more blocks for few heads, and fewer rows, so fewer dependent
// warp sums, per step): warp w holds the block's rows w * R ... w * R +
// R - 1, lane j holds state columns j * V ... j * V + V - 1 (V = n / 32),
// so that B and C of a step are read as V consecutive floats per lane and
// each row of the state is written back as whole lines.
// Per chunk of `time_chunk` steps, x, z, B, C, dt (processed: bias,
// softplus, clamp) and its decay are staged in shared memory with coalesced
// loads; per step and row, y_p = sum_n C_n h[p, n] is a warp sum; the D skip
// and the silu gate are applied by the lane that owns the row's sum; the
// chunk's outputs leave shared memory as whole rows of p. A change of
// seq_idx resets the state before the step.
//
// This is the general form (f32 inputs, shapes the tensor-core form does not
// take); bf16 inputs take the chunked dual form (SSDChunkedToGPU.cpp).
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace ssmc::gpu_emit {

namespace {

constexpr int64_t kWarp = 32;

} // namespace

LogicalResult lowerSSD(SSDOp op, PatternRewriter &rewriter,
                       DictionaryAttr tileAttr, int64_t &kernels) {
  if (auto form = tileAttr.getAs<StringAttr>("form")) {
    if (form.getValue() == "chunked")
      return lowerSSDChunked(op, rewriter, tileAttr, kernels);
    if (form.getValue() != "recurrent")
      return op.emitOpError() << "unknown SSD form '" << form.getValue()
                              << "' in " << kGPUTileAttrName
                              << " (expected chunked or recurrent)";
  }
  Location loc = op.getLoc();
  auto xType = cast<ShapedType>(op.getX().getType());
  auto bType = cast<ShapedType>(op.getB().getType());
  if (xType.isDynamicDim(3) || bType.isDynamicDim(3) ||
      bType.getDimSize(3) % kWarp != 0 || bType.getDimSize(3) > 8 * kWarp ||
      xType.getDimSize(3) > 256)
    return op.emitOpError()
           << "the GPU target keeps the (p, n) state in registers and needs "
              "static sizes with n a multiple of 32 (at most 256) and p at "
              "most 256; x has shape "
           << xType << " and B " << bType;
  int64_t p = xType.getDimSize(3), n = bType.getDimSize(3);
  int64_t warps = 8, lc = 16, rowBlocks = 1;
  if (auto v = tileAttr.getAs<IntegerAttr>("warps"))
    warps = v.getInt();
  if (auto v = tileAttr.getAs<IntegerAttr>("time_chunk"))
    lc = v.getInt();
  if (auto v = tileAttr.getAs<IntegerAttr>("row_blocks"))
    rowBlocks = v.getInt();
  if (warps < 1 || warps > 32 || lc < 1 || lc > 256 || rowBlocks < 1 ||
      p % rowBlocks != 0)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " "
                            << tileAttr << " for p = " << p;
  // Each block owns pb rows of the state (row_blocks blocks per head).
  int64_t pb = p / rowBlocks;
  int64_t rows = (pb + warps - 1) / warps; // rows per warp
  int64_t perLane = n / kWarp;

  Emitter e(rewriter, loc);
  Value x = toDenseBuffer(rewriter, loc, op.getX());
  Value dtIn = toDenseBuffer(rewriter, loc, op.getDt());
  Value a = toDenseBuffer(rewriter, loc, op.getA());
  Value bMat = toDenseBuffer(rewriter, loc, op.getB());
  Value cMat = toDenseBuffer(rewriter, loc, op.getC());
  Value dBuf = toDenseBuffer(rewriter, loc, op.getD());
  Value z = toDenseBuffer(rewriter, loc, op.getZ());
  Value bias = toDenseBuffer(rewriter, loc, op.getDtBias());
  Value h0 = toDenseBuffer(rewriter, loc, op.getInitialStates());
  Value seqIdx = toDenseBuffer(rewriter, loc, op.getSeqIdx());
  bool softplus = op.getDtSoftplus();
  bool unscaled = op.getUnscaledInput();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  bool dPerChannel =
      op.getD() && cast<ShapedType>(op.getD().getType()).getRank() == 2;
  auto outType = cast<RankedTensorType>(op.getOut().getType());

  Value batch = e.dim(x, 0), len = e.dim(x, 1), heads = e.dim(x, 2);
  Value groups = e.dim(bMat, 2);
  Value perGroup = e.idiv(heads, groups);
  Value one = e.idx(1), zero = e.idx(0);

  e.beginStream();
  Value out = e.gpuAlloc(outType, {batch, len, heads, e.idx(p)});
  Value fin;
  RankedTensorType finType;
  if (op.getFinalStates()) {
    finType = cast<RankedTensorType>(op.getFinalStates().getType());
    fin = e.gpuAlloc(finType, {batch, heads, e.idx(p), e.idx(n)});
  }

  auto wg = gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto tile = [&](int64_t r, int64_t c) {
    return MemRefType::get({r, c}, e.f32, MemRefLayoutAttrInterface(), wg);
  };
  // x, z, y: [lc][pb] (the block's rows); B, C: [lc][n]; dt, decay, keep
  // (0 where the state resets): [3][lc].
  SmallVector<Type> attributions{tile(lc, pb), tile(lc, n), tile(lc, n),
                                 tile(lc, pb), tile(3, lc)};
  if (z)
    attributions.push_back(tile(lc, pb));
  Value threads = e.idx(warps * kWarp);
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, e.imul(heads, e.idx(rowBlocks)), batch, one, threads, one,
      one,
      /*dynamicSharedMemorySize=*/nullptr, e.tokenType(), ValueRange{e.token},
      attributions);
  e.token = launch.getAsyncToken();
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    ArrayRef<BlockArgument> smem = launch.getWorkgroupAttributions();
    Value xS = smem[0], bS = smem[1], cS = smem[2], yS = smem[3],
          sS = smem[4];
    Value zS = z ? Value(smem[5]) : Value();
    Value hh = e.idiv(launch.getBlockIds().x, e.idx(rowBlocks)),
          rowBase = e.imul(e.irem(launch.getBlockIds().x, e.idx(rowBlocks)),
                           e.idx(pb)),
          bi = launch.getBlockIds().y, tid = launch.getThreadIds().x;
    Value warp = e.idiv(tid, e.idx(kWarp)), lane = e.irem(tid, e.idx(kWarp));
    Value gi = e.idiv(hh, perGroup);
    Value aH = e.mul(e.loadF32(a, {hh}), e.f(kLog2E));
    Value biasH = bias ? e.loadF32(bias, {hh}) : Value();
    Value dHead = dBuf && !dPerChannel ? e.loadF32(dBuf, {hh}) : Value();
    Value pV = e.idx(pb), lcV = e.idx(lc);

    // Row r of this warp within the block's rows, clamped to the last one
    // (rows past them compute on a copy and store nothing); rowAt is the
    // row of the head.
    SmallVector<Value> rowIdx, rowOk, rowAt;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = e.iadd(e.imul(warp, e.idx(rows)), e.idx(r));
      rowOk.push_back(e.icmp(arith::CmpIPredicate::ult, row, pV));
      rowIdx.push_back(e.select(rowOk.back(), row, e.idx(pb - 1)));
      rowAt.push_back(e.iadd(rowBase, rowIdx.back()));
    }
    SmallVector<Value> colIdx;
    for (int64_t v = 0; v < perLane; ++v)
      colIdx.push_back(e.iadd(e.imul(lane, e.idx(perLane)), e.idx(v)));

    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < perLane; ++v)
        init.push_back(h0 ? e.loadF32(h0, {bi, hh, rowAt[r], colIdx[v]})
                          : e.f(0.0));

    SmallVector<Value> last = e.loop(
        zero, len, lcV, init, [&](Value t0, ValueRange carried) {
          Value tl = e.imin(lcV, e.isub(len, t0));
          // Stage the chunk: rows of p (x, z) and of n (B, C) are
          // contiguous in memory; thread k of the block takes elements k,
          // k + threads, ...
          auto stageRows = [&](Value src, Value dst, int64_t width,
                               bool perHead, Value from) {
            Value count = e.idx(lc * width);
            Value iters =
                e.idiv(e.iadd(count, e.isub(threads, one)), threads);
            e.forEach(iters, [&](Value k) {
              Value el = e.iadd(e.imul(k, threads), tid);
              e.ifThen(e.icmp(arith::CmpIPredicate::ult, el, count), [&] {
                Value t = e.idiv(el, e.idx(width));
                Value col = e.irem(el, e.idx(width));
                Value ok = e.icmp(arith::CmpIPredicate::ult, t, tl);
                Value at = e.iadd(t0, t);
                Value c = e.iadd(from, col);
                Value v = perHead
                              ? e.guardedLoadF32(ok, src, {bi, at, hh, c})
                              : e.guardedLoadF32(ok, src, {bi, at, gi, c});
                e.store(v, dst, {t, col});
              });
            });
          };
          stageRows(x, xS, pb, true, rowBase);
          if (zS)
            stageRows(z, zS, pb, true, rowBase);
          stageRows(bMat, bS, n, false, zero);
          stageRows(cMat, cS, n, false, zero);
          // dt, its decay and the reset flag of each step.
          e.ifThen(e.icmp(arith::CmpIPredicate::ult, tid, lcV), [&] {
            Value ok = e.icmp(arith::CmpIPredicate::ult, tid, tl);
            Value at = e.iadd(t0, tid);
            Value dt = e.processDt(e.guardedLoadF32(ok, dtIn, {bi, at, hh}),
                                   biasH, softplus, limit);
            Value keep = e.f(1.0);
            if (seqIdx) {
              // A step whose seq_idx differs from the previous step's
              // starts from a zero state.
              Value prevOk = e.andi(ok, e.icmp(arith::CmpIPredicate::ugt, at,
                                               zero));
              auto ifOp = scf::IfOp::create(rewriter, loc,
                                            TypeRange{e.f32}, prevOk,
                                            /*withElse=*/true);
              {
                OpBuilder::InsertionGuard g(rewriter);
                rewriter.setInsertionPointToStart(ifOp.thenBlock());
                Value cur = e.load(seqIdx, {bi, at});
                Value prev = e.load(seqIdx, {bi, e.isub(at, one)});
                Value same = arith::CmpIOp::create(
                    rewriter, loc, arith::CmpIPredicate::eq, cur, prev);
                scf::YieldOp::create(rewriter, loc,
                                     e.select(same, e.f(1.0), e.f(0.0)));
                rewriter.setInsertionPointToStart(ifOp.elseBlock());
                scf::YieldOp::create(rewriter, loc, e.f(1.0));
              }
              keep = ifOp.getResult(0);
            }
            e.store(dt, sS, {zero, tid});
            e.store(e.mul(keep, e.exp2(e.mul(dt, aH))), sS, {one, tid});
          });
          gpu::BarrierOp::create(rewriter, loc);

          // The steps.
          SmallVector<Value> next = e.loop(
              zero, tl, one, carried, [&](Value t, ValueRange h) {
                Value dt = e.load(sS, {zero, t});
                Value decay = e.load(sS, {one, t});
                SmallVector<Value> bv, cv;
                for (int64_t v = 0; v < perLane; ++v) {
                  bv.push_back(e.load(bS, {t, colIdx[v]}));
                  cv.push_back(e.load(cS, {t, colIdx[v]}));
                }
                SmallVector<Value> hn;
                for (int64_t r = 0; r < rows; ++r) {
                  Value xr = e.load(xS, {t, rowIdx[r]});
                  Value coef = unscaled ? xr : e.mul(dt, xr);
                  Value partial = e.f(0.0);
                  for (int64_t v = 0; v < perLane; ++v) {
                    Value hv = e.fma(decay, h[r * perLane + v],
                                     e.mul(coef, bv[v]));
                    hn.push_back(hv);
                    partial = e.fma(cv[v], hv, partial);
                  }
                  Value sum = e.warpSum(partial, kWarp);
                  // Lane r % 32 finishes row r.
                  e.ifThen(e.andi(rowOk[r],
                                  e.icmp(arith::CmpIPredicate::eq, lane,
                                         e.idx(r % kWarp))),
                           [&] {
                             Value y = sum;
                             if (dBuf) {
                               Value d = dPerChannel
                                             ? e.loadF32(dBuf, {hh, rowAt[r]})
                                             : dHead;
                               y = e.fma(d, xr, y);
                             }
                             if (zS)
                               y = e.mul(y, e.silu(e.load(zS, {t, rowIdx[r]})));
                             e.store(y, yS, {t, rowIdx[r]});
                           });
                }
                return hn;
              });
          gpu::BarrierOp::create(rewriter, loc);
          // The chunk's outputs: the block's part of each row of p.
          Value count = e.idx(lc * pb);
          Value iters = e.idiv(e.iadd(count, e.isub(threads, one)), threads);
          e.forEach(iters, [&](Value k) {
            Value el = e.iadd(e.imul(k, threads), tid);
            Value t = e.idiv(el, pV), col = e.irem(el, pV);
            e.ifThen(e.andi(e.icmp(arith::CmpIPredicate::ult, el, count),
                            e.icmp(arith::CmpIPredicate::ult, t, tl)),
                     [&] {
                       e.storeAs(e.load(yS, {t, col}), out,
                                 {bi, e.iadd(t0, t), hh, e.iadd(rowBase, col)},
                                 outType.getElementType());
                     });
          });
          gpu::BarrierOp::create(rewriter, loc);
          return next;
        });
    if (fin) {
      for (int64_t r = 0; r < rows; ++r)
        e.ifThen(rowOk[r], [&] {
          for (int64_t v = 0; v < perLane; ++v)
            e.storeAs(last[r * perLane + v], fin,
                      {bi, hh, rowAt[r], colIdx[v]},
                      finType.getElementType());
        });
    }
    gpu::TerminatorOp::create(rewriter, loc);
  }
  e.endStream();
  ++kernels;

  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(rewriter, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  SmallVector<Value> results{toTensor(outType, out)};
  if (fin)
    results.push_back(toTensor(finType, fin));
  rewriter.replaceOp(op, results);
  return success();
}

} // namespace ssmc::gpu_emit
