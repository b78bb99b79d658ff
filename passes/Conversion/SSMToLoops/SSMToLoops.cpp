//===- SSMToLoops.cpp - primitive ssm ops into scf loops on memrefs -------===//
//
// Lowers every primitive ssm op to scf.for nests with memref.load/store and
// scalar arith/math in f32 (f64 when an operand is f64). Operands are read
// through `bufferization.to_buffer` with a fully dynamic layout, so that any
// view one-shot-bufferize produces for them can be read without a copy; each
// result is a fresh `memref.alloc` handed back through `to_tensor restrict
// writable`. The recurrences carry the state row of one (batch, channel) in
// loop-carried registers and fuse all elementwise pre- and post-processing
// into the loop over time (SEMANTICS.md gives the math).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"
#include "ssmc/Conversion/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace ssmc {
#define GEN_PASS_DEF_CONVERTSSMTOLOOPS
#include "ssmc/Conversion/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc::ssm;

namespace {

using namespace ssmc::loops;

//===----------------------------------------------------------------------===//
// ssm.selective_scan
//===----------------------------------------------------------------------===//

LogicalResult lower(SelectiveScanOp op, PatternRewriter &rewriter,
                    int64_t maxUnrolled) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value uAll = e.buffer(op.getU()), deltaAll = e.buffer(op.getDelta());
  Value a = e.buffer(op.getA()), bAll = e.buffer(op.getB()),
        cAll = e.buffer(op.getC());
  Value dVec = e.buffer(op.getD()), zAll = e.buffer(op.getZ());
  Value bias = e.buffer(op.getDeltaBias());
  Value h0All = e.buffer(op.getInitialState());
  Value cu = e.buffer(op.getCuSeqlens());
  bool softplus = op.getDeltaSoftplus();

  Value d = e.dim(uAll, 1), lAll = e.dim(uAll, 2);
  Value g = e.dim(bAll, 1), n = e.dim(a, 1);
  Value outAll = e.alloc(op.getOut().getType(), {e.dim(uAll, 0), d, lAll});
  Value finAll;
  if (op.getFinalState())
    finAll = e.alloc(op.getFinalState().getType(),
                     {cu ? packedCount(e, cu) : e.dim(uAll, 0), d, n});
  Value perGroup = e.idiv(d, g);
  std::optional<int64_t> nStatic = staticSize(op.getA(), 1, maxUnrolled);
  // Without a static n, the state row and the scaled A row are scratch
  // buffers reused by every (batch, channel).
  Value hRow, aRow;
  if (!nStatic) {
    hRow = e.scratch(n);
    aRow = e.scratch(n);
  }
  Value log2e = e.cst(kLog2E);

  // The scan of (b, l) steps from u .. h0 into out and fin: the whole op,
  // or one packed sequence (b = 1) through views.
  auto scan = [&](Value u, Value delta, Value bMat, Value cMat, Value z,
                  Value h0, Value out, Value fin) {
    Value batch = e.dim(u, 0), l = e.dim(u, 2);
    e.nest({batch, d}, [&](ValueRange ivs) {
      Value bi = ivs[0], c = ivs[1];
      Value gi = e.idiv(c, perGroup);
      Value biasC = bias ? e.load(bias, c) : Value();
      Value dC = dVec ? e.load(dVec, c) : Value();
      // A * log2(e), and the initial state.
      SmallVector<Value> a2, init;
      if (nStatic) {
        for (int64_t j = 0; j < *nStatic; ++j) {
          Value jv = e.idx(j);
          a2.push_back(e.mul(e.load(a, {c, jv}), log2e));
          init.push_back(h0 ? e.load(h0, {bi, c, jv}) : e.cst(0.0));
        }
      } else {
        e.forEach(n, [&](Value j) {
          e.store(e.mul(e.load(a, {c, j}), log2e), aRow, j);
          e.store(h0 ? e.load(h0, {bi, c, j}) : e.cst(0.0), hRow, j);
        });
      }
      SmallVector<Value> last =
          e.loop(l, init, [&](Value t, ValueRange carried) {
            Value dt = e.processDt(e.load(delta, {bi, c, t}), biasC, softplus,
                                   std::nullopt);
            Value uv = e.load(u, {bi, c, t});
            Value dtu = e.mul(dt, uv);
            auto update = [&](Value j, int64_t jStatic, Value prev) {
              Value aj = jStatic >= 0 ? a2[jStatic] : e.load(aRow, j);
              Value decay = e.exp2(e.mul(dt, aj));
              Value inc = e.mul(dtu, e.load(bMat, {bi, gi, j, t}));
              return e.add(e.mul(decay, prev), inc);
            };
            auto output = [&](Value j, Value h) {
              return e.mul(e.load(cMat, {bi, gi, j, t}), h);
            };
            SmallVector<Value> regs(carried);
            Value y = rowStep(e, n, nStatic ? &regs : nullptr, hRow,
                              RowStep{update, output});
            if (dC)
              y = e.add(y, e.mul(dC, uv));
            if (z)
              y = e.mul(y, e.silu(e.load(z, {bi, c, t})));
            e.store(y, out, {bi, c, t});
            return regs;
          });
      if (fin) {
        if (nStatic) {
          for (auto [j, h] : llvm::enumerate(last))
            e.store(h, fin, {bi, c, e.idx(j)});
        } else {
          e.forEach(n, [&](Value j) {
            e.store(e.load(hRow, j), fin, {bi, c, j});
          });
        }
      }
    });
  };
  if (!cu) {
    scan(uAll, deltaAll, bAll, cAll, zAll, h0All, outAll, finAll);
  } else {
    // Packed sequences: each from its own state, over its own steps.
    zeroFill(e, outAll);
    forEachSequence(e, cu, lAll, [&](Value i, Value start, Value len) {
      auto steps = [&](Value mem, int64_t dim) {
        return sliceAlong(e, mem, dim, start, len);
      };
      Value one = e.idx(1);
      scan(steps(uAll, 2), steps(deltaAll, 2), steps(bAll, 3), steps(cAll, 3),
           steps(zAll, 2), sliceAlong(e, h0All, 0, i, one), steps(outAll, 2),
           sliceAlong(e, finAll, 0, i, one));
    });
  }

  SmallVector<Value> results{e.toTensor(op.getOut().getType(), outAll)};
  if (finAll)
    results.push_back(e.toTensor(op.getFinalState().getType(), finAll));
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.ssd
//===----------------------------------------------------------------------===//

LogicalResult lower(SSDOp op, PatternRewriter &rewriter, int64_t maxUnrolled) {
  return lowerSSD(op, rewriter, maxUnrolled);
}

//===----------------------------------------------------------------------===//
// ssm.causal_conv1d
//===----------------------------------------------------------------------===//

LogicalResult lower(CausalConv1dOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value xAll = e.buffer(op.getX()), w = e.buffer(op.getWeight());
  Value bias = e.buffer(op.getBias());
  Value stateAll = e.buffer(op.getConvState());
  Value cu = e.buffer(op.getCuSeqlens());

  Value ch = e.dim(xAll, 1), lAll = e.dim(xAll, 2);
  Value k = e.dim(w, 1);
  Value one = e.idx(1);
  Value km1 = e.isub(k, one);
  Value yAll = e.alloc(op.getY().getType(), {e.dim(xAll, 0), ch, lAll});
  Value newStateAll;
  if (op.getNewConvState())
    newStateAll = e.alloc(op.getNewConvState().getType(),
                          {cu ? packedCount(e, cu) : e.dim(xAll, 0), ch, km1});
  // A static conv width (at most 16) keeps the channel's taps in registers.
  std::optional<int64_t> kStatic = staticSize(op.getWeight(), 1, 16);

  // The conv over (b, l) steps of x into y and newState: the whole op, or one
  // packed sequence (b = 1) through views.
  auto convolve = [&](Value x, Value state, Value y, Value newState) {
    Value batch = e.dim(x, 0), l = e.dim(x, 2);

    // The input at time s = pos - back (s < 0 reads the cache, or zero).
    auto inputAt = [&](Value bi, Value c, Value pos, Value back) {
      Value inX = e.icmp(arith::CmpIPredicate::uge, pos, back);
      Type ct = e.ct;
      return e.ifElse(
          inX, ArrayRef<Type>(ct),
          [&] {
            return SmallVector<Value>{e.load(x, {bi, c, e.isub(pos, back)})};
          },
          [&] {
            if (!state)
              return SmallVector<Value>{e.cst(0.0)};
            // k - 1 + s = (k - 1 + pos) - back.
            Value at = e.isub(e.iadd(km1, pos), back);
            return SmallVector<Value>{e.load(state, {bi, c, at})};
          })[0];
    };

    e.nest({batch, ch}, [&](ValueRange ivs) {
      Value bi = ivs[0], c = ivs[1];
      Value biasC = bias ? e.load(bias, c) : e.cst(0.0);
      // taps[j] multiplies the input j steps back.
      SmallVector<Value> taps;
      for (int64_t j = 0; kStatic && j < *kStatic; ++j)
        taps.push_back(e.load(w, {c, e.idx(*kStatic - 1 - j)}));
      e.forEach(l, [&](Value t) {
        Value acc = biasC;
        if (kStatic) {
          for (auto [j, tap] : llvm::enumerate(taps))
            acc = e.add(acc, e.mul(tap, inputAt(bi, c, t, e.idx(j))));
        } else {
          acc = e.loop(k, ValueRange{biasC}, [&](Value j, ValueRange carried) {
            Value wj = e.load(w, {c, e.isub(km1, j)});
            return SmallVector<Value>{
                e.add(carried[0], e.mul(wj, inputAt(bi, c, t, j)))};
          })[0];
        }
        if (op.getSilu())
          acc = e.silu(acc);
        e.store(acc, y, {bi, c, t});
      });
      // The new cache holds the last k - 1 inputs of history followed by x:
      // element i is the input at time l - (k - 1) + i.
      if (newState) {
        e.forEach(km1, [&](Value i) {
          Value pos = e.iadd(l, i);
          e.store(inputAt(bi, c, pos, km1), newState, {bi, c, i});
        });
      }
    });
  };
  if (!cu) {
    convolve(xAll, stateAll, yAll, newStateAll);
  } else {
    // Packed sequences: no tap reaches into the previous sequence.
    zeroFill(e, yAll);
    forEachSequence(e, cu, lAll, [&](Value i, Value start, Value len) {
      convolve(sliceAlong(e, xAll, 2, start, len),
               sliceAlong(e, stateAll, 0, i, one),
               sliceAlong(e, yAll, 2, start, len),
               sliceAlong(e, newStateAll, 0, i, one));
    });
  }

  SmallVector<Value> results{e.toTensor(op.getY().getType(), yAll)};
  if (newStateAll)
    results.push_back(e.toTensor(op.getNewConvState().getType(), newStateAll));
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.state_update
//===----------------------------------------------------------------------===//

LogicalResult lower(StateUpdateOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value state = e.buffer(op.getState()), x = e.buffer(op.getX());
  Value dtBuf = e.buffer(op.getDt()), a = e.buffer(op.getA());
  Value bMat = e.buffer(op.getB()), cMat = e.buffer(op.getC());
  Value dBuf = e.buffer(op.getD()), z = e.buffer(op.getZ());
  Value bias = e.buffer(op.getDtBias());
  bool softplus = op.getDtSoftplus();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  bool mamba2 = cast<ShapedType>(op.getState().getType()).getRank() == 4;
  bool dPerChannel =
      op.getD() && cast<ShapedType>(op.getD().getType()).getRank() == 2;

  Value g = e.dim(bMat, 1);
  Value n = e.dim(state, mamba2 ? 3 : 2);
  SmallVector<Value> stateSizes, xSizes;
  for (int64_t i = 0, r = mamba2 ? 4 : 3; i < r; ++i)
    stateSizes.push_back(e.dim(state, i));
  xSizes.assign(stateSizes.begin(), stateSizes.end() - 1);
  Value y = e.alloc(op.getY().getType(), xSizes);
  Value newState = e.alloc(op.getNewState().getType(), stateSizes);
  // Mamba-1: rows (batch, channel), A per (channel, j); Mamba-2: rows
  // (batch, head, head channel), A per head.
  Value heads = stateSizes[1];
  Value perGroup = e.idiv(heads, g);

  // Tasks over the runtime's pool: the decode step of a layer reads and
  // writes the whole state (786 KB a layer for the Mamba-2 130M shape), a
  // memory stream both threads share. Mamba-2: one task per (batch, head),
  // whose dt and decay serve its p rows (computing them per row cost as
  // much as the rows' state update); Mamba-1: one task per row.
  {
    OpBuilder::InsertionGuard guard(rewriter);
    SmallVector<Value> outer = beginParallelTasks(
        e, mamba2 ? ArrayRef<Value>(xSizes).take_front(2) : ArrayRef<Value>(xSizes));
    Value bi = outer[0], hh = outer[1];
    Value gi = e.idiv(hh, perGroup);
    Value biasH = bias ? e.load(bias, hh) : Value();
    Value dt = e.processDt(e.load(dtBuf, {bi, hh}), biasH, softplus, limit);
    Value decayHead = mamba2 ? e.exp(e.mul(dt, e.load(a, hh))) : Value();
    auto row = [&](SmallVector<Value> ivs) {
      Value xv = e.load(x, ivs);
      Value dtx = e.mul(dt, xv);
      Value acc =
          e.loop(n, ValueRange{e.cst(0.0)}, [&](Value j, ValueRange carried) {
            SmallVector<Value> at(ivs);
            at.push_back(j);
            Value decay =
                mamba2 ? decayHead : e.exp(e.mul(dt, e.load(a, {hh, j})));
            Value hv = e.add(e.mul(decay, e.load(state, at)),
                             e.mul(dtx, e.load(bMat, {bi, gi, j})));
            e.store(hv, newState, at);
            // The readout C·h as a reduction LLVM may vectorise over n.
            return SmallVector<Value>{e.addReassoc(
                carried[0], e.mul(e.load(cMat, {bi, gi, j}), hv))};
          })[0];
      if (dBuf) {
        Value dv = dPerChannel ? e.load(dBuf, {hh, ivs[2]}) : e.load(dBuf, hh);
        acc = e.add(acc, e.mul(dv, xv));
      }
      if (z)
        acc = e.mul(acc, e.silu(e.load(z, ivs)));
      e.store(acc, y, ivs);
    };
    if (mamba2)
      e.forEach(xSizes[2], [&](Value pi) { row({bi, hh, pi}); });
    else
      row(outer);
  }

  rewriter.replaceOp(op, {e.toTensor(op.getY().getType(), y),
                          e.toTensor(op.getNewState().getType(), newState)});
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.scan
//===----------------------------------------------------------------------===//

LogicalResult lower(ScanOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), rewriter.getF32Type());
  int64_t numInputs = op.getInputs().size();
  if (numInputs == 0)
    return rewriter.notifyMatchFailure(op, "scan without inputs");
  auto type = cast<RankedTensorType>(op.getInputs()[0].getType());
  int64_t rank = type.getRank();
  int64_t dimension = op.getDimension();
  bool reverse = op.getReverse();

  SmallVector<Value> ins, outs;
  for (Value in : op.getInputs())
    ins.push_back(e.buffer(in));
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < rank; ++i)
    sizes.push_back(e.dim(ins[0], i));
  for (Value res : op.getResults())
    outs.push_back(e.alloc(res.getType(), sizes));
  Value len = sizes[dimension];
  Value one = e.idx(1);
  Value lenM1 = e.isub(len, one);
  SmallVector<Value> outer(sizes);
  outer.erase(outer.begin() + dimension);
  Block &combiner = op.getCombiner().front();

  e.nest(outer, [&](ValueRange ivs) {
    // The full index at scan step t (walking backwards when reversed).
    auto at = [&](Value t) {
      SmallVector<Value> full(ivs);
      full.insert(full.begin() + dimension, reverse ? e.isub(lenM1, t) : t);
      return full;
    };
    Value nonEmpty = e.icmp(arith::CmpIPredicate::ugt, len, e.idx(0));
    e.ifElse(nonEmpty, TypeRange(), [&] {
      SmallVector<Value> first;
      SmallVector<Value> idx0 = at(e.idx(0));
      for (int64_t i = 0; i < numInputs; ++i) {
        first.push_back(e.loadRaw(ins[i], idx0));
        e.store(first[i], outs[i], idx0);
      }
      e.loop(one, len, first, [&](Value t, ValueRange acc) {
        SmallVector<Value> idxT = at(t);
        IRMapping map;
        for (int64_t i = 0; i < numInputs; ++i) {
          map.map(combiner.getArgument(i), acc[i]);
          map.map(combiner.getArgument(numInputs + i), e.loadRaw(ins[i], idxT));
        }
        for (Operation &inner : combiner.without_terminator())
          e.b.clone(inner, map);
        SmallVector<Value> next;
        for (Value v : cast<YieldOp>(combiner.getTerminator()).getValues())
          next.push_back(map.lookupOrDefault(v));
        for (int64_t i = 0; i < numInputs; ++i)
          e.store(next[i], outs[i], idxT);
        return next;
      });
      return SmallVector<Value>();
    });
  });

  SmallVector<Value> results;
  for (auto [res, mem] : llvm::zip(op.getResults(), outs))
    results.push_back(e.toTensor(res.getType(), mem));
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.rms_norm and ssm.gated_rms_norm
//===----------------------------------------------------------------------===//

/// Normalises `x` (optionally gated by silu(z)) over contiguous groups of
/// `groupSize` channels of the last dimension (all of it when null).
void lowerNorm(Emitter &e, Value x, Value z, Value w, Value y, Value groupSize,
               double eps) {
  auto type = cast<MemRefType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<Value> outer;
  for (int64_t i = 0; i + 1 < rank; ++i)
    outer.push_back(e.dim(x, i));
  Value d = e.dim(x, rank - 1);
  Value gs = groupSize ? groupSize : d;
  if (groupSize)
    outer.push_back(e.idiv(d, gs));
  Value gsF = e.toFloat(gs);
  Value epsV = e.cst(eps);

  e.nest(outer, [&](ValueRange ivs) {
    SmallVector<Value> row(groupSize ? ivs.drop_back() : ivs);
    Value base = groupSize ? e.imul(ivs.back(), gs) : e.idx(0);
    auto valueAt = [&](Value col) {
      SmallVector<Value> at(row);
      at.push_back(col);
      Value v = e.load(x, at);
      if (z)
        v = e.mul(v, e.silu(e.load(z, at)));
      return v;
    };
    Value sumSq =
        e.loop(gs, ValueRange{e.cst(0.0)}, [&](Value j, ValueRange acc) {
          Value v = valueAt(e.iadd(base, j));
          return SmallVector<Value>{e.add(acc[0], e.mul(v, v))};
        })[0];
    Value inv =
        e.div(e.cst(1.0),
              math::SqrtOp::create(e.b, e.loc, e.add(e.div(sumSq, gsF), epsV)));
    e.forEach(gs, [&](Value j) {
      Value col = e.iadd(base, j);
      SmallVector<Value> at(row);
      at.push_back(col);
      e.store(e.mul(e.mul(valueAt(col), inv), e.load(w, col)), y, at);
    });
  });
}

/// All sizes of a buffer.
SmallVector<Value> sizesOf(Emitter &e, Value mem) {
  SmallVector<Value> sizes;
  for (int64_t i = 0, r = cast<MemRefType>(mem.getType()).getRank(); i < r; ++i)
    sizes.push_back(e.dim(mem, i));
  return sizes;
}

LogicalResult lower(RMSNormOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value x = e.buffer(op.getX()), w = e.buffer(op.getWeight());
  Value y = e.alloc(op.getY().getType(), sizesOf(e, x));
  lowerNorm(e, x, Value(), w, y, Value(), op.getEps().convertToDouble());
  rewriter.replaceOp(op, e.toTensor(op.getY().getType(), y));
  return success();
}

LogicalResult lower(GatedRMSNormOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value x = e.buffer(op.getX()), z = e.buffer(op.getZ()),
        w = e.buffer(op.getWeight());
  Value y = e.alloc(op.getY().getType(), sizesOf(e, x));
  lowerNorm(e, x, z, w, y, e.idx(op.getGroupSize()),
            op.getEps().convertToDouble());
  rewriter.replaceOp(op, e.toTensor(op.getY().getType(), y));
  return success();
}

LogicalResult lower(LinearAttentionOp op, PatternRewriter &rewriter, int64_t) {
  return lowerLinearAttention(op, rewriter);
}

/// Lowers one op kind with the matching `lower` overload.
template <typename OpTy> struct LowerToLoops : OpRewritePattern<OpTy> {
  LowerToLoops(MLIRContext *ctx, int64_t maxUnrolledState)
      : OpRewritePattern<OpTy>(ctx), maxUnrolledState(maxUnrolledState) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const final {
    return lower(op, rewriter, maxUnrolledState);
  }

  int64_t maxUnrolledState;
};

/// ssm.recurrence, with its sequence split.
struct LowerRecurrence : OpRewritePattern<RecurrenceOp> {
  LowerRecurrence(MLIRContext *ctx, RecurrenceSplit split)
      : OpRewritePattern<RecurrenceOp>(ctx), split(split) {}

  LogicalResult matchAndRewrite(RecurrenceOp op,
                                PatternRewriter &rewriter) const final {
    return lowerRecurrence(op, rewriter, split);
  }

  RecurrenceSplit split;
};

struct ConvertSSMToLoopsPass
    : ssmc::impl::ConvertSSMToLoopsBase<ConvertSSMToLoopsPass> {
  using Base::Base;

  void runOnOperation() final {
    unsigned count = 0;
    getOperation()->walk([&](Operation *op) {
      count += isa<SelectiveScanOp, SSDOp, CausalConv1dOp, StateUpdateOp,
                   ScanOp, RMSNormOp, GatedRMSNormOp, RecurrenceOp,
                   LinearAttentionOp>(op);
    });
    annotateSSDChunkSizes(getOperation(), ssdSequential);
    RewritePatternSet patterns(&getContext());
    ssmc::populateSSMToLoopsPatterns(patterns, maxUnrolledState,
                                     recurrenceSegment, recurrenceUnroll);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Mixers (and anything else of the dialect) have no loop form here.
    WalkResult left = getOperation()->walk([&](Operation *op) {
      if (isa<SSMDialect>(op->getDialect())) {
        op->emitOpError("has no loop lowering; decompose mixers first "
                        "(ssm-decompose-mixers)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      return signalPassFailure();
    numLowered += count;
  }
};

} // namespace

void ssmc::populateSSMToLoopsPatterns(RewritePatternSet &patterns,
                                      int64_t maxUnrolledState,
                                      int64_t recurrenceSegment,
                                      int64_t recurrenceUnroll) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LowerToLoops<SelectiveScanOp>, LowerToLoops<SSDOp>,
               LowerToLoops<CausalConv1dOp>, LowerToLoops<StateUpdateOp>,
               LowerToLoops<ScanOp>, LowerToLoops<RMSNormOp>,
               LowerToLoops<GatedRMSNormOp>,
               LowerToLoops<LinearAttentionOp>>(ctx, maxUnrolledState);
  patterns.add<LowerRecurrence>(
      ctx, RecurrenceSplit{recurrenceSegment, recurrenceUnroll});
  // The activations that lowered recurrences leave in the loops.
  ssmc::ssm::populateExpandActivationsPatterns(patterns);
}

void ssmc::populateRecurrenceToLoopsPatterns(RewritePatternSet &patterns,
                                             int64_t recurrenceSegment,
                                             int64_t recurrenceUnroll) {
  patterns.add<LowerToLoops<LinearAttentionOp>>(patterns.getContext(),
                                                /*maxUnrolledState=*/0);
  patterns.add<LowerRecurrence>(
      patterns.getContext(),
      RecurrenceSplit{recurrenceSegment, recurrenceUnroll});
}
