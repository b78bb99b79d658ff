//===- StateUpdateToGPU.cpp - the decode step as a GPU kernel -------------===//
//
// ssm-gpu-lower-ops for ssm.state_update: one launch that reads the cached
// state once and writes the new state once, coalesced (the step is bound by
// those bytes).
//  - Mamba-2 layout, state (b, h, p, n): a warp owns `rows` consecutive
//    head channels p of one (batch, head); its lanes run along n (lane j,
//    j + 32, ...), so each row of the state is read and written as whole
//    128-byte lines; B and C of the step are loaded once per warp, dt and
//    its decay once per head; y_p = sum_n C h is a warp reduction
//    (butterfly shuffles). B and C are read in place (slices of the conv's
//    output), element by element.
//  - Mamba-1 layout, state (b, d, n): with n a static multiple of 4 (at
//    most 128), n / 4 consecutive lanes own one (batch, channel), four
//    states each as one 16-byte vector, so that a warp reads and writes
//    whole lines of consecutive channels' states; y is a reduction over
//    those lanes. B and C (slices of x_proj's output) are read in place.
//    Otherwise a thread owns one (batch, channel) and its n states.
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace ssmc::gpu_emit {

namespace {

/// Lanes of a warp.
constexpr int64_t kWarp = 32;

} // namespace

LogicalResult lowerStateUpdate(StateUpdateOp op, PatternRewriter &rewriter,
                               DictionaryAttr tileAttr, int64_t &kernels) {
  Location loc = op.getLoc();
  Emitter e(rewriter, loc);
  auto stateType = cast<RankedTensorType>(op.getState().getType());
  bool mamba2 = stateType.getRank() == 4;
  int64_t rows = 4;
  if (auto v = tileAttr.getAs<IntegerAttr>("rows"))
    rows = v.getInt();
  int64_t warps = 4;
  if (auto v = tileAttr.getAs<IntegerAttr>("warps"))
    warps = v.getInt();
  if (rows < 1 || warps < 1 || warps * kWarp > 1024)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " "
                            << tileAttr;

  Value state = toDenseBuffer(rewriter, loc, op.getState());
  Value x = toDenseBuffer(rewriter, loc, op.getX());
  Value dtIn = toDenseBuffer(rewriter, loc, op.getDt());
  Value a = toDenseBuffer(rewriter, loc, op.getA());
  // B and C are loaded element by element (every warp of a group reads the
  // same few values): slices of a projection's or the conv's output are
  // read in place.
  Value bMat = toStridedBuffer(rewriter, loc, op.getB());
  Value cMat = toStridedBuffer(rewriter, loc, op.getC());
  Value dBuf = toDenseBuffer(rewriter, loc, op.getD());
  Value z = toDenseBuffer(rewriter, loc, op.getZ());
  Value bias = toDenseBuffer(rewriter, loc, op.getDtBias());
  bool softplus = op.getDtSoftplus();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  auto yType = cast<RankedTensorType>(op.getY().getType());
  auto newType = cast<RankedTensorType>(op.getNewState().getType());
  Type yElt = yType.getElementType(), stateElt = newType.getElementType();

  Value one = e.idx(1), zero = e.idx(0);
  SmallVector<Value> stateSizes;
  for (int64_t i = 0; i < stateType.getRank(); ++i)
    stateSizes.push_back(e.dim(state, i));
  SmallVector<Value> xSizes;
  for (int64_t i = 0; i < yType.getRank(); ++i)
    xSizes.push_back(e.dim(x, i));
  e.beginStream();
  Value y = e.gpuAlloc(yType, xSizes);
  Value next = e.gpuAlloc(newType, stateSizes);

  Value groups = e.dim(bMat, 1);
  // Mamba-1 layout: the per-channel inputs of (bi, c), and its output
  // y = sum + D x, gated by silu(z).
  struct Channel {
    Value gi, xv, dtx, dt2;
  };
  auto channelInputs = [&](Value bi, Value c, Value perGroup) {
    Value dt = e.processDt(e.loadF32(dtIn, {bi, c}),
                           bias ? e.loadF32(bias, {c}) : Value(), softplus,
                           limit);
    Value xv = e.loadF32(x, {bi, c});
    return Channel{e.idiv(c, perGroup), xv, e.mul(dt, xv),
                   e.mul(dt, e.f(kLog2E))};
  };
  auto storeChannel = [&](Value sum, Value xv, Value bi, Value c) {
    if (dBuf)
      sum = e.fma(e.loadF32(dBuf, {c}), xv, sum);
    if (z)
      sum = e.mul(sum, e.silu(e.loadF32(z, {bi, c})));
    e.storeAs(sum, y, {bi, c}, yElt);
  };
  if (mamba2) {
    Value batch = stateSizes[0], heads = stateSizes[1], p = stateSizes[2],
          n = stateSizes[3];
    Value perGroup = e.idiv(heads, groups);
    Value rowsPerBlock = e.idx(rows * warps);
    Value blocksX = e.idiv(e.iadd(p, e.isub(rowsPerBlock, one)), rowsPerBlock);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, blocksX, heads, batch, e.idx(warps * kWarp), one, one,
        /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
        ValueRange{e.token});
    e.token = launch.getAsyncToken();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value bx = launch.getBlockIds().x, hh = launch.getBlockIds().y,
          bi = launch.getBlockIds().z, tid = launch.getThreadIds().x;
    Value warp = e.idiv(tid, e.idx(kWarp)), lane = e.irem(tid, e.idx(kWarp));
    Value gi = e.idiv(hh, perGroup);
    Value dt = e.processDt(e.loadF32(dtIn, {bi, hh}),
                         bias ? e.loadF32(bias, {hh}) : Value(), softplus,
                         limit);
    Value decay = e.exp2(e.mul(e.mul(dt, e.loadF32(a, {hh})), e.f(kLog2E)));
    bool dPerChannel =
        dBuf && cast<MemRefType>(dBuf.getType()).getRank() == 2;
    Value dHead = dBuf && !dPerChannel ? e.loadF32(dBuf, {hh}) : Value();
    Value p0 = e.iadd(e.imul(bx, rowsPerBlock), e.imul(warp, e.idx(rows)));
    // The row's output from the warp's sum: the D skip and the gate.
    auto finishRow = [&](Value sum, Value xv, Value pi) {
      Value out = sum;
      if (dBuf) {
        Value d = dPerChannel ? e.loadF32(dBuf, {hh, pi}) : dHead;
        out = e.fma(d, xv, out);
      }
      if (z)
        out = e.mul(out, e.silu(e.loadF32(z, {bi, hh, pi})));
      e.storeAs(out, y, {bi, hh, pi}, yElt);
    };
    auto nStatic = stateType.isDynamicDim(3)
                       ? std::optional<int64_t>()
                       : std::optional<int64_t>(stateType.getDimSize(3));
    int64_t perLane = nStatic ? *nStatic / kWarp : 0;
    if (nStatic && *nStatic % kWarp == 0 && (perLane == 1 || perLane == 2 ||
                                            perLane == 4)) {
      // Lane `lane` owns the perLane consecutive n indices from lane *
      // perLane: rows of the state move as one vector per lane (whole lines
      // per warp), all rows' loads issued before their arithmetic.
      Value col = e.imul(lane, e.idx(perLane));
      SmallVector<Value> bv, cv;
      for (int64_t v = 0; v < perLane; ++v) {
        Value nv = e.iaddConst(col, v);
        bv.push_back(e.loadF32(bMat, {bi, gi, nv}));
        cv.push_back(e.loadF32(cMat, {bi, gi, nv}));
      }
      SmallVector<Value> pis, oks, xs;
      SmallVector<SmallVector<Value>> hs;
      for (int64_t r = 0; r < rows; ++r) {
        Value pi = e.iadd(p0, e.idx(r));
        Value ok = e.icmp(arith::CmpIPredicate::ult, pi, p);
        Value pc = e.select(ok, pi, e.isub(p, one));
        pis.push_back(pi);
        oks.push_back(ok);
        xs.push_back(e.loadF32(x, {bi, hh, pc}));
        hs.push_back(e.loadVecF32(state, {bi, hh, pc, col}, perLane));
      }
      for (int64_t r = 0; r < rows; ++r) {
        Value dtx = e.mul(dt, xs[r]);
        SmallVector<Value> hn;
        Value partial = e.f(0.0);
        for (int64_t v = 0; v < perLane; ++v) {
          hn.push_back(e.fma(decay, hs[r][v], e.mul(dtx, bv[v])));
          partial = e.fma(cv[v], hn.back(), partial);
        }
        e.ifThen(oks[r], [&] {
          e.storeVecAs(hn, next, {bi, hh, pis[r], col}, stateElt);
        });
        Value sum = e.warpSum(partial, kWarp);
        e.ifThen(e.andi(oks[r], e.icmp(arith::CmpIPredicate::eq, lane, zero)),
                 [&] { finishRow(sum, xs[r], pis[r]); });
      }
      gpu::TerminatorOp::create(rewriter, loc);
    } else {
    // Lane `lane` owns n indices lane, lane + 32, ...: `slots` of them.
    Value slots = e.idiv(e.iadd(n, e.idx(kWarp - 1)), e.idx(kWarp));
    e.forEach(e.idx(rows), [&](Value r) {
      Value pi = e.iadd(p0, r);
      Value rowOk = e.icmp(arith::CmpIPredicate::ult, pi, p);
      // Rows past p still take part in the shuffles (with zeros).
      Value pc = e.select(rowOk, pi, e.isub(p, one));
      Value xv = e.loadF32(x, {bi, hh, pc});
      Value dtx = e.mul(dt, xv);
      Value partial = e.loop(zero, slots, one, ValueRange{e.f(0.0)},
                             [&](Value k, ValueRange acc) {
                               Value j = e.iadd(lane, e.imul(k, e.idx(kWarp)));
                               Value ok =
                                   e.icmp(arith::CmpIPredicate::ult, j, n);
                               Value h = e.guardedLoadF32(
                                   ok, state, {bi, hh, pc, j});
                               Value bj =
                                   e.guardedLoadF32(ok, bMat, {bi, gi, j});
                               Value cj =
                                   e.guardedLoadF32(ok, cMat, {bi, gi, j});
                               Value hn = e.fma(decay, h, e.mul(dtx, bj));
                               e.ifThen(e.andi(ok, rowOk), [&] {
                                 e.storeAs(hn, next, {bi, hh, pi, j},
                                           stateElt);
                               });
                               return SmallVector<Value>{e.fma(cj, hn, acc[0])};
                             })[0];
      Value sum = e.warpSum(partial, kWarp);
      e.ifThen(e.andi(rowOk, e.icmp(arith::CmpIPredicate::eq, lane, zero)),
               [&] { finishRow(sum, xv, pi); });
    });
    gpu::TerminatorOp::create(rewriter, loc);
    }
  } else if (int64_t nStatic = stateType.getDimSize(2);
             !stateType.isDynamicDim(2) && nStatic % 4 == 0 &&
             llvm::isPowerOf2_64(nStatic / 4) && nStatic / 4 <= kWarp) {
    // `lanes` lanes per (batch, channel), four states each.
    int64_t lanes = nStatic / 4, threads = warps * kWarp;
    int64_t perBlock = threads / lanes;
    Value batch = stateSizes[0], dim = stateSizes[1];
    Value perGroup = e.idiv(dim, groups);
    Value blocksX =
        e.idiv(e.iadd(dim, e.idx(perBlock - 1)), e.idx(perBlock));
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, blocksX, batch, one, e.idx(threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
        ValueRange{e.token});
    e.token = launch.getAsyncToken();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value bx = launch.getBlockIds().x, bi = launch.getBlockIds().y,
          tid = launch.getThreadIds().x;
    Value c = e.iadd(e.imul(bx, e.idx(perBlock)), e.idiv(tid, e.idx(lanes)));
    Value q = e.irem(tid, e.idx(lanes));
    // Channels past d take part in the reduction (reading channel d - 1)
    // and store nothing.
    Value ok = e.icmp(arith::CmpIPredicate::ult, c, dim);
    Value cc = e.select(ok, c, e.isub(dim, one));
    Value col = e.imul(q, e.idx(4));
    Channel ch = channelInputs(bi, cc, perGroup);
    Value gi = ch.gi, xv = ch.xv, dtx = ch.dtx, dt2 = ch.dt2;
    SmallVector<Value> av = e.loadVecF32(a, {cc, col}, 4);
    SmallVector<Value> hv = e.loadVecF32(state, {bi, cc, col}, 4);
    SmallVector<Value> bv, cv;
    for (int64_t j = 0; j < 4; ++j) {
      Value nj = e.iaddConst(col, j);
      bv.push_back(e.loadF32(bMat, {bi, gi, nj}));
      cv.push_back(e.loadF32(cMat, {bi, gi, nj}));
    }
    SmallVector<Value> hn;
    Value partial = e.f(0.0);
    for (int64_t j = 0; j < 4; ++j) {
      hn.push_back(
          e.fma(e.exp2(e.mul(dt2, av[j])), hv[j], e.mul(dtx, bv[j])));
      partial = e.fma(cv[j], hn.back(), partial);
    }
    e.ifThen(ok, [&] { e.storeVecAs(hn, next, {bi, c, col}, stateElt); });
    Value acc = e.warpSum(partial, lanes);
    e.ifThen(e.andi(ok, e.icmp(arith::CmpIPredicate::eq, q, zero)),
             [&] { storeChannel(acc, xv, bi, c); });
    gpu::TerminatorOp::create(rewriter, loc);
  } else {
    Value batch = stateSizes[0], dim = stateSizes[1], n = stateSizes[2];
    Value perGroup = e.idiv(dim, groups);
    Value threads = e.idx(warps * kWarp);
    Value blocksX = e.idiv(e.iadd(dim, e.isub(threads, one)), threads);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, blocksX, batch, one, threads, one, one,
        /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
        ValueRange{e.token});
    e.token = launch.getAsyncToken();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value bx = launch.getBlockIds().x, bi = launch.getBlockIds().y,
          tid = launch.getThreadIds().x;
    Value c = e.iadd(e.imul(bx, threads), tid);
    e.ifThen(e.icmp(arith::CmpIPredicate::ult, c, dim), [&] {
      Channel ch = channelInputs(bi, c, perGroup);
      Value gi = ch.gi, xv = ch.xv, dtx = ch.dtx, dt2 = ch.dt2;
      Value acc = e.loop(zero, n, one, ValueRange{e.f(0.0)},
                         [&](Value j, ValueRange s) {
                           Value decay =
                               e.exp2(e.mul(dt2, e.loadF32(a, {c, j})));
                           Value hn = e.fma(
                               decay, e.loadF32(state, {bi, c, j}),
                               e.mul(dtx, e.loadF32(bMat, {bi, gi, j})));
                           e.storeAs(hn, next, {bi, c, j}, stateElt);
                           return SmallVector<Value>{e.fma(
                               e.loadF32(cMat, {bi, gi, j}), hn, s[0])};
                         })[0];
      storeChannel(acc, xv, bi, c);
    });
    gpu::TerminatorOp::create(rewriter, loc);
  }
  e.endStream();
  ++kernels;

  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(rewriter, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  rewriter.replaceOp(op, {toTensor(yType, y), toTensor(newType, next)});
  return success();
}

} // namespace ssmc::gpu_emit
