//===- CausalConv1dToGPU.cpp - the causal depthwise conv as a GPU kernel --===//
//
// ssm-gpu-lower-ops for ssm.causal_conv1d: a thread owns `steps` consecutive
// steps of one (batch, channel), keeps the last k - 1 inputs in registers
// while it walks them (the kernel width k is static, so the window is
// unrolled), and consecutive threads own consecutive runs of steps, so that a
// warp reads and writes contiguous memory. The inputs before each run come
// from x (or, before t = 0, from the decode cache conv_state, else zero).
// The new cache (the last k - 1 inputs) is written by the first threads of
// each channel's first block.
// A sequence of at most `steps` steps (the decode step: one) would leave all
// but one thread of each block idle, one block per channel; it takes a second
// kernel instead, chosen at run time: a thread per (batch, channel), all steps
// and its new cache, so that a warp covers 32 channels.
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace ssmc::gpu_emit {

namespace {

/// The widest kernel the unrolled window takes.
constexpr int64_t kMaxWidth = 16;

} // namespace

LogicalResult lowerCausalConv1d(CausalConv1dOp op, PatternRewriter &rewriter,
                                DictionaryAttr tileAttr, int64_t &kernels) {
  Location loc = op.getLoc();
  auto wType = cast<ShapedType>(op.getWeight().getType());
  if (wType.isDynamicDim(1) || wType.getDimSize(1) > kMaxWidth)
    return op.emitOpError()
           << "the GPU target unrolls the kernel window and needs a static "
              "kernel width k <= "
           << kMaxWidth;
  int64_t k = wType.getDimSize(1);
  int64_t steps = 8, threadsPerBlock = 128;
  if (auto v = tileAttr.getAs<IntegerAttr>("steps"))
    steps = v.getInt();
  if (auto v = tileAttr.getAs<IntegerAttr>("threads"))
    threadsPerBlock = v.getInt();
  if (steps < 1 || steps > 64 || threadsPerBlock < k ||
      threadsPerBlock > 1024)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " "
                            << tileAttr;

  Emitter e(rewriter, loc);
  Value x = toDenseBuffer(rewriter, loc, op.getX());
  Value w = toDenseBuffer(rewriter, loc, op.getWeight());
  Value bias = toDenseBuffer(rewriter, loc, op.getBias());
  Value cache = toDenseBuffer(rewriter, loc, op.getConvState());
  bool silu = op.getSilu();
  auto yType = cast<RankedTensorType>(op.getY().getType());
  Type yElt = yType.getElementType();
  Value batch = e.dim(x, 0), channels = e.dim(x, 1), len = e.dim(x, 2);
  Value one = e.idx(1), zero = e.idx(0);

  e.beginStream();
  Value y = e.gpuAlloc(yType, {batch, channels, len});
  Value newCache;
  RankedTensorType cacheType;
  if (op.getNewConvState()) {
    cacheType = cast<RankedTensorType>(op.getNewConvState().getType());
    newCache = e.gpuAlloc(cacheType, {batch, channels, e.idx(k - 1)});
  }
  // The input of (bi, c) at step t0 + off (off may be negative), 0 past
  // the end.
  auto input = [&](Value bi, Value c, Value t0v, int64_t off) -> Value {
    // t = t0 + off as a signed quantity: before 0 it reads the cache.
    Value t = e.iadd(t0v, e.idx(off));
    Value ge0 = off >= 0 ? Value()
                         : e.icmp(arith::CmpIPredicate::uge, t0v, e.idx(-off));
    Value inX = e.icmp(arith::CmpIPredicate::ult, t, len);
    if (ge0)
      inX = e.andi(ge0, inX);
    Value fromX = e.guardedLoadF32(inX, x, {bi, c, t});
    if (off >= 0 || !cache)
      return fromX;
    // Before t = 0: cache[k - 1 + t0 + off].
    Value before = e.icmp(arith::CmpIPredicate::eq, ge0,
                          arith::ConstantIntOp::create(
                              rewriter, loc, rewriter.getI1Type(), 0));
    Value slot = e.iadd(t0v, e.idx(k - 1 + off));
    Value fromCache = e.guardedLoadF32(before, cache, {bi, c, slot});
    return e.select(before, fromCache, fromX);
  };
  auto loadWeights = [&](Value c, SmallVector<Value> &weights) {
    for (int64_t j = 0; j < k; ++j)
      weights.push_back(e.loadF32(w, {c, e.idx(j)}));
    return bias ? e.loadF32(bias, {c}) : e.f(0.0);
  };
  auto convolve = [&](ArrayRef<Value> weights, Value b0,
                      SmallVector<Value> window, ArrayRef<Value> run,
                      function_ref<void(int64_t, Value)> emit) {
    for (int64_t s = 0; s < steps; ++s) {
      window.push_back(run[s]);
      Value acc = b0;
      for (int64_t j = 0; j < k; ++j)
        acc = e.fma(weights[j], window[j], acc);
      if (silu)
        acc = e.silu(acc);
      emit(s, acc);
      window.erase(window.begin());
    }
  };
  // Slot i of the new cache of (bi, c): the input at step len - (k - 1) + i.
  auto writeCache = [&](Value bi, Value c, Value i) {
    Value inX = e.icmp(arith::CmpIPredicate::uge, e.iadd(len, i),
                       e.idx(k - 1));
    Value t = e.isub(e.iadd(len, i), e.idx(k - 1));
    Value fromX = e.guardedLoadF32(inX, x, {bi, c, t});
    Value v = fromX;
    if (cache) {
      Value notX = e.icmp(arith::CmpIPredicate::ult, e.iadd(len, i),
                          e.idx(k - 1));
      Value fromCache = e.guardedLoadF32(notX, cache, {bi, c, e.iadd(len, i)});
      v = e.select(inX, fromX, fromCache);
    }
    e.storeAs(v, newCache, {bi, c, i}, cacheType.getElementType());
  };

  e.endStream();
  // Each branch issues its kernel on a stream of its own.
  Value isShort = e.icmp(arith::CmpIPredicate::ule, len, e.idx(steps));
  auto ifShort = scf::IfOp::create(rewriter, loc, isShort, /*withElse=*/true);
  {
    // At most `steps` steps: a thread per (batch, channel).
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(ifShort.thenBlock()->getTerminator());
    e.beginStream();
    Value threads = e.idx(threadsPerBlock);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, e.idiv(e.iadd(channels, e.isub(threads, one)), threads),
        batch, one, threads, one, one,
        /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
        ValueRange{e.token});
    e.token = launch.getAsyncToken();
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value c = e.iadd(e.imul(launch.getBlockIds().x, threads),
                     launch.getThreadIds().x);
    Value bi = launch.getBlockIds().y;
    e.ifThen(e.icmp(arith::CmpIPredicate::ult, c, channels), [&] {
      SmallVector<Value> weights;
      Value b0 = loadWeights(c, weights);
      SmallVector<Value> window, run;
      for (int64_t i = 0; i < k - 1; ++i)
        window.push_back(input(bi, c, zero, i - (k - 1)));
      for (int64_t s = 0; s < steps; ++s)
        run.push_back(input(bi, c, zero, s));
      convolve(weights, b0, window, run, [&](int64_t s, Value v) {
        e.ifThen(e.icmp(arith::CmpIPredicate::ult, e.idx(s), len),
                 [&] { e.storeAs(v, y, {bi, c, e.idx(s)}, yElt); });
      });
      if (newCache)
        for (int64_t i = 0; i < k - 1; ++i)
          writeCache(bi, c, e.idx(i));
    });
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPointAfter(launch);
    e.endStream();
  }
  OpBuilder::InsertionGuard elseGuard(rewriter);
  rewriter.setInsertionPoint(ifShort.elseBlock()->getTerminator());
  e.beginStream();
  Value perBlock = e.idx(steps * threadsPerBlock);
  // At least one block per channel, so that the new cache gets written.
  Value blocksX = e.imax(
      one, e.idiv(e.iadd(len, e.isub(perBlock, one)), perBlock));
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, blocksX, channels, batch, e.idx(threadsPerBlock), one,
      one, /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
      ValueRange{e.token});
  e.token = launch.getAsyncToken();
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value bx = launch.getBlockIds().x, c = launch.getBlockIds().y,
          bi = launch.getBlockIds().z, tid = launch.getThreadIds().x;
    Value t0 = e.imul(e.iadd(e.imul(bx, e.idx(threadsPerBlock)), tid),
                      e.idx(steps));
    SmallVector<Value> weights;
    Value b0 = loadWeights(c, weights);
    // A run of `steps` inside the sequence, past the first k - 1 steps, in
    // a row whose length is a multiple of `steps` (so aligned): one vector
    // load and one vector store, no bounds checks. Anything else element by
    // element with them.
    Value full = e.andi(
        e.andi(e.icmp(arith::CmpIPredicate::uge, t0, e.idx(k - 1)),
               e.icmp(arith::CmpIPredicate::ule, e.iadd(t0, e.idx(steps)),
                      len)),
        e.icmp(arith::CmpIPredicate::eq, e.irem(len, e.idx(steps)), zero));
    auto ifFull = scf::IfOp::create(rewriter, loc, full, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPoint(ifFull.thenBlock()->getTerminator());
      SmallVector<Value> window;
      for (int64_t i = 0; i < k - 1; ++i)
        window.push_back(
            e.loadF32(x, {bi, c, e.isub(t0, e.idx(k - 1 - i))}));
      SmallVector<Value> run = e.loadVecF32(x, {bi, c, t0}, steps);
      SmallVector<Value> outs;
      convolve(weights, b0, window, run,
               [&](int64_t, Value v) { outs.push_back(v); });
      e.storeVecAs(outs, y, {bi, c, t0}, yElt);

      rewriter.setInsertionPoint(ifFull.elseBlock()->getTerminator());
      // window[i] = x[t - (k - 1) + i] for the current t.
      SmallVector<Value> slow;
      for (int64_t i = 0; i < k - 1; ++i)
        slow.push_back(input(bi, c, t0, i - (k - 1)));
      SmallVector<Value> slowRun;
      for (int64_t s = 0; s < steps; ++s)
        slowRun.push_back(input(bi, c, t0, s));
      convolve(weights, b0, slow, slowRun, [&](int64_t s, Value v) {
        Value t = e.iadd(t0, e.idx(s));
        e.ifThen(e.icmp(arith::CmpIPredicate::ult, t, len),
                 [&] { e.storeAs(v, y, {bi, c, t}, yElt); });
      });
    }
    if (newCache)
      e.ifThen(e.andi(e.icmp(arith::CmpIPredicate::eq, bx, zero),
                      e.icmp(arith::CmpIPredicate::ult, tid, e.idx(k - 1))),
               [&] { writeCache(bi, c, tid); });
    gpu::TerminatorOp::create(rewriter, loc);
  }
  e.endStream();
  rewriter.setInsertionPointAfter(ifShort);
  ++kernels;

  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(rewriter, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  SmallVector<Value> results{toTensor(yType, y)};
  if (newCache)
    results.push_back(toTensor(cacheType, newCache));
  rewriter.replaceOp(op, results);
  return success();
}

} // namespace ssmc::gpu_emit
