//===- LinearAttentionToLoops.cpp - ssm.linear_attention, chunked ---------===//
//
// Lowers ssm.linear_attention to its chunked dual form on the CPU: one
// scf.parallel task per recurrence (outer index) keeps its (K, V) state in a stack
// buffer and walks the sequence in chunks of Q steps. With b_i the decay's
// cumulative log within the chunk (per key dimension, or one per step):
//
//   out_i = sum_{j <= i} (sum_k q_i[k] k_j[k] exp(b_i[k] - b_j[k])) v_j
//         + (q_i ⊙ exp(b_i))ᵀ S
//   S    <- diag(exp(b_last)) S + sum_j (k_j ⊙ exp(b_last - b_j)) v_jᵀ
//
// Every exponent is a difference b_i - b_j with j <= i or a cumulative sum
// itself, so with log decays <= 0 no exp exceeds 1 (no overflow however
// long the chunk, and no division by a decay).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;
using namespace ssmc::ssm;
using namespace ssmc::loops;

namespace {

/// The CPU chunk length: the op's, capped where the L² part of the work
/// stops paying for itself on CPU cores.
constexpr int64_t kMaxChunkCPU = 32;

} // namespace

LogicalResult ssmc::loops::lowerLinearAttention(LinearAttentionOp op,
                                                PatternRewriter &rewriter) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Location loc = op.getLoc();
  Value q = e.buffer(op.getQ()), k = e.buffer(op.getK()),
        v = e.buffer(op.getV()), a = e.buffer(op.getLogDecay());
  Value init = e.buffer(op.getInitialState());

  int64_t rank = cast<ShapedType>(op.getQ().getType()).getRank();
  int64_t numOuter = rank - 2;
  bool perKey = cast<ShapedType>(op.getLogDecay().getType()).getRank() == rank;
  SmallVector<Value> outer, outSizes, finSizes;
  for (int64_t i = 0; i < numOuter; ++i)
    outer.push_back(e.dim(q, i));
  Value t = e.dim(q, numOuter), kd = e.dim(q, numOuter + 1),
        vd = e.dim(v, numOuter + 1);
  outSizes.assign(outer.begin(), outer.end());
  outSizes.append({t, vd});
  finSizes.assign(outer.begin(), outer.end());
  finSizes.append({kd, vd});
  Value out = e.alloc(op.getOut().getType(), outSizes);
  Value fin;
  if (op.getFinalState())
    fin = e.alloc(op.getFinalState().getType(), finSizes);
  int64_t chunk = std::min<int64_t>(op.getChunkSize(), kMaxChunkCPU);
  Value qv = e.idx(chunk), zero = e.idx(0), one = e.idx(1);
  Value decayWidth = perKey ? kd : one;
  Value numChunks = e.idiv(e.iadd(t, e.idx(chunk - 1)), qv);

  // One task per recurrence (a single one without outer dimensions).
  OpBuilder::InsertionGuard guard(rewriter);
  SmallVector<Value> tasks =
      beginParallelTasks(e, outer.empty() ? SmallVector<Value>{one} : outer);
  SmallVector<Value> pre(tasks.begin(), tasks.begin() + numOuter);
  // The index (outer..., rest...).
  auto at = [&](std::initializer_list<Value> rest) {
    SmallVector<Value> idx(pre);
    idx.append(rest.begin(), rest.end());
    return idx;
  };

  Value state = stackBuffer(e, {kd, vd});
  Value cum = stackBuffer(e, {qv, decayWidth});
  Value attn = stackBuffer(e, {qv, qv});
  Value row = stackBuffer(e, {vd});
  e.nest({kd, vd}, [&](ValueRange ij) {
    e.store(init ? e.load(init, at({ij[0], ij[1]})) : e.cst(0.0), state,
            {ij[0], ij[1]});
  });
  // The cumulative log decay of key dimension kk (0 when per step).
  auto decayAt = [&](Value i, Value kk) {
    return e.load(cum, {i, perKey ? kk : zero});
  };

  e.forEach(numChunks, [&](Value c) {
    Value t0 = e.imul(c, qv);
    Value len = arith::MinUIOp::create(rewriter, loc, qv, e.isub(t, t0));
    Value last = e.isub(len, one);
    // Cumulative log decays.
    e.forEach(decayWidth, [&](Value kk) {
      e.loop(len, ValueRange{e.cst(0.0)}, [&](Value i, ValueRange acc) {
        Value ti = e.iadd(t0, i);
        Value ai = perKey ? e.load(a, at({ti, kk})) : e.load(a, at({ti}));
        Value sum = e.add(acc[0], ai);
        e.store(sum, cum, {i, kk});
        return SmallVector<Value>{sum};
      });
    });
    // The masked, decayed scores q_i·k_j for j <= i.
    e.forEach(len, [&](Value i) {
      Value ti = e.iadd(t0, i);
      e.forEach(e.iadd(i, one), [&](Value j) {
        Value tj = e.iadd(t0, j);
        Value score;
        if (perKey) {
          score = e.loop(kd, ValueRange{e.cst(0.0)}, [&](Value kk,
                                                         ValueRange acc) {
            Value w = e.exp(e.sub(decayAt(i, kk), decayAt(j, kk)));
            Value qk = e.mul(e.load(q, at({ti, kk})), e.load(k, at({tj, kk})));
            return SmallVector<Value>{e.add(acc[0], e.mul(qk, w))};
          })[0];
        } else {
          Value dot = e.loop(kd, ValueRange{e.cst(0.0)}, [&](Value kk,
                                                             ValueRange acc) {
            Value qk = e.mul(e.load(q, at({ti, kk})), e.load(k, at({tj, kk})));
            return SmallVector<Value>{e.add(acc[0], qk)};
          })[0];
          score = e.mul(dot, e.exp(e.sub(decayAt(i, zero), decayAt(j, zero))));
        }
        e.store(score, attn, {i, j});
      });
    });
    // Outputs: the chunk's own part, then the carried state's.
    e.forEach(len, [&](Value i) {
      Value ti = e.iadd(t0, i);
      e.forEach(vd, [&](Value vv) { e.store(e.cst(0.0), row, vv); });
      e.forEach(e.iadd(i, one), [&](Value j) {
        Value w = e.load(attn, {i, j});
        Value tj = e.iadd(t0, j);
        e.forEach(vd, [&](Value vv) {
          e.store(e.add(e.load(row, vv), e.mul(w, e.load(v, at({tj, vv})))),
                  row, vv);
        });
      });
      e.forEach(kd, [&](Value kk) {
        Value w = e.mul(e.load(q, at({ti, kk})), e.exp(decayAt(i, kk)));
        e.forEach(vd, [&](Value vv) {
          e.store(e.add(e.load(row, vv), e.mul(w, e.load(state, {kk, vv}))),
                  row, vv);
        });
      });
      e.forEach(vd, [&](Value vv) {
        e.store(e.load(row, vv), out, at({ti, vv}));
      });
    });
    // The state at the chunk's end.
    e.forEach(kd, [&](Value kk) {
      Value bLast = decayAt(last, kk);
      Value keep = e.exp(bLast);
      e.forEach(vd, [&](Value vv) {
        e.store(e.mul(keep, e.load(state, {kk, vv})), state, {kk, vv});
      });
      e.forEach(len, [&](Value j) {
        Value tj = e.iadd(t0, j);
        Value w = e.mul(e.load(k, at({tj, kk})),
                        e.exp(e.sub(bLast, decayAt(j, kk))));
        e.forEach(vd, [&](Value vv) {
          e.store(e.add(e.load(state, {kk, vv}),
                        e.mul(w, e.load(v, at({tj, vv})))),
                  state, {kk, vv});
        });
      });
    });
  });
  if (fin)
    e.nest({kd, vd}, [&](ValueRange ij) {
      e.store(e.load(state, {ij[0], ij[1]}), fin, at({ij[0], ij[1]}));
    });

  rewriter.setInsertionPoint(op);
  SmallVector<Value> results{e.toTensor(op.getOut().getType(), out)};
  if (fin)
    results.push_back(e.toTensor(op.getFinalState().getType(), fin));
  rewriter.replaceOp(op, results);
  return success();
}
