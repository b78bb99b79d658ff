//===- SelectiveScanToGPU.cpp - the selective scan as GPU kernels ---------===//
//
// ssm-gpu-lower-ops for ssm.selective_scan. One thread owns one (batch,
// channel) and its n states in registers (scf.for iter_args); a block of
// `channels` threads shares one batch element, so that it stages each chunk's
// B and C once for all of its channels. Per chunk of `time_chunk` steps:
//   1. coalesced loads along time of u, delta, z into shared memory tiles
//      [channels][time_chunk + 1] (the padding keeps the per-thread reads
//      across channels conflict-free), B and C into [time_chunk][n + 1];
//   2. each thread walks the chunk: dt = softplus(delta + bias), the n
//      decays exp2(dt A log2e) (ex2.approx), h = decay h + dt u B, y = C h,
//      y + D u, y silu(z), y written over u's slot in shared memory;
//   3. coalesced stores of y along time.
// No per-chunk intermediate touches global memory. When batch x channels
// cannot fill the GPU, the sequence is split into S segments (a three-phase
// scan, by the associativity of h_t = a_t h_{t-1} + b_t): a first kernel runs
// every segment but the last from a zero state and writes its end state and
// its sum of dt; the main kernel's thread of segment s starts from the carry
// of the segments before it (decay exp2(A log2e sum dt) per segment) and
// writes the outputs.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/GPU/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include "GPUEmitter.h"

using namespace mlir;
using namespace ssmc::ssm;
using ssmc::gpu_emit::Emitter;

namespace ssmc::gpu_emit {

namespace {

/// Steps per vector access of the staging and the output stores.
constexpr int64_t kVec = 4;
/// Steps of the recurrence unrolled into straight-line code.
constexpr int64_t kUnroll = 4;

/// The static shared-memory tiles of one scan kernel and its launch sizes.
struct ScanPlan {
  int64_t maxChannels; // static bound of the block size (tile rows)
  int64_t timeChunk;
  int64_t n;
  bool hasZ;
  /// Decays per step computed by a polynomial instead of ex2.approx.
  int64_t polyExps;
  /// Threads per channel, each with n / split of the states (adjacent
  /// lanes; y is summed with a shuffle).
  int64_t split;
};

/// The operands of one selective scan as buffers, and its sizes.
struct ScanOperands {
  Value u, delta, a, bMat, cMat, d, z, bias, h0;
  Value batch, dim, len, groups, perGroup;
  bool softplus = false;
  Type outElt;
};

/// What one kernel computes.
enum class ScanPhase {
  /// Segments 0..S-2 from a zero state: end states and sums of dt.
  SegmentStates,
  /// Every segment from its carried state: outputs and the final state.
  Outputs,
};

/// Emits one scan kernel (a gpu.launch) at the builder's point. `segLen` is
/// the steps per segment (a multiple of the time chunk), `numSegments` the
/// grid's z size; `ends` (b, S, d, n) and `sums` (b, S, d) are the segment
/// scratch (null without segments); `out` and `fin` the results.
void emitScanKernel(Emitter &e, const ScanOperands &o, const ScanPlan &plan,
                    ScanPhase phase, Value threads, Value numTiles,
                    Value numSegments, Value segLen, Value ends, Value sums,
                    Value out, Value fin) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  MLIRContext *ctx = b.getContext();
  int64_t lc = plan.timeChunk, n = plan.n, rows = plan.maxChannels;
  bool outputs = phase == ScanPhase::Outputs;
  bool useZ = outputs && plan.hasZ;
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t r, int64_t c) {
    return MemRefType::get({r, c}, e.f32, MemRefLayoutAttrInterface(), wg);
  };
  // B and C rows of 16-byte multiples are read as vector<4xf32> broadcasts
  // (every thread of the block reads the same step).
  bool vec4 = n % 4 == 0;
  int64_t bcCols = vec4 ? n : n + 1;
  SmallVector<Type> attributions{tileType(rows, lc + 1), tileType(rows, lc + 1),
                                 tileType(lc, bcCols)};
  if (outputs)
    attributions.push_back(tileType(lc, bcCols));
  if (useZ)
    attributions.push_back(tileType(rows, lc + 1));
  if (outputs)
    attributions.push_back(tileType(rows, lc + 1));

  Value one = e.idx(1);
  int64_t P = plan.split, np = n / P;
  Value splitV = e.idx(P);
  // `threads` channels per block, P threads each.
  Value blockSize = e.imul(threads, splitV);
  auto launch = gpu::LaunchOp::create(
      b, loc, numTiles, o.batch, numSegments, blockSize, one, one,
      /*dynamicSharedMemorySize=*/nullptr, e.tokenType(), ValueRange{e.token},
      attributions);
  e.token = launch.getAsyncToken();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  ArrayRef<BlockArgument> smem = launch.getWorkgroupAttributions();
  Value uS = smem[0], dtS = smem[1], bS = smem[2];
  Value cS = outputs ? Value(smem[3]) : Value();
  Value zS = useZ ? Value(smem[4]) : Value();
  Value yS = outputs ? Value(smem[useZ ? 5 : 4]) : Value();

  Value tile = launch.getBlockIds().x, bi = launch.getBlockIds().y,
        seg = launch.getBlockIds().z, tid = launch.getThreadIds().x;
  // Thread tid owns states [part * np, part * np + np) of tile row `row`.
  Value row0 = e.idiv(tid, splitV), part = e.irem(tid, splitV);
  Value j0 = e.imul(part, e.idx(np));
  Value isPart0 = e.icmp(arith::CmpIPredicate::eq, part, e.idx(0));
  Value c0 = e.imul(tile, threads);
  Value c = e.iadd(c0, row0);
  Value active = e.icmp(arith::CmpIPredicate::ult, c, o.dim);
  // Inactive threads (past the last channel) read channel d - 1 and store
  // nothing; they still take part in the staging and the barriers.
  Value cc = e.select(active, c, e.isub(o.dim, one));
  Value gi = e.idiv(c0, o.perGroup);
  Value zeroF = e.f(0.0);

  auto stateIdx = [&](int64_t jj) { return e.iadd(j0, e.idx(jj)); };
  SmallVector<Value> a2;
  for (int64_t j = 0; j < np; ++j)
    a2.push_back(e.mul(e.loadF32(o.a, {cc, stateIdx(j)}), e.f(kLog2E)));
  // dt of channel `ch` (any row of the tile, clamped to the last channel):
  // bias and softplus, applied while staging so that the recurrence only
  // reads it (its dependence chains would otherwise serialise the steps).
  auto processDt = [&](Value dt, Value ch) -> Value {
    Value chc = e.imin(ch, e.isub(o.dim, one));
    if (o.bias)
      dt = e.add(dt, e.loadF32(o.bias, {chc}));
    if (o.softplus)
      dt = e.softplus(dt);
    return dt;
  };
  // The output of channel `ch` from the raw y: the D skip and the silu gate,
  // applied while writing the chunk out (off the recurrence too).
  auto finish = [&](Value y, Value uv, Value zv, Value ch) -> Value {
    Value chc = e.imin(ch, e.isub(o.dim, one));
    if (o.d)
      y = e.fma(e.loadF32(o.d, {chc}), uv, y);
    if (zv)
      y = e.mul(y, e.silu(zv));
    return y;
  };

  // The segment's steps [segStart, segEnd).
  Value segStart = e.imul(seg, segLen);
  Value segEnd = e.imin(o.len, e.iadd(segStart, segLen));

  // The state entering the segment.
  SmallVector<Value> h(np, zeroF);
  if (outputs) {
    for (int64_t j = 0; j < np; ++j)
      if (o.h0)
        h[j] = e.loadF32(o.h0, {bi, cc, stateIdx(j)});
    if (ends) {
      // The carry over the segments before this one.
      h = e.loop(e.idx(0), seg, one, h, [&](Value s, ValueRange hin) {
        Value sum = e.load(sums, {bi, s, cc});
        SmallVector<Value> next;
        for (int64_t j = 0; j < np; ++j) {
          Value decay = e.exp2(e.mul(sum, a2[j]));
          next.push_back(
              e.fma(decay, hin[j], e.load(ends, {bi, s, cc, stateIdx(j)})));
        }
        return next;
      });
    }
  }

  Value lcV = e.idx(lc);
  // Steps of the segment in chunks of lc; carried: h and the sum of dt.
  SmallVector<Value> init(h);
  init.push_back(zeroF);
  SmallVector<Value> last = e.loop(
      segStart, segEnd, lcV, init, [&](Value t0, ValueRange carried) {
        Value tl = e.imin(lcV, e.isub(segEnd, t0));
        // 1. Stage the chunk. A full tile of a full chunk (and rows of a
        // multiple of kVec steps, for alignment) takes vector loads of kVec
        // steps per thread, without bounds checks; anything else element by
        // element with them.
        Value full = e.andi(
            e.andi(e.icmp(arith::CmpIPredicate::ule, e.iadd(c0, threads),
                          o.dim),
                   e.icmp(arith::CmpIPredicate::eq, tl, lcV)),
            e.icmp(arith::CmpIPredicate::eq, e.irem(o.len, e.idx(kVec)),
                   e.idx(0)));
        auto ifFull = scf::IfOp::create(b, loc, full, /*withElse=*/true);
        {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(ifFull.thenBlock()->getTerminator());
          // Vector v = k * threads + tid holds steps [4 (v % (lc / 4)), +4)
          // of row v / (lc / 4): a warp reads whole rows, 16 bytes (f32) or
          // 8 (bf16) per thread.
          Value perRow = e.idx(lc / kVec);
          e.forEach(e.idx(lc / kVec / P), [&](Value k) {
            Value v = e.iadd(e.imul(k, blockSize), tid);
            Value row = e.idiv(v, perRow);
            Value col = e.imul(e.irem(v, perRow), e.idx(kVec));
            Value ch = e.iadd(c0, row), t = e.iadd(t0, col);
            auto stage = [&](Value src, Value dst, bool isDt) {
              SmallVector<Value> vals = e.loadVecF32(src, {bi, ch, t}, kVec);
              for (int64_t i = 0; i < kVec; ++i)
                e.store(isDt ? processDt(vals[i], ch) : vals[i], dst,
                        {row, e.iadd(col, e.idx(i))});
            };
            stage(o.u, uS, false);
            stage(o.delta, dtS, true);
            if (zS)
              stage(o.z, zS, false);
          });
          // B and C: n rows of lc steps.
          Value bcVecs = e.idx(n * lc / kVec);
          e.forEach(e.idiv(e.iadd(bcVecs, e.isub(blockSize, one)), blockSize),
                    [&](Value k) {
                      Value v = e.iadd(e.imul(k, blockSize), tid);
                      e.ifThen(e.icmp(arith::CmpIPredicate::ult, v, bcVecs),
                               [&] {
                                 Value j = e.idiv(v, perRow);
                                 Value col =
                                     e.imul(e.irem(v, perRow), e.idx(kVec));
                                 Value t = e.iadd(t0, col);
                                 auto stage = [&](Value src, Value dst) {
                                   SmallVector<Value> vals =
                                       e.loadVecF32(src, {bi, gi, j, t}, kVec);
                                   for (int64_t i = 0; i < kVec; ++i)
                                     e.store(vals[i], dst,
                                             {e.iadd(col, e.idx(i)), j});
                                 };
                                 stage(o.bMat, bS);
                                 if (cS)
                                   stage(o.cMat, cS);
                               });
                    });
          b.setInsertionPoint(ifFull.elseBlock()->getTerminator());
          // Element k*threads + tid of the [channels x lc] tile: consecutive
          // threads read consecutive steps of one channel.
        e.forEach(e.idx(lc / P), [&](Value k) {
          Value el = e.iadd(e.imul(k, blockSize), tid);
          Value row = e.idiv(el, lcV), col = e.irem(el, lcV);
          Value ch = e.iadd(c0, row);
          // el < lc * threads, so row < threads: every element is stored.
          Value ok = e.andi(e.icmp(arith::CmpIPredicate::ult, ch, o.dim),
                            e.icmp(arith::CmpIPredicate::ult, col, tl));
          Value t = e.iadd(t0, col);
          auto stage = [&](Value src, Value dst, bool isDt) {
            Value v = e.guardedLoadF32(ok, src, {bi, ch, t});
            e.store(isDt ? processDt(v, ch) : v, dst, {row, col});
          };
          stage(o.u, uS, false);
          stage(o.delta, dtS, true);
          if (zS)
            stage(o.z, zS, false);
        });
        // B and C: n x lc elements, coalesced along time.
        Value bcCount = e.idx(n * lc);
        Value bcIters =
            e.idiv(e.iadd(bcCount, e.isub(blockSize, one)), blockSize);
        e.forEach(bcIters, [&](Value k) {
          Value el = e.iadd(e.imul(k, blockSize), tid);
          Value j = e.idiv(el, lcV), col = e.irem(el, lcV);
          Value inTile = e.icmp(arith::CmpIPredicate::ult, el, bcCount);
          Value ok = e.andi(inTile, e.icmp(arith::CmpIPredicate::ult, col, tl));
          Value t = e.iadd(t0, col);
          Value bv = e.guardedLoadF32(ok, o.bMat, {bi, gi, j, t});
          e.ifThen(inTile, [&] { e.store(bv, bS, {col, j}); });
          if (cS) {
            Value cv = e.guardedLoadF32(ok, o.cMat, {bi, gi, j, t});
            e.ifThen(inTile, [&] { e.store(cv, cS, {col, j}); });
          }
        });
        }
        gpu::BarrierOp::create(b, loc);

        // 2. The recurrence over the chunk: one step of it, then kUnroll
        // steps at a time (straight-line code, so that the next steps'
        // loads and decays, which do not depend on the state, are issued
        // while this step's updates complete) and the remaining steps one
        // by one.
        auto step = [&](Value t, ArrayRef<Value> st) {
          Value dt = e.load(dtS, {row0, t});
          Value uv = e.load(uS, {row0, t});
          Value dtu = e.mul(dt, uv);
          SmallVector<Value> bv = e.loadRow(bS, t, j0, np, vec4);
          SmallVector<Value> cv;
          if (outputs)
            cv = e.loadRow(cS, t, j0, np, vec4);
          // y in four partial sums: a short dependence chain.
          SmallVector<Value> hn, acc;
          for (int64_t j = 0; j < np; ++j) {
            // The first polyExps decays on the FMA pipes, the rest on the
            // special-function unit: the two run in parallel.
            Value arg = e.mul(dt, a2[j]);
            Value decay = j < plan.polyExps ? e.exp2Poly(arg) : e.exp2(arg);
            Value hj = e.fma(decay, st[j], e.mul(dtu, bv[j]));
            hn.push_back(hj);
            if (!outputs)
              continue;
            if (j < 4)
              acc.push_back(e.mul(cv[j], hj));
            else
              acc[j % 4] = e.fma(cv[j], hj, acc[j % 4]);
          }
          if (outputs) {
            Value y = zeroF;
            for (Value partial : acc)
              y = e.add(y, partial);
            // The other parts' sums: the P threads of a channel are
            // adjacent lanes.
            if (P > 1)
              y = e.warpSum(y, P);
            e.ifThen(isPart0, [&] { e.store(y, yS, {row0, t}); });
          }
          hn.push_back(e.add(st[np], dt));
          return hn;
        };
        Value unrollV = e.idx(kUnroll);
        Value mainEnd = e.imul(e.idiv(tl, unrollV), unrollV);
        SmallVector<Value> mid = e.loop(
            e.idx(0), mainEnd, unrollV, carried, [&](Value t, ValueRange st) {
              SmallVector<Value> cur(st.begin(), st.end());
              for (int64_t i = 0; i < kUnroll; ++i)
                cur = step(e.iadd(t, e.idx(i)), cur);
              return cur;
            });
        SmallVector<Value> next =
            e.loop(mainEnd, tl, one, mid, [&](Value t, ValueRange st) {
              return step(t, SmallVector<Value>(st.begin(), st.end()));
            });
        gpu::BarrierOp::create(b, loc);

        // 3. The outputs, coalesced along time (vectors of kVec steps for a
        // full tile of a full chunk).
        if (outputs) {
          auto ifFullOut = scf::IfOp::create(b, loc, full, /*withElse=*/true);
          {
            OpBuilder::InsertionGuard g(b);
            b.setInsertionPoint(ifFullOut.thenBlock()->getTerminator());
            Value perRow = e.idx(lc / kVec);
            e.forEach(e.idx(lc / kVec / P), [&](Value k) {
              Value v = e.iadd(e.imul(k, blockSize), tid);
              Value row = e.idiv(v, perRow);
              Value col = e.imul(e.irem(v, perRow), e.idx(kVec));
              SmallVector<Value> vals;
              Value ch = e.iadd(c0, row);
              for (int64_t i = 0; i < kVec; ++i) {
                Value ci = e.iadd(col, e.idx(i));
                vals.push_back(finish(e.load(yS, {row, ci}),
                                      e.load(uS, {row, ci}),
                                      zS ? e.load(zS, {row, ci}) : Value(),
                                      ch));
              }
              e.storeVecAs(vals, out, {bi, e.iadd(c0, row), e.iadd(t0, col)},
                           o.outElt);
            });
            b.setInsertionPoint(ifFullOut.elseBlock()->getTerminator());
          e.forEach(e.idx(lc / P), [&](Value k) {
            Value el = e.iadd(e.imul(k, blockSize), tid);
            Value row = e.idiv(el, lcV), col = e.irem(el, lcV);
            Value ch = e.iadd(c0, row);
            Value ok = e.andi(e.icmp(arith::CmpIPredicate::ult, ch, o.dim),
                              e.icmp(arith::CmpIPredicate::ult, col, tl));
            e.ifThen(ok, [&] {
              Value y = finish(e.load(yS, {row, col}), e.load(uS, {row, col}),
                               zS ? e.load(zS, {row, col}) : Value(), ch);
              e.storeAs(y, out, {bi, ch, e.iadd(t0, col)}, o.outElt);
            });
          });
          }
          gpu::BarrierOp::create(b, loc);
        }
        return next;
      });

  // The segment's results.
  Value lastSeg = e.icmp(arith::CmpIPredicate::eq, seg,
                         e.isub(numSegments, one));
  if (outputs) {
    if (fin)
      e.ifThen(e.andi(active, lastSeg), [&] {
        for (int64_t j = 0; j < np; ++j)
          e.store(last[j], fin, {bi, c, stateIdx(j)});
      });
  } else {
    e.ifThen(active, [&] {
      for (int64_t j = 0; j < np; ++j)
        e.store(last[j], ends, {bi, seg, c, stateIdx(j)});
      e.ifThen(isPart0, [&] { e.store(last[np], sums, {bi, seg, c}); });
    });
  }
  gpu::TerminatorOp::create(b, loc);
}

} // namespace

LogicalResult lowerSelectiveScan(SelectiveScanOp op, PatternRewriter &rewriter,
                                 DictionaryAttr tileAttr, int64_t &kernels) {
  Location loc = op.getLoc();
  auto aType = cast<ShapedType>(op.getA().getType());
  if (aType.isDynamicDim(1) || aType.getDimSize(1) > kMaxRegisterState)
    return op.emitOpError()
           << "the GPU target keeps the state in registers and needs a static "
              "state size n <= "
           << kMaxRegisterState << "; A has shape "
           << (aType.isDynamicDim(1) ? std::string("(d, ?)")
                                     : "(d, " +
                                           std::to_string(aType.getDimSize(1)) +
                                           ")");
  ScanTileGPU tile;
  auto intOf = [&](StringRef name, int64_t dflt) {
    if (auto v = tileAttr.getAs<IntegerAttr>(name))
      return v.getInt();
    return dflt;
  };
  tile.channels = intOf("channels", tile.channels);
  tile.timeChunk = intOf("time_chunk", tile.timeChunk);
  tile.segments = intOf("segments", tile.segments);
  tile.polyExps = intOf("poly_exps", tile.polyExps);
  int64_t nState = aType.getDimSize(1);
  // Four threads per channel when each part is a 16-byte multiple (measured
  // 4% faster than two on an H100 at n = 16: more warps in flight).
  int64_t split = intOf("state_split", nState % 16 == 0   ? 4
                                       : nState % 8 == 0 ? 2
                                                         : 1);
  if (tile.channels < 1 || tile.channels > 1024 || tile.timeChunk < 1 ||
      tile.timeChunk % kVec != 0 || tile.segments < 0 || tile.polyExps < 0)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " " << tileAttr;

  Emitter e(rewriter, loc);
  ScanOperands o;
  o.u = toDenseBuffer(rewriter, loc, op.getU());
  o.delta = toDenseBuffer(rewriter, loc, op.getDelta());
  o.a = toDenseBuffer(rewriter, loc, op.getA());
  o.bMat = toDenseBuffer(rewriter, loc, op.getB());
  o.cMat = toDenseBuffer(rewriter, loc, op.getC());
  o.d = toDenseBuffer(rewriter, loc, op.getD());
  o.z = toDenseBuffer(rewriter, loc, op.getZ());
  o.bias = toDenseBuffer(rewriter, loc, op.getDeltaBias());
  o.h0 = toDenseBuffer(rewriter, loc, op.getInitialState());
  o.softplus = op.getDeltaSoftplus();
  o.outElt = cast<ShapedType>(op.getOut().getType()).getElementType();
  o.batch = e.dim(o.u, 0);
  o.dim = e.dim(o.u, 1);
  o.len = e.dim(o.u, 2);
  o.groups = e.dim(o.bMat, 1);
  o.perGroup = e.idiv(o.dim, o.groups);
  int64_t n = aType.getDimSize(1);

  if (split < 1 || split > 32 || n % split != 0 ||
      (tile.timeChunk / kVec) % split != 0 || (split & (split - 1)) != 0)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " "
                            << tileAttr << ": state_split must be a power of "
                               "two dividing n and time_chunk / 4";
  ScanPlan plan{tile.channels, tile.timeChunk, n, bool(o.z), tile.polyExps,
                split};
  Value one = e.idx(1);

  // Threads per block: `channels`, unless a block would straddle two groups
  // of B and C; then the largest power of two dividing d / g (at most
  // `channels`).
  Value maxThreads = e.idx(tile.channels);
  Value threads = maxThreads;
  auto bType = cast<ShapedType>(op.getB().getType());
  if (bType.isDynamicDim(1) || bType.getDimSize(1) != 1) {
    Value pow2 = arith::AndIOp::create(
        rewriter, loc, o.perGroup, e.isub(e.idx(0), o.perGroup));
    Value aligned = e.ori(
        e.icmp(arith::CmpIPredicate::eq, o.groups, one),
        e.icmp(arith::CmpIPredicate::eq, e.irem(o.perGroup, maxThreads),
               e.idx(0)));
    threads = e.select(aligned, maxThreads, e.imin(pow2, maxThreads));
  }
  Value numTiles = e.idiv(e.iadd(o.dim, e.isub(threads, one)), threads);

  // Results in device memory.
  auto outType = cast<RankedTensorType>(op.getOut().getType());
  e.beginStream();
  Value out = e.gpuAlloc(outType, {o.batch, o.dim, o.len});
  Value fin;
  if (op.getFinalState())
    fin = e.gpuAlloc(cast<RankedTensorType>(op.getFinalState().getType()),
                     {o.batch, o.dim, e.idx(n)});
  e.endStream();

  // Segments: fixed, or from the shapes when batch x channels is below a
  // few warps per multiprocessor (kMinThreadsGPU).
  Value lc = e.idx(tile.timeChunk);
  Value numSegments, segLen;
  if (tile.segments == 1) {
    numSegments = one;
    segLen = e.imul(e.idiv(e.iadd(o.len, e.isub(lc, one)), lc), lc);
    segLen = e.imax(segLen, lc);
  } else {
    Value wanted;
    if (tile.segments > 1) {
      wanted = e.idx(tile.segments);
    } else {
      Value channelsAll = e.imul(o.batch, o.dim);
      Value fill = e.idiv(e.iadd(e.idx(kTargetThreadsGPU),
                                 e.isub(channelsAll, one)),
                          channelsAll);
      wanted = e.select(
          e.icmp(arith::CmpIPredicate::uge, channelsAll, e.idx(kMinThreadsGPU)),
          one, fill);
    }
    // At least two chunks per segment.
    Value chunks = e.idiv(e.iadd(o.len, e.isub(lc, one)), lc);
    Value maxSeg = e.imax(one, e.idiv(chunks, e.idx(2)));
    Value s = e.imax(one, e.imin(wanted, maxSeg));
    Value chunksPerSeg = e.idiv(e.iadd(chunks, e.isub(s, one)), s);
    segLen = e.imul(e.imax(chunksPerSeg, one), lc);
    numSegments =
        e.imax(one, e.idiv(e.iadd(o.len, e.isub(segLen, one)), segLen));
  }

  auto emitOutputs = [&](Value ends, Value sums) {
    emitScanKernel(e, o, plan, ScanPhase::Outputs, threads, numTiles,
                   numSegments, segLen, ends, sums, out, fin);
    ++kernels;
  };
  if (tile.segments == 1) {
    e.beginStream();
    emitOutputs(Value(), Value());
    e.endStream();
  } else {
    Value split = e.icmp(arith::CmpIPredicate::ugt, numSegments, one);
    auto ifOp = scf::IfOp::create(rewriter, loc, split, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      auto endsType = MemRefType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic, n},
          e.f32);
      auto sumsType = MemRefType::get({ShapedType::kDynamic,
                                       ShapedType::kDynamic,
                                       ShapedType::kDynamic},
                                      e.f32);
      e.beginStream();
      Value ends = e.gpuAlloc(endsType, {o.batch, numSegments, o.dim, e.idx(n)});
      Value sums = e.gpuAlloc(sumsType, {o.batch, numSegments, o.dim});
      // Every segment but the last: its end state from zero.
      emitScanKernel(e, o, plan, ScanPhase::SegmentStates, threads, numTiles,
                     e.isub(numSegments, one), segLen, ends, sums, Value(),
                     Value());
      ++kernels;
      emitOutputs(ends, sums);
      e.gpuDealloc(ends);
      e.gpuDealloc(sums);
      e.endStream();
      rewriter.setInsertionPoint(ifOp.elseBlock()->getTerminator());
      e.beginStream();
      emitOutputs(Value(), Value());
      e.endStream();
    }
  }

  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(rewriter, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  SmallVector<Value> results{toTensor(op.getOut().getType(), out)};
  if (fin)
    results.push_back(toTensor(op.getFinalState().getType(), fin));
  rewriter.replaceOp(op, results);
  return success();
}

} // namespace ssmc::gpu_emit
