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
#include "ssmc/Conversion/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

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

/// log2(e): exp(x) = exp2(x * log2(e)), folded into A once per row.
constexpr double kLog2E = 1.4426950408889634;

/// Builds buffers, loops and scalar math at one location, computing in
/// `ct` (f32, or f64 for f64 inputs).
class Emitter {
public:
  Emitter(OpBuilder &b, Location loc, FloatType ct) : b(b), loc(loc), ct(ct) {}

  OpBuilder &b;
  Location loc;
  FloatType ct;

  Value cst(double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ct, v));
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value exp2(Value x) { return math::Exp2Op::create(b, loc, x); }
  Value iadd(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value isub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value imul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value idiv(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value icmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }

  /// softplus(x) = x for x > 20, else log1p(exp(x)).
  Value softplus(Value x) {
    Value big =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, cst(20.0));
    Value soft = math::Log1pOp::create(b, loc, exp(x));
    return select(big, x, soft);
  }

  /// silu(x) = x * sigmoid(x) = x / (1 + exp(-x)).
  Value silu(Value x) {
    return div(x, add(cst(1.0), exp(arith::NegFOp::create(b, loc, x))));
  }

  /// An index as a value of the compute type.
  Value toFloat(Value i) {
    Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i);
    return arith::UIToFPOp::create(b, loc, ct, i64);
  }

  /// Converts a float scalar to `to`.
  Value convert(Value v, Type to) {
    Type from = v.getType();
    if (from == to)
      return v;
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }

  /// Reads a tensor operand as a buffer of any layout.
  Value buffer(Value tensor) {
    if (!tensor)
      return Value();
    auto type = cast<TensorType>(tensor.getType());
    BaseMemRefType memType =
        bufferization::getMemRefTypeWithFullyDynamicLayout(type);
    return bufferization::ToBufferOp::create(b, loc, Type(memType), tensor,
                                             /*read_only=*/true);
  }

  /// A fresh buffer for a result of type `type`; `sizes` gives every
  /// dimension, of which the dynamic ones are used.
  Value alloc(Type type, ArrayRef<Value> sizes) {
    auto tensorType = cast<RankedTensorType>(type);
    auto memType =
        MemRefType::get(tensorType.getShape(), tensorType.getElementType());
    SmallVector<Value> dyn;
    for (auto [i, size] : llvm::enumerate(sizes))
      if (tensorType.isDynamicDim(i))
        dyn.push_back(size);
    return memref::AllocOp::create(b, loc, memType, dyn);
  }

  /// A scratch row of `n` elements of the compute type.
  Value scratch(Value n) {
    auto memType = MemRefType::get({ShapedType::kDynamic}, ct);
    return memref::AllocOp::create(b, loc, memType, ValueRange{n});
  }

  /// The tensor value of a result buffer.
  Value toTensor(Type type, Value mem) {
    return bufferization::ToTensorOp::create(b, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  }

  /// Size `i` of a buffer, as a constant when static.
  Value dim(Value mem, int64_t i) {
    auto type = cast<MemRefType>(mem.getType());
    if (!type.isDynamicDim(i))
      return idx(type.getDimSize(i));
    return memref::DimOp::create(b, loc, mem, i);
  }

  /// Loads an element as it is stored.
  Value loadRaw(Value mem, ValueRange ivs) {
    return memref::LoadOp::create(b, loc, mem, ivs);
  }
  /// Loads an element in the compute type.
  Value load(Value mem, ValueRange ivs) {
    return convert(loadRaw(mem, ivs), ct);
  }
  /// Stores `v` converted to the buffer's element type.
  void store(Value v, Value mem, ValueRange ivs) {
    Type elt = cast<MemRefType>(mem.getType()).getElementType();
    Value s = convert(v, elt);
    memref::StoreOp::create(b, loc, s, mem, ivs);
  }

  /// Builds `scf.for %iv = lb to ub` carrying `inits`; `body` gets the
  /// induction variable and the carried values and returns the values to
  /// carry on (none without `inits`). Returns the loop's results.
  SmallVector<Value>
  loop(Value lb, Value ub, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, idx(1), inits);
    OpBuilder::InsertionGuard guard(b);
    Block *block = forOp.getBody();
    if (inits.empty())
      b.setInsertionPoint(block->getTerminator());
    else
      b.setInsertionPointToEnd(block);
    SmallVector<Value> next =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    if (!inits.empty())
      scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(forOp.getResults());
  }
  SmallVector<Value>
  loop(Value ub, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return loop(idx(0), ub, inits, body);
  }
  /// A loop that carries nothing.
  void forEach(Value ub, function_ref<void(Value)> body) {
    loop(ub, {}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>();
    });
  }
  /// A perfect nest over `ubs`, outermost first.
  void nest(ArrayRef<Value> ubs, function_ref<void(ValueRange)> body) {
    SmallVector<Value> ivs;
    std::function<void(unsigned)> rec = [&](unsigned depth) {
      if (depth == ubs.size()) {
        body(ivs);
        return;
      }
      forEach(ubs[depth], [&](Value iv) {
        ivs.push_back(iv);
        rec(depth + 1);
        ivs.pop_back();
      });
    };
    rec(0);
  }

  /// `scf.if cond` yielding `types`, with the branches built by callbacks
  /// (no else branch when `elseFn` is null, which needs empty `types`).
  SmallVector<Value> ifElse(Value cond, TypeRange types,
                            function_ref<SmallVector<Value>()> thenFn,
                            function_ref<SmallVector<Value>()> elseFn = {}) {
    auto ifOp = scf::IfOp::create(b, loc, types, cond,
                                  /*withElseRegion=*/bool(elseFn));
    OpBuilder::InsertionGuard guard(b);
    auto fill = [&](Block *block, function_ref<SmallVector<Value>()> fn) {
      if (block->mightHaveTerminator())
        b.setInsertionPoint(block->getTerminator());
      else
        b.setInsertionPointToEnd(block);
      SmallVector<Value> values = fn();
      if (!types.empty())
        scf::YieldOp::create(b, loc, values);
    };
    fill(ifOp.thenBlock(), thenFn);
    if (elseFn)
      fill(ifOp.elseBlock(), elseFn);
    return SmallVector<Value>(ifOp.getResults());
  }

  /// dt = clamp(softplus(dt + bias), lo, hi), each step when requested.
  Value processDt(Value dt, Value bias, bool softplusOn,
                  std::optional<ArrayRef<double>> limit) {
    if (bias)
      dt = add(dt, bias);
    if (softplusOn)
      dt = softplus(dt);
    if (limit && limit->size() == 2) {
      dt = arith::MaximumFOp::create(b, loc, dt, cst((*limit)[0]));
      dt = arith::MinimumFOp::create(b, loc, dt, cst((*limit)[1]));
    }
    return dt;
  }
};

/// f64 when any float operand or result is f64, else f32.
FloatType computeType(Operation *op) {
  Builder b(op->getContext());
  auto isF64 = [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.getElementType().isF64();
  };
  if (llvm::any_of(op->getOperandTypes(), isF64) ||
      llvm::any_of(op->getResultTypes(), isF64))
    return b.getF64Type();
  return b.getF32Type();
}

/// The static size of dimension `i` of `v` when it is at most `max`.
std::optional<int64_t> staticSize(Value v, int64_t i, int64_t max) {
  auto type = cast<ShapedType>(v.getType());
  if (type.isDynamicDim(i) || type.getDimSize(i) > max)
    return std::nullopt;
  return type.getDimSize(i);
}

//===----------------------------------------------------------------------===//
// Recurrence over time of one state row
//===----------------------------------------------------------------------===//

/// What one step of a diagonal recurrence h[j] = decay(j) h[j] + inc(j) needs:
/// the per-step decay and input of element j, and what to do with the
/// updated element (accumulated into y).
struct RowStep {
  /// The updated element j given the previous one; `jStatic` is j when the
  /// row is unrolled, else -1.
  function_ref<Value(Value j, int64_t jStatic, Value prev)> update;
  /// The contribution of updated element j to y.
  function_ref<Value(Value j, Value h)> output;
};

/// Runs one step over a state row of `n` elements and returns y = sum of
/// outputs. With `regs` (static n), the row is carried in `regs`, which is
/// updated; otherwise it lives in the buffer `row`.
Value rowStep(Emitter &e, Value n, SmallVectorImpl<Value> *regs, Value row,
              const RowStep &step) {
  if (regs) {
    Value y;
    for (int64_t j = 0, size = regs->size(); j < size; ++j) {
      Value jv = e.idx(j);
      Value h = step.update(jv, j, (*regs)[j]);
      Value term = step.output(jv, h);
      y = y ? e.add(y, term) : term;
      (*regs)[j] = h;
    }
    return y ? y : e.cst(0.0);
  }
  return e.loop(n, ValueRange{e.cst(0.0)}, [&](Value j, ValueRange acc) {
    Value h = step.update(j, -1, e.load(row, j));
    e.store(h, row, j);
    return SmallVector<Value>{e.add(acc[0], step.output(j, h))};
  })[0];
}

//===----------------------------------------------------------------------===//
// ssm.selective_scan
//===----------------------------------------------------------------------===//

LogicalResult lower(SelectiveScanOp op, PatternRewriter &rewriter,
                    int64_t maxUnrolled) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value u = e.buffer(op.getU()), delta = e.buffer(op.getDelta());
  Value a = e.buffer(op.getA()), bMat = e.buffer(op.getB()),
        cMat = e.buffer(op.getC());
  Value dVec = e.buffer(op.getD()), z = e.buffer(op.getZ());
  Value bias = e.buffer(op.getDeltaBias());
  Value h0 = e.buffer(op.getInitialState());
  bool softplus = op.getDeltaSoftplus();

  Value batch = e.dim(u, 0), d = e.dim(u, 1), l = e.dim(u, 2);
  Value g = e.dim(bMat, 1), n = e.dim(a, 1);
  Value out = e.alloc(op.getOut().getType(), {batch, d, l});
  Value fin;
  if (op.getFinalState())
    fin = e.alloc(op.getFinalState().getType(), {batch, d, n});
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
    SmallVector<Value> last = e.loop(l, init, [&](Value t, ValueRange carried) {
      Value dt =
          e.processDt(e.load(delta, {bi, c, t}), biasC, softplus, std::nullopt);
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

  SmallVector<Value> results{e.toTensor(op.getOut().getType(), out)};
  if (fin)
    results.push_back(e.toTensor(op.getFinalState().getType(), fin));
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.ssd
//===----------------------------------------------------------------------===//

LogicalResult lower(SSDOp op, PatternRewriter &rewriter, int64_t maxUnrolled) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value x = e.buffer(op.getX()), dtBuf = e.buffer(op.getDt());
  Value a = e.buffer(op.getA()), bMat = e.buffer(op.getB()),
        cMat = e.buffer(op.getC());
  Value dBuf = e.buffer(op.getD()), z = e.buffer(op.getZ());
  Value bias = e.buffer(op.getDtBias());
  Value h0 = e.buffer(op.getInitialStates());
  Value seqIdx = e.buffer(op.getSeqIdx());
  bool softplus = op.getDtSoftplus();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  bool dPerChannel =
      op.getD() && cast<ShapedType>(op.getD().getType()).getRank() == 2;

  Value batch = e.dim(x, 0), l = e.dim(x, 1), h = e.dim(x, 2), p = e.dim(x, 3);
  Value g = e.dim(bMat, 2), n = e.dim(bMat, 3);
  Value out = e.alloc(op.getOut().getType(), {batch, l, h, p});
  Value fin;
  if (op.getFinalStates())
    fin = e.alloc(op.getFinalStates().getType(), {batch, h, p, n});
  Value perGroup = e.idiv(h, g);
  std::optional<int64_t> nStatic = staticSize(op.getB(), 3, maxUnrolled);
  Value hRow;
  if (!nStatic)
    hRow = e.scratch(n);
  Value zero = e.idx(0), one = e.idx(1);

  // One (batch, head, head channel) row of the (p, n) state at a time.
  e.nest({batch, h, p}, [&](ValueRange ivs) {
    Value bi = ivs[0], hh = ivs[1], pi = ivs[2];
    Value gi = e.idiv(hh, perGroup);
    Value a2 = e.mul(e.load(a, hh), e.cst(kLog2E));
    Value biasH = bias ? e.load(bias, hh) : Value();
    Value dH;
    if (dBuf)
      dH = dPerChannel ? e.load(dBuf, {hh, pi}) : e.load(dBuf, hh);
    SmallVector<Value> init;
    if (nStatic) {
      for (int64_t j = 0; j < *nStatic; ++j)
        init.push_back(h0 ? e.load(h0, {bi, hh, pi, e.idx(j)}) : e.cst(0.0));
    } else {
      e.forEach(n, [&](Value j) {
        e.store(h0 ? e.load(h0, {bi, hh, pi, j}) : e.cst(0.0), hRow, j);
      });
    }
    SmallVector<Value> last = e.loop(l, init, [&](Value t, ValueRange carried) {
      Value dt =
          e.processDt(e.load(dtBuf, {bi, t, hh}), biasH, softplus, limit);
      Value xv = e.load(x, {bi, t, hh, pi});
      Value decay = e.exp2(e.mul(dt, a2));
      Value dtx = e.mul(dt, xv);
      // A new sequence of a packed row starts with a zero state.
      Value reset;
      if (seqIdx) {
        Value isFirst = e.icmp(arith::CmpIPredicate::eq, t, zero);
        Value prevT = e.select(isFirst, zero, e.isub(t, one));
        reset = e.icmp(arith::CmpIPredicate::ne, e.loadRaw(seqIdx, {bi, t}),
                       e.loadRaw(seqIdx, {bi, prevT}));
      }
      Value zeroF = e.cst(0.0);
      auto update = [&](Value j, int64_t, Value prev) {
        if (reset)
          prev = e.select(reset, zeroF, prev);
        Value inc = e.mul(dtx, e.load(bMat, {bi, t, gi, j}));
        return e.add(e.mul(decay, prev), inc);
      };
      auto output = [&](Value j, Value hv) {
        return e.mul(e.load(cMat, {bi, t, gi, j}), hv);
      };
      SmallVector<Value> regs(carried);
      Value y = rowStep(e, n, nStatic ? &regs : nullptr, hRow,
                        RowStep{update, output});
      if (dH)
        y = e.add(y, e.mul(dH, xv));
      if (z)
        y = e.mul(y, e.silu(e.load(z, {bi, t, hh, pi})));
      e.store(y, out, {bi, t, hh, pi});
      return regs;
    });
    if (fin) {
      if (nStatic) {
        for (auto [j, hv] : llvm::enumerate(last))
          e.store(hv, fin, {bi, hh, pi, e.idx(j)});
      } else {
        e.forEach(n, [&](Value j) {
          e.store(e.load(hRow, j), fin, {bi, hh, pi, j});
        });
      }
    }
  });

  SmallVector<Value> results{e.toTensor(op.getOut().getType(), out)};
  if (fin)
    results.push_back(e.toTensor(op.getFinalStates().getType(), fin));
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.causal_conv1d
//===----------------------------------------------------------------------===//

LogicalResult lower(CausalConv1dOp op, PatternRewriter &rewriter, int64_t) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Value x = e.buffer(op.getX()), w = e.buffer(op.getWeight());
  Value bias = e.buffer(op.getBias());
  Value state = e.buffer(op.getConvState());

  Value batch = e.dim(x, 0), ch = e.dim(x, 1), l = e.dim(x, 2);
  Value k = e.dim(w, 1);
  Value one = e.idx(1);
  Value km1 = e.isub(k, one);
  Value y = e.alloc(op.getY().getType(), {batch, ch, l});
  Value newState;
  if (op.getNewConvState())
    newState = e.alloc(op.getNewConvState().getType(), {batch, ch, km1});

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

  // A static conv width (at most 16) keeps the channel's taps in registers.
  std::optional<int64_t> kStatic = staticSize(op.getWeight(), 1, 16);

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

  SmallVector<Value> results{e.toTensor(op.getY().getType(), y)};
  if (newState)
    results.push_back(e.toTensor(op.getNewConvState().getType(), newState));
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

  e.nest(xSizes, [&](ValueRange ivs) {
    Value bi = ivs[0], hh = ivs[1];
    Value gi = e.idiv(hh, perGroup);
    Value biasH = bias ? e.load(bias, hh) : Value();
    Value dt = e.processDt(e.load(dtBuf, {bi, hh}), biasH, softplus, limit);
    Value xv = e.load(x, ivs);
    Value dtx = e.mul(dt, xv);
    Value decayHead = mamba2 ? e.exp(e.mul(dt, e.load(a, hh))) : Value();
    Value acc =
        e.loop(n, ValueRange{e.cst(0.0)}, [&](Value j, ValueRange carried) {
          SmallVector<Value> at(ivs);
          at.push_back(j);
          Value decay =
              mamba2 ? decayHead : e.exp(e.mul(dt, e.load(a, {hh, j})));
          Value hv = e.add(e.mul(decay, e.load(state, at)),
                           e.mul(dtx, e.load(bMat, {bi, gi, j})));
          e.store(hv, newState, at);
          return SmallVector<Value>{
              e.add(carried[0], e.mul(e.load(cMat, {bi, gi, j}), hv))};
        })[0];
    if (dBuf) {
      Value dv = dPerChannel ? e.load(dBuf, {hh, ivs[2]}) : e.load(dBuf, hh);
      acc = e.add(acc, e.mul(dv, xv));
    }
    if (z)
      acc = e.mul(acc, e.silu(e.load(z, ivs)));
    e.store(acc, y, ivs);
  });

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

struct ConvertSSMToLoopsPass
    : ssmc::impl::ConvertSSMToLoopsBase<ConvertSSMToLoopsPass> {
  using Base::Base;

  void runOnOperation() final {
    unsigned count = 0;
    getOperation()->walk([&](Operation *op) {
      count += isa<SelectiveScanOp, SSDOp, CausalConv1dOp, StateUpdateOp,
                   ScanOp, RMSNormOp, GatedRMSNormOp>(op);
    });
    RewritePatternSet patterns(&getContext());
    ssmc::populateSSMToLoopsPatterns(patterns, maxUnrolledState);
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
                                      int64_t maxUnrolledState) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LowerToLoops<SelectiveScanOp>, LowerToLoops<SSDOp>,
               LowerToLoops<CausalConv1dOp>, LowerToLoops<StateUpdateOp>,
               LowerToLoops<ScanOp>, LowerToLoops<RMSNormOp>,
               LowerToLoops<GatedRMSNormOp>>(ctx, maxUnrolledState);
}
