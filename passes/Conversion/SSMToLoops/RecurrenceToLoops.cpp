//===- RecurrenceToLoops.cpp - ssm.recurrence as a sequential scan --------===//
//
// Lowers ssm.recurrence to loops that walk the time dimension in order: the
// sequential form, which computes any recurrence the op can express.
//
// The dimensions that every state and output has and that no ssm.rec_sum
// sums over are "outer": no value mixes across them, so each outer point is
// an independent recurrence, and the outer loops are one scf.parallel. The
// other dimensions are "inner": per outer point, each state lives in a stack
// buffer over its inner dimensions, and each step evaluates the body
// pointwise. A value that ranges over no inner dimension is one scalar per
// step; a value over inner dimensions is computed where it is used (inlined
// into the user's loop nest), except when it is used twice, broadcast into
// a larger nest, or is a new state: then it is computed once per step into a
// stack buffer. Sums over a dimension are loop nests that accumulate.
//
// The segmented form (RecurrenceSplit::segmentLength > 0) is for scalar
// diagonal recurrences: every value of the body is one scalar per outer point
// and step (no inner dimension), and each new state is affine in its own
// state, h' = a * h + b, with a and b free of states (HGRN, RG-LRU). The
// time dimension is cut into segments of that length, and three
// scf.parallel phases replace the walk over the whole sequence:
//   1. per (segment, outer point): the segment from a zero state, giving its
//      local final state and the product of its decays a;
//   2. per outer point: the carries into each segment, in order (one
//      multiply-add per segment), and the final state;
//   3. per (segment, outer point): the segment again from its carry,
//      storing the outputs.
// The inputs are read twice, but every phase has segments x outer points
// of independent work instead of the outer points alone. Within a segment,
// `unroll` steps at a time first compute everything that does not depend on
// the states (the loads among it), then the state updates.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"
#include "ssmc/Dialect/SSM/IR/Recurrence.h"

using namespace mlir;
using namespace ssmc::ssm;
using namespace ssmc::loops;

namespace {

/// Emits the loops of one ssm.recurrence.
class RecurrenceLowering {
public:
  RecurrenceLowering(RecurrenceOp op, const RecurrenceShape &shape,
                     PatternRewriter &rewriter, RecurrenceSplit split)
      : op(op), s(shape), rewriter(rewriter),
        e(rewriter, op.getLoc(), rewriter.getF32Type()), split(split) {}

  LogicalResult run();

private:
  RecurrenceOp op;
  const RecurrenceShape &s;
  PatternRewriter &rewriter;
  Emitter e;
  RecurrenceSplit split;

  /// Segmented form: the states each body value depends on (a bit each).
  DenseMap<Value, uint64_t> stateDeps;
  /// Whether the recurrence is scalar and diagonal (see the file comment).
  bool canSegment();
  /// Whether `v` is affine in state `st` (its other operands free of it).
  bool affineIn(Value v, unsigned st);
  /// d v / d state `st` at one step (null: zero), from the step's values.
  Value coefficient(Value v, unsigned st, IRMapping &step);
  /// Emits the three phases of the segmented form.
  void runSegmented();
  /// Emits the sequential form.
  LogicalResult runSequential();
  /// Walks steps [from, to) of one segment at outer point `at` from the
  /// states `init`; returns the states after it and, with `decays`, each
  /// state's product of decays; stores the outputs when `storeOutputs`.
  SmallVector<Value> walkSegment(SmallVector<Value> &at, Value from, Value to,
                                 ValueRange init, bool decays,
                                 bool storeOutputs);

  DimMask outer = 0, inner = 0;
  /// The size of every dimension (index values, built before the loops).
  SmallVector<Value> sizes;
  SmallVector<Value> inputBufs, initBufs, outputBufs, finalBufs;
  /// Per outer point: the states' buffers over their inner dimensions.
  SmallVector<Value> cur;
  /// Per step: body values computed once, as scalars or buffers.
  DenseMap<Value, Value> scalars, buffers;
  /// Body values computed into a buffer when they are defined.
  llvm::DenseSet<Value> materialize;
  /// Per outer point, allocated before the loop over time and reused by
  /// every step: the buffer of each value computed into one, and of each
  /// state's next value when that is not such a buffer already.
  DenseMap<Value, Value> stepBuffers;
  SmallVector<Value> nextBuffers;

  /// The dimensions of `m` in increasing order.
  SmallVector<unsigned> dimsOf(DimMask m) const {
    SmallVector<unsigned> out;
    for (unsigned d = 0; d < s.dims.size(); ++d)
      if (m & s.bit(d))
        out.push_back(d);
    return out;
  }

  /// A stack buffer over the dimensions of `m` (increasing order).
  Value stackBuffer(DimMask m) {
    SmallVector<Value> dimSizes;
    for (unsigned d : dimsOf(m))
      dimSizes.push_back(sizes[d]);
    return ssmc::loops::stackBuffer(e, dimSizes);
  }

  /// The indices of a buffer over `m` at `at` (one index per dimension).
  SmallVector<Value> bufferIndex(DimMask m, ArrayRef<Value> at) const {
    SmallVector<Value> idx;
    for (unsigned d : dimsOf(m))
      idx.push_back(at[d]);
    return idx;
  }

  /// A loop nest over the dimensions of `m`, with `at` extended by the
  /// induction variables.
  void nestOver(DimMask m, SmallVector<Value> &at,
                llvm::function_ref<void()> body) {
    SmallVector<unsigned> dims = dimsOf(m);
    std::function<void(unsigned)> rec = [&](unsigned depth) {
      if (depth == dims.size()) {
        body();
        return;
      }
      e.forEach(sizes[dims[depth]], [&](Value iv) {
        at[dims[depth]] = iv;
        rec(depth + 1);
      });
    };
    rec(0);
  }

  /// The value of body value `v` at `at`.
  Value eval(Value v, ArrayRef<Value> at);
  /// Computes the body op `inner` once for this step, as a scalar or into a
  /// buffer, if it needs to be.
  void define(Operation *inner, SmallVector<Value> &at);
  void chooseMaterialized();
};

void RecurrenceLowering::chooseMaterialized() {
  Block &body = op.getBody().front();
  unsigned numStates = s.states.size();
  auto yield = cast<RecYieldOp>(body.getTerminator());
  for (Operation &inner : body.without_terminator()) {
    if (isa<arith::ConstantOp, RecSumOp>(inner))
      continue;
    Value v = inner.getResult(0);
    DimMask m = s.valueDims.lookup(v) & this->inner;
    if (!m)
      continue;
    unsigned uses = 0;
    bool broadcast = false, newState = false;
    for (OpOperand &use : v.getUses()) {
      ++uses;
      Operation *user = use.getOwner();
      if (user == yield.getOperation()) {
        newState |= use.getOperandNumber() < numStates;
        continue;
      }
      DimMask userDims = isa<RecSumOp>(user)
                             ? s.valueDims.lookup(user->getOperand(0))
                             : s.valueDims.lookup(user->getResult(0));
      broadcast |= (userDims & this->inner) != m;
    }
    if (uses > 1 || broadcast || newState)
      materialize.insert(v);
  }
}

Value RecurrenceLowering::eval(Value v, ArrayRef<Value> at) {
  if (Value sc = scalars.lookup(v))
    return sc;
  if (Value buf = buffers.lookup(v))
    return e.load(buf, bufferIndex(s.valueDims.lookup(v) & inner, at));
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    unsigned n = arg.getArgNumber();
    unsigned numInputs = s.inputs.size();
    if (n < numInputs) {
      SmallVector<Value> idx;
      for (unsigned d : s.inputs[n])
        idx.push_back(at[d]);
      return e.load(inputBufs[n], idx);
    }
    unsigned st = n - numInputs;
    return e.load(cur[st], bufferIndex(s.stateMasks[st] & inner, at));
  }
  Operation *def = v.getDefiningOp();
  IRMapping map;
  for (Value operand : def->getOperands())
    map.map(operand, eval(operand, at));
  return e.b.clone(*def, map)->getResult(0);
}

void RecurrenceLowering::define(Operation *innerOp, SmallVector<Value> &at) {
  Value v = innerOp->getResult(0);
  DimMask m = s.valueDims.lookup(v) & inner;
  if (auto sum = dyn_cast<RecSumOp>(innerOp)) {
    DimMask over = s.valueDims.lookup(sum.getValue()) & inner;
    DimMask summed = over & ~m;
    if (!m) {
      // One accumulator carried through the loops over the summed dims.
      SmallVector<unsigned> dims = dimsOf(summed);
      std::function<Value(unsigned, Value)> rec = [&](unsigned depth,
                                                      Value acc) -> Value {
        if (depth == dims.size())
          return e.add(acc, eval(sum.getValue(), at));
        return e.loop(sizes[dims[depth]], ValueRange{acc},
                      [&](Value iv, ValueRange carried) {
                        at[dims[depth]] = iv;
                        return SmallVector<Value>{
                            rec(depth + 1, carried[0])};
                      })[0];
      };
      scalars[v] = rec(0, e.cst(0.0));
      return;
    }
    Value buf = stepBuffers.lookup(v);
    nestOver(m, at, [&] { e.store(e.cst(0.0), buf, bufferIndex(m, at)); });
    nestOver(over, at, [&] {
      SmallVector<Value> idx = bufferIndex(m, at);
      e.store(e.add(e.load(buf, idx), eval(sum.getValue(), at)), buf, idx);
    });
    buffers[v] = buf;
    return;
  }
  if (!m) {
    scalars[v] = eval(v, at);
    return;
  }
  if (!materialize.contains(v))
    return;
  Value buf = stepBuffers.lookup(v);
  nestOver(m, at, [&] { e.store(eval(v, at), buf, bufferIndex(m, at)); });
  buffers[v] = buf;
}

LogicalResult RecurrenceLowering::run() {
  Block &body = op.getBody().front();
  unsigned numStates = s.states.size();
  unsigned numOutputs = s.outputs.size();

  // Outer and inner dimensions.
  DimMask summed = 0, used = 0;
  outer = ~DimMask(0);
  for (DimMask m : s.stateMasks)
    outer &= m;
  for (DimMask m : s.outputMasks)
    outer &= m;
  for (auto &[v, m] : s.valueDims)
    used |= m;
  body.walk([&](RecSumOp sum) {
    summed |= s.valueDims.lookup(sum.getValue()) &
              ~s.valueDims.lookup(sum.getResult());
  });
  outer &= ~summed;
  for (DimMask m : s.stateMasks)
    used |= m;
  for (DimMask m : s.outputMasks)
    used |= m;
  inner = used & ~outer & ~s.bit(s.time);

  // Operands, sizes and results.
  for (Value v : op.getInputs())
    inputBufs.push_back(e.buffer(v));
  for (Value v : op.getInitialStates())
    initBufs.push_back(e.buffer(v));
  for (unsigned d = 0; d < s.dims.size(); ++d) {
    auto [input, axis] = s.sizeSource[d];
    if (!ShapedType::isDynamic(s.staticSizes[d]))
      sizes.push_back(e.idx(s.staticSizes[d]));
    else if (input >= 0)
      sizes.push_back(e.dim(inputBufs[input], axis));
    else
      return rewriter.notifyMatchFailure(op, "a dimension has no size");
  }
  auto allocFor = [&](Value result, ArrayRef<unsigned> dims) {
    SmallVector<Value> sz;
    for (unsigned d : dims)
      sz.push_back(sizes[d]);
    return e.alloc(result.getType(), sz);
  };
  for (unsigned i = 0; i < numOutputs; ++i)
    outputBufs.push_back(allocFor(op.getOutputs()[i], s.outputs[i]));
  for (unsigned i = 0; i < numStates; ++i)
    finalBufs.push_back(allocFor(op.getFinalStates()[i], s.states[i]));

  if (split.segmentLength > 0 && canSegment()) {
    runSegmented();
  } else if (failed(runSequential())) {
    return failure();
  }
  rewriter.setInsertionPoint(op);
  SmallVector<Value> results;
  for (auto [res, mem] : llvm::zip(op.getOutputs(), outputBufs))
    results.push_back(e.toTensor(res.getType(), mem));
  for (auto [res, mem] : llvm::zip(op.getFinalStates(), finalBufs))
    results.push_back(e.toTensor(res.getType(), mem));
  rewriter.replaceOp(op, results);
  return success();
}

LogicalResult RecurrenceLowering::runSequential() {
  Block &body = op.getBody().front();
  unsigned numStates = s.states.size();
  unsigned numOutputs = s.outputs.size();
  chooseMaterialized();
  auto yield = cast<RecYieldOp>(body.getTerminator());

  // One task per outer point.
  SmallVector<unsigned> outerDims = dimsOf(outer);
  SmallVector<Value> ubs;
  for (unsigned d : outerDims)
    ubs.push_back(sizes[d]);
  OpBuilder::InsertionGuard guard(rewriter);
  if (!outerDims.empty()) {
    SmallVector<Value> tasks = beginParallelTasks(e, ubs);
    SmallVector<Value> at(s.dims.size());
    for (auto [i, d] : llvm::enumerate(outerDims))
      at[d] = tasks[i];
    auto runPoint = [&](SmallVector<Value> &at) {
      // State buffers, from the initial states or zero.
      for (unsigned st = 0; st < numStates; ++st) {
        DimMask m = s.stateMasks[st] & inner;
        cur.push_back(stackBuffer(m));
        nestOver(m, at, [&] {
          Value v = e.cst(0.0);
          if (!initBufs.empty()) {
            SmallVector<Value> idx;
            for (unsigned d : s.states[st])
              idx.push_back(at[d]);
            v = e.load(initBufs[st], idx);
          }
          e.store(v, cur[st], bufferIndex(m, at));
        });
      }
      // The step's buffers, once per outer point (a stack allocation inside
      // the loop over time would grow the stack at every step).
      for (Operation &innerOp : body.without_terminator()) {
        if (innerOp.getNumResults() != 1)
          continue;
        Value v = innerOp.getResult(0);
        DimMask m = s.valueDims.lookup(v) & inner;
        if (m && (isa<RecSumOp>(innerOp) || materialize.contains(v)))
          stepBuffers[v] = stackBuffer(m);
      }
      for (unsigned st = 0; st < numStates; ++st)
        nextBuffers.push_back(stackBuffer(s.stateMasks[st] & inner));
      e.forEach(sizes[s.time], [&](Value t) {
        at[s.time] = t;
        scalars.clear();
        buffers.clear();
        for (Operation &innerOp : body.without_terminator())
          define(&innerOp, at);
        // New states into buffers (unless already there), outputs stored.
        SmallVector<Value> next;
        for (unsigned st = 0; st < numStates; ++st) {
          Value v = yield.getValues()[st];
          DimMask m = s.stateMasks[st] & inner;
          Value buf = buffers.lookup(v);
          if (!buf || (s.valueDims.lookup(v) & inner) != m) {
            buf = nextBuffers[st];
            nestOver(m, at, [&] {
              e.store(eval(v, at), buf, bufferIndex(m, at));
            });
          }
          next.push_back(buf);
        }
        for (unsigned o = 0; o < numOutputs; ++o) {
          Value v = yield.getValues()[numStates + o];
          nestOver(s.outputMasks[o] & inner, at, [&] {
            SmallVector<Value> idx;
            for (unsigned d : s.outputs[o])
              idx.push_back(at[d]);
            e.store(eval(v, at), outputBufs[o], idx);
          });
        }
        for (unsigned st = 0; st < numStates; ++st) {
          DimMask m = s.stateMasks[st] & inner;
          nestOver(m, at, [&] {
            SmallVector<Value> idx = bufferIndex(m, at);
            e.store(e.load(next[st], idx), cur[st], idx);
          });
        }
      });
      for (unsigned st = 0; st < numStates; ++st) {
        DimMask m = s.stateMasks[st] & inner;
        nestOver(m, at, [&] {
          SmallVector<Value> idx;
          for (unsigned d : s.states[st])
            idx.push_back(at[d]);
          e.store(e.load(cur[st], bufferIndex(m, at)), finalBufs[st], idx);
        });
      }
    };
    runPoint(at);
  } else {
    return rewriter.notifyMatchFailure(op, "no outer dimension");
  }
  return success();
}

bool RecurrenceLowering::canSegment() {
  if (inner != 0 || outer == 0)
    return false;
  int64_t steps = s.staticSizes[s.time];
  if (!ShapedType::isDynamic(steps) && steps <= split.segmentLength)
    return false;
  Block &body = op.getBody().front();
  unsigned numInputs = s.inputs.size(), numStates = s.states.size();
  if (numStates == 0 || numStates > 64)
    return false;
  for (unsigned st = 0; st < numStates; ++st)
    stateDeps[body.getArgument(numInputs + st)] = uint64_t(1) << st;
  for (Operation &inner : body.without_terminator()) {
    if (isa<RecSumOp>(inner) || inner.getNumResults() != 1)
      return false;
    uint64_t deps = 0;
    for (Value operand : inner.getOperands())
      deps |= stateDeps.lookup(operand);
    stateDeps[inner.getResult(0)] = deps;
  }
  auto yield = cast<RecYieldOp>(body.getTerminator());
  for (unsigned st = 0; st < numStates; ++st) {
    Value next = yield.getValues()[st];
    if ((stateDeps.lookup(next) & ~(uint64_t(1) << st)) != 0 ||
        !affineIn(next, st))
      return false;
  }
  return true;
}

bool RecurrenceLowering::affineIn(Value v, unsigned st) {
  uint64_t bit = uint64_t(1) << st;
  auto freeOf = [&](Value x) { return (stateDeps.lookup(x) & bit) == 0; };
  if (freeOf(v) || isa<BlockArgument>(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (isa<arith::AddFOp, arith::SubFOp>(def))
    return affineIn(def->getOperand(0), st) && affineIn(def->getOperand(1), st);
  if (isa<arith::NegFOp>(def))
    return affineIn(def->getOperand(0), st);
  if (isa<arith::MulFOp>(def)) {
    Value x = def->getOperand(0), y = def->getOperand(1);
    return (freeOf(x) && affineIn(y, st)) || (freeOf(y) && affineIn(x, st));
  }
  if (isa<arith::DivFOp>(def))
    return freeOf(def->getOperand(1)) && affineIn(def->getOperand(0), st);
  return false;
}

Value RecurrenceLowering::coefficient(Value v, unsigned st, IRMapping &step) {
  uint64_t bit = uint64_t(1) << st;
  if ((stateDeps.lookup(v) & bit) == 0)
    return Value();
  if (isa<BlockArgument>(v))
    return e.cst(1.0);
  Operation *def = v.getDefiningOp();
  auto neg = [&](Value x) { return arith::NegFOp::create(e.b, e.loc, x); };
  Value x = def->getOperand(0);
  if (isa<arith::NegFOp>(def))
    return neg(coefficient(x, st, step));
  Value y = def->getOperand(1);
  if (isa<arith::AddFOp, arith::SubFOp>(def)) {
    Value cx = coefficient(x, st, step), cy = coefficient(y, st, step);
    bool sub = isa<arith::SubFOp>(def);
    if (!cy)
      return cx;
    if (sub)
      cy = neg(cy);
    return cx ? e.add(cx, cy) : cy;
  }
  if (isa<arith::MulFOp>(def)) {
    if ((stateDeps.lookup(x) & bit) != 0)
      return e.mul(coefficient(x, st, step), step.lookup(y));
    return e.mul(step.lookup(x), coefficient(y, st, step));
  }
  // arith.divf by a state-free divisor (canSegment checked the rest).
  return e.div(coefficient(x, st, step), step.lookup(y));
}

SmallVector<Value> RecurrenceLowering::walkSegment(SmallVector<Value> &at,
                                                   Value from, Value to,
                                                   ValueRange init,
                                                   bool decays,
                                                   bool storeOutputs) {
  Block &body = op.getBody().front();
  auto yield = cast<RecYieldOp>(body.getTerminator());
  unsigned numInputs = s.inputs.size(), numStates = s.states.size();
  // Parameters (inputs without the time dimension), once per segment.
  IRMapping params;
  for (unsigned n = 0; n < numInputs; ++n) {
    if (s.inputHasTime[n])
      continue;
    SmallVector<Value> idx;
    for (unsigned d : s.inputs[n])
      idx.push_back(at[d]);
    params.map(body.getArgument(n), e.load(inputBufs[n], idx));
  }
  // `count` steps from `t0`: first their state-free values, then their
  // state updates in order. Carried: the states, then the decay products.
  auto steps = [&](Value t0, int64_t count, ValueRange carried) {
    SmallVector<IRMapping> maps(count, params);
    SmallVector<Value> ts;
    for (int64_t u = 0; u < count; ++u)
      ts.push_back(u == 0 ? t0 : e.iadd(t0, e.idx(u)));
    for (int64_t u = 0; u < count; ++u) {
      Value t = ts[u];
      for (unsigned n = 0; n < numInputs; ++n) {
        if (!s.inputHasTime[n])
          continue;
        SmallVector<Value> idx;
        for (unsigned d : s.inputs[n])
          idx.push_back(d == s.time ? t : at[d]);
        maps[u].map(body.getArgument(n), e.load(inputBufs[n], idx));
      }
      for (Operation &inner : body.without_terminator())
        if (stateDeps.lookup(inner.getResult(0)) == 0)
          e.b.clone(inner, maps[u]);
    }
    SmallVector<Value> cur(carried.begin(), carried.end());
    for (int64_t u = 0; u < count; ++u) {
      Value t = ts[u];
      for (unsigned st = 0; st < numStates; ++st)
        maps[u].map(body.getArgument(numInputs + st), cur[st]);
      for (Operation &inner : body.without_terminator())
        if (stateDeps.lookup(inner.getResult(0)) != 0)
          e.b.clone(inner, maps[u]);
      for (unsigned st = 0; st < numStates; ++st) {
        Value next = yield.getValues()[st];
        if (decays) {
          Value a = coefficient(next, st, maps[u]);
          cur[numStates + st] =
              e.mul(cur[numStates + st], a ? a : e.cst(0.0));
        }
        cur[st] = maps[u].lookupOrDefault(next);
      }
      if (storeOutputs) {
        for (unsigned o = 0; o < s.outputs.size(); ++o) {
          SmallVector<Value> idx;
          for (unsigned d : s.outputs[o])
            idx.push_back(d == s.time ? t : at[d]);
          e.store(maps[u].lookupOrDefault(yield.getValues()[numStates + o]),
                  outputBufs[o], idx);
        }
      }
    }
    return cur;
  };
  SmallVector<Value> carried(init.begin(), init.end());
  if (decays)
    carried.append(numStates, e.cst(1.0));
  int64_t unroll = std::max<int64_t>(split.unroll, 1);
  Value n = e.isub(to, from);
  Value groups = e.idiv(n, e.idx(unroll));
  if (unroll > 1) {
    carried = e.loop(groups, carried, [&](Value g, ValueRange c) {
      return steps(e.iadd(from, e.imul(g, e.idx(unroll))), unroll, c);
    });
  }
  Value rest = unroll > 1 ? e.iadd(from, e.imul(groups, e.idx(unroll))) : from;
  carried = e.loop(rest, to, carried, [&](Value t, ValueRange c) {
    return steps(t, 1, c);
  });
  return carried;
}

void RecurrenceLowering::runSegmented() {
  unsigned numStates = s.states.size();
  SmallVector<unsigned> outerDims = dimsOf(outer);
  Value steps = sizes[s.time];
  Value len = e.idx(split.segmentLength);
  Value segments = e.idiv(e.iadd(steps, e.idx(split.segmentLength - 1)), len);
  // Per state: (segments, outer...) buffers of the local final states, the
  // decay products and the carries.
  SmallVector<Value> local, decay, carry;
  SmallVector<int64_t> shape(outerDims.size() + 1, ShapedType::kDynamic);
  auto type = MemRefType::get(shape, e.ct);
  SmallVector<Value> bufSizes{segments};
  for (unsigned d : outerDims)
    bufSizes.push_back(sizes[d]);
  for (unsigned st = 0; st < numStates; ++st) {
    local.push_back(memref::AllocOp::create(e.b, e.loc, type, bufSizes));
    decay.push_back(memref::AllocOp::create(e.b, e.loc, type, bufSizes));
    carry.push_back(memref::AllocOp::create(e.b, e.loc, type, bufSizes));
  }
  auto outerIdx = [&](SmallVector<Value> &at, Value seg) {
    SmallVector<Value> idx{seg};
    for (unsigned d : outerDims)
      idx.push_back(at[d]);
    return idx;
  };
  // Phases 1 and 3: one task per (segment, outer point).
  auto perSegment = [&](bool first) {
    OpBuilder::InsertionGuard guard(e.b);
    SmallVector<Value> ubs{segments};
    for (unsigned d : outerDims)
      ubs.push_back(sizes[d]);
    SmallVector<Value> ivs = beginParallelTasks(e, ubs);
    SmallVector<Value> at(s.dims.size());
    for (auto [i, d] : llvm::enumerate(outerDims))
      at[d] = ivs[i + 1];
    Value from = e.imul(ivs[0], len);
    Value to = arith::MinUIOp::create(e.b, e.loc, e.iadd(from, len), steps);
    SmallVector<Value> idx = outerIdx(at, ivs[0]);
    SmallVector<Value> init;
    for (unsigned st = 0; st < numStates; ++st)
      init.push_back(first ? e.cst(0.0) : e.load(carry[st], idx));
    SmallVector<Value> res = walkSegment(at, from, to, init, first, !first);
    if (first) {
      for (unsigned st = 0; st < numStates; ++st) {
        e.store(res[st], local[st], idx);
        e.store(res[numStates + st], decay[st], idx);
      }
    }
  };
  perSegment(/*first=*/true);
  {
    // Phase 2: the carries, one task per outer point.
    OpBuilder::InsertionGuard guard(e.b);
    SmallVector<Value> ubs;
    for (unsigned d : outerDims)
      ubs.push_back(sizes[d]);
    SmallVector<Value> ivs = beginParallelTasks(e, ubs);
    SmallVector<Value> at(s.dims.size());
    for (auto [i, d] : llvm::enumerate(outerDims))
      at[d] = ivs[i];
    SmallVector<Value> init;
    for (unsigned st = 0; st < numStates; ++st) {
      Value v = e.cst(0.0);
      if (!initBufs.empty()) {
        SmallVector<Value> idx;
        for (unsigned d : s.states[st])
          idx.push_back(at[d]);
        v = e.load(initBufs[st], idx);
      }
      init.push_back(v);
    }
    SmallVector<Value> fin =
        e.loop(segments, init, [&](Value seg, ValueRange c) {
          SmallVector<Value> idx = outerIdx(at, seg), next;
          for (unsigned st = 0; st < numStates; ++st) {
            e.store(c[st], carry[st], idx);
            Value a = e.load(decay[st], idx);
            Value h = e.load(local[st], idx);
            next.push_back(e.add(e.mul(a, c[st]), h));
          }
          return next;
        });
    for (unsigned st = 0; st < numStates; ++st) {
      SmallVector<Value> idx;
      for (unsigned d : s.states[st])
        idx.push_back(at[d]);
      e.store(fin[st], finalBufs[st], idx);
    }
  }
  perSegment(/*first=*/false);
}

} // namespace

LogicalResult ssmc::loops::lowerRecurrence(RecurrenceOp op,
                                           PatternRewriter &rewriter,
                                           RecurrenceSplit split) {
  FailureOr<RecurrenceShape> shape = analyzeRecurrence(op, false);
  if (failed(shape))
    return rewriter.notifyMatchFailure(op, "invalid ssm.recurrence");
  return RecurrenceLowering(op, *shape, rewriter, split).run();
}
