//===- DeriveRecurrenceForms.cpp - how each ssm.recurrence is computed ----===//
//
// Analyses every ssm.recurrence and picks its algorithm, saying which and
// why as a remark:
//
//  - Mamba-1's selective scan and Mamba-2's SSD written as recurrences
//    become the built-in ops (RecurrenceBuiltins.cpp), whose kernels are
//    tuned for every target.
//  - A recurrence whose update is not linear in the states is rejected: the
//    parallel forms (sequence splits, chunks) rest on linearity.
//  - One state S over (outer..., k, v) with the update
//        S' = a ⊙ S + K ⊗ V
//    where the decay a does not depend on v (a scalar per outer point and
//    step, or one per key dimension k), the input is an outer product of a
//    factor over k and one over v, and every read of S' in the outputs is a
//    contraction sum(k, Q * S'): the chunked dual form. Q, K, V and log(a)
//    are computed by elementwise linalg.generic ops, the recurrence becomes
//    ssm.linear_attention over the outer dimensions, and each output is an
//    elementwise epilogue over the readouts.
//  - Anything else linear (a diagonal decay that varies along every state
//    dimension, as Mamba-1 and HGRN; several coupled states; a transition
//    that reads the state through a sum, as DeltaNet) stays ssm.recurrence
//    and is lowered as a sequential scan.
//
//===----------------------------------------------------------------------===//
#include "RecurrenceForms.h"
#include "ssmc/Dialect/SSM/IR/Recurrence.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace ssmc::ssm {
#define GEN_PASS_DEF_SSMDERIVERECURRENCEFORMS
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"
} // namespace ssmc::ssm

using namespace mlir;
using namespace ssmc::ssm;

namespace {

/// A product of factors with a sign.
struct Term {
  bool negative = false;
  SmallVector<Value> factors;
};

/// The chunked form's ingredients, as values of the recurrence body.
struct ChunkedForm {
  unsigned key = 0, value = 0;
  DimMask outer = 0;
  bool perKey = false;
  /// The decay's factors; when the decay is one exp(x), `logDecay` is x.
  SmallVector<Value> decayFactors;
  Value logDecay;
  bool inputNegative = false;
  SmallVector<Value> keyFactors, valueFactors;
  /// The contractions sum(k, Q * S') that read the new state, and their Q.
  SmallVector<RecSumOp> readouts;
  SmallVector<Value> readoutQ;
};

/// Why a recurrence is computed the way it is.
struct Verdict {
  enum Kind { Sequential, Chunked, Invalid } kind = Sequential;
  std::string why;
  ChunkedForm chunked;
};

class Analyzer {
public:
  Analyzer(RecurrenceOp op, const RecurrenceShape &s) : op(op), s(s) {}

  Verdict run();

private:
  RecurrenceOp op;
  const RecurrenceShape &s;
  DenseMap<Value, int> degrees;

  Block &body() { return op.getBody().front(); }
  unsigned numInputs() { return s.inputs.size(); }
  bool isState(Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == &body() && arg.getArgNumber() >= numInputs();
  }
  std::string dimName(unsigned d) { return "'" + s.dims[d].str() + "'"; }
  DimMask dims(Value v) { return s.valueDims.lookup(v); }

  /// 0 if `v` does not depend on the states, 1 if it is linear in them, 2 if
  /// it is not linear; `culprit` is set to the op that breaks linearity.
  int degree(Value v, Operation *&culprit);
  void flattenSum(Value v, bool negative, SmallVectorImpl<Term> &terms);
  void flattenProduct(Value v, Term &term);
  /// Whether `v` reads a state through an ssm.rec_sum.
  bool readsStateThroughSum(Value v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    Operation *culprit = nullptr;
    if (auto sum = dyn_cast<RecSumOp>(def))
      if (degree(sum.getValue(), culprit) > 0)
        return true;
    return llvm::any_of(def->getOperands(),
                        [&](Value x) { return readsStateThroughSum(x); });
  }
  std::string locOf(Operation *o) {
    if (auto file = dyn_cast<FileLineColLoc>(o->getLoc()))
      return (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
              ":" + std::to_string(file.getColumn()));
    std::string str;
    llvm::raw_string_ostream os(str);
    os << o->getLoc();
    return str;
  }
};

int Analyzer::degree(Value v, Operation *&culprit) {
  auto it = degrees.find(v);
  if (it != degrees.end())
    return it->second;
  int d = 0;
  if (isState(v)) {
    d = 1;
  } else if (Operation *def = v.getDefiningOp()) {
    SmallVector<int> ds;
    for (Value operand : def->getOperands())
      ds.push_back(degree(operand, culprit));
    int maxd = ds.empty() ? 0 : *llvm::max_element(ds);
    if (maxd >= 2) {
      d = 2;
    } else if (isa<arith::AddFOp, arith::SubFOp, arith::NegFOp, RecSumOp>(
                   def)) {
      d = maxd;
    } else if (isa<arith::MulFOp>(def)) {
      d = ds[0] + ds[1];
      if (d >= 2 && !culprit)
        culprit = def;
    } else if (isa<arith::DivFOp>(def)) {
      d = ds[1] == 0 ? ds[0] : 2;
      if (d >= 2 && !culprit)
        culprit = def;
    } else {
      d = maxd > 0 ? 2 : 0;
      if (d >= 2 && !culprit)
        culprit = def;
    }
  }
  degrees[v] = d;
  return d;
}

void Analyzer::flattenSum(Value v, bool negative,
                          SmallVectorImpl<Term> &terms) {
  Operation *culprit = nullptr;
  if (Operation *def = v.getDefiningOp(); def && degree(v, culprit) > 0) {
    if (auto add = dyn_cast<arith::AddFOp>(def)) {
      flattenSum(add.getLhs(), negative, terms);
      flattenSum(add.getRhs(), negative, terms);
      return;
    }
    if (auto sub = dyn_cast<arith::SubFOp>(def)) {
      flattenSum(sub.getLhs(), negative, terms);
      flattenSum(sub.getRhs(), !negative, terms);
      return;
    }
  }
  Term t;
  t.negative = negative;
  flattenProduct(v, t);
  terms.push_back(std::move(t));
}

void Analyzer::flattenProduct(Value v, Term &term) {
  if (Operation *def = v.getDefiningOp()) {
    if (auto mul = dyn_cast<arith::MulFOp>(def)) {
      flattenProduct(mul.getLhs(), term);
      flattenProduct(mul.getRhs(), term);
      return;
    }
    if (auto neg = dyn_cast<arith::NegFOp>(def)) {
      term.negative = !term.negative;
      flattenProduct(neg.getOperand(), term);
      return;
    }
  }
  term.factors.push_back(v);
}

Verdict Analyzer::run() {
  Verdict verdict;
  unsigned numStates = s.states.size();
  auto yield = cast<RecYieldOp>(body().getTerminator());

  // Linearity of every update.
  for (unsigned st = 0; st < numStates; ++st) {
    Operation *culprit = nullptr;
    if (degree(yield.getValues()[st], culprit) >= 2) {
      verdict.kind = Verdict::Invalid;
      std::string what =
          culprit ? "'" + culprit->getName().getStringRef().str() + "' at " +
                        locOf(culprit)
                  : std::string("an op");
      verdict.why = "the update of state #" + std::to_string(st) +
                    " is not linear in the states (" + what +
                    " combines them nonlinearly); ssmc compiles linear "
                    "recurrences, whose chunked and split forms rest on "
                    "linearity";
      return verdict;
    }
  }

  auto sequential = [&](const std::string &why) {
    verdict.kind = Verdict::Sequential;
    verdict.why = why;
    return verdict;
  };
  if (numStates != 1)
    return sequential(std::to_string(numStates) +
                      " states that update together: a sequential scan");

  // S' = a ⊙ S + K ⊗ V?
  Value state = body().getArgument(numInputs());
  Value next = yield.getValues()[0];
  SmallVector<Term> terms;
  flattenSum(next, false, terms);
  ChunkedForm form;
  const Term *decayTerm = nullptr, *inputTerm = nullptr;
  for (const Term &t : terms) {
    bool hasState = false;
    for (Value f : t.factors) {
      Operation *culprit = nullptr;
      if (f == state) {
        if (hasState)
          return sequential("the update multiplies the state by itself");
        hasState = true;
      } else if (degree(f, culprit) > 0) {
        if (readsStateThroughSum(f))
          return sequential(
              "the update reads the state through a sum (a non-diagonal, "
              "rank-1 transition such as the delta rule's): a sequential "
              "scan; ssmc does not derive a chunked form for it");
        return sequential("the update reads the state through " +
                          std::string(f.getDefiningOp()
                                          ? "'" +
                                                f.getDefiningOp()
                                                    ->getName()
                                                    .getStringRef()
                                                    .str() +
                                                "'"
                                          : "an expression") +
                          " (not a decay times the state): a sequential "
                          "scan");
      }
    }
    if (hasState) {
      if (decayTerm)
        return sequential("the state appears in two terms of its update: a "
                          "sequential scan");
      decayTerm = &t;
    } else {
      if (inputTerm)
        return sequential("the update adds more than one input term (not "
                          "one outer product): a sequential scan");
      inputTerm = &t;
    }
  }
  if (!decayTerm)
    return sequential("the update does not carry the state: a sequential "
                      "scan");
  if (decayTerm->negative)
    return sequential("the decay is negative: a sequential scan");

  DimMask stateMask = s.stateMasks[0];
  DimMask decayDims = 0;
  for (Value f : decayTerm->factors)
    if (f != state)
      decayDims |= dims(f);
  if ((decayDims & stateMask) == stateMask)
    return sequential("the decay varies along every dimension of the state "
                      "(a diagonal, elementwise recurrence): a sequential "
                      "scan over the time steps with the state in registers "
                      "(the Mamba-1/HGRN strategy)");

  // The key dimension: what the readouts contract.
  std::optional<unsigned> key;
  for (OpOperand &use : next.getUses()) {
    Operation *user = use.getOwner();
    if (user == yield.getOperation()) {
      if (use.getOperandNumber() >= numStates)
        return sequential("an output is the state itself (not a "
                          "contraction of it): a sequential scan");
      continue;
    }
    auto mul = dyn_cast<arith::MulFOp>(user);
    if (!mul || !mul->hasOneUse())
      return sequential("an output reads the state other than through "
                        "sum(k, q * state): a sequential scan");
    auto sum = dyn_cast<RecSumOp>(*mul->getUsers().begin());
    if (!sum)
      return sequential("an output reads the state other than through "
                        "sum(k, q * state): a sequential scan");
    Value q = mul.getLhs() == next ? mul.getRhs() : mul.getLhs();
    Operation *culprit = nullptr;
    if (q == next || degree(q, culprit) > 0)
      return sequential("a readout multiplies the state by the state: a "
                        "sequential scan");
    unsigned d = static_cast<unsigned>(
        llvm::find(s.dims, sum.getDim()) - s.dims.begin());
    if (key && *key != d)
      return sequential("the outputs contract the state over different "
                        "dimensions: a sequential scan");
    key = d;
    form.readouts.push_back(sum);
    form.readoutQ.push_back(q);
  }
  if (!key)
    return sequential("no output contracts the state: a sequential scan");
  DimMask rest = stateMask & ~s.bit(*key);
  // The value dimension: the state's one dimension besides the key that the
  // decay does not range over.
  if (!(rest & ~decayDims))
    return sequential("the decay varies along every dimension of the state "
                      "(a diagonal, elementwise recurrence): a sequential "
                      "scan over the time steps, state in registers (the "
                      "Mamba-1/HGRN strategy)");
  // The value dimension: the one state dimension (besides the key) that
  // neither the queries, the decay nor the input's key-side factors range
  // over; the rest are outer (independent recurrences).
  DimMask keySide = decayDims;
  for (Value q : form.readoutQ)
    keySide |= dims(q);
  for (Value f : inputTerm ? inputTerm->factors : SmallVector<Value>())
    if (dims(f) & s.bit(*key))
      keySide |= dims(f);
  DimMask candidates = rest & ~keySide;
  if (llvm::popcount(candidates) != 1)
    return sequential("the state has " +
                      std::to_string(llvm::popcount(candidates)) +
                      " dimensions that only the input's value side ranges "
                      "over; the chunked form needs exactly one (the value "
                      "dimension): a sequential scan");
  unsigned value = llvm::countr_zero(candidates);
  form.key = *key;
  form.value = value;
  form.outer = stateMask & ~s.bit(*key) & ~s.bit(value);
  if (decayDims & ~(form.outer | s.bit(*key)))
    return sequential("the decay ranges over a dimension the state does not "
                      "have: a sequential scan");
  form.perKey = (decayDims & s.bit(*key)) != 0;
  for (Value f : decayTerm->factors)
    if (f != state)
      form.decayFactors.push_back(f);
  if (form.decayFactors.size() == 1)
    if (auto e = form.decayFactors[0].getDefiningOp<math::ExpOp>())
      form.logDecay = e.getOperand();
  if (!inputTerm)
    return sequential("the update has no input term: a sequential scan");
  form.inputNegative = inputTerm->negative;
  for (Value f : inputTerm->factors) {
    DimMask m = dims(f);
    bool k = m & s.bit(*key), v = m & s.bit(value);
    if (k && v)
      return sequential("the input term has a factor that ranges over both " +
                        dimName(*key) + " and " + dimName(value) +
                        " (not an outer product): a sequential scan");
    if (m & ~(form.outer | s.bit(*key) | s.bit(value)))
      return sequential("the input term ranges over a dimension the state "
                        "does not have: a sequential scan");
    (v ? form.valueFactors : form.keyFactors).push_back(f);
  }
  for (Value q : form.readoutQ)
    if (dims(q) & ~(form.outer | s.bit(*key)))
      return sequential("a readout's query ranges over " +
                        s.describe(dims(q) & ~(form.outer | s.bit(*key))) +
                        ", beyond the state's outer and key dimensions: a "
                        "sequential scan");
  verdict.kind = Verdict::Chunked;
  verdict.chunked = std::move(form);
  std::string decay = verdict.chunked.perKey
                          ? "one decay per key dimension " + dimName(*key)
                          : "one decay per step (a scalar over " +
                                dimName(*key) + " and " + dimName(value) + ")";
  verdict.why = "the state is an outer product of key " + dimName(*key) +
                " and value " + dimName(value) + " dimensions with " + decay +
                ", read out by sum over " + dimName(*key) +
                ": the chunked dual form";
  return verdict;
}

//===----------------------------------------------------------------------===//
// The rewrite into the chunked form
//===----------------------------------------------------------------------===//

class ChunkedRewriter {
public:
  ChunkedRewriter(RecurrenceOp op, const RecurrenceShape &s,
                  const ChunkedForm &form, OpBuilder &b)
      : op(op), s(s), form(form), b(b), loc(op.getLoc()) {}

  void run();
  /// Whether the form becomes ssm.ssd (with an unscaled input) rather than
  /// ssm.linear_attention.
  static bool usesSSD(const ChunkedForm &form);

private:
  RecurrenceOp op;
  const RecurrenceShape &s;
  const ChunkedForm &form;
  OpBuilder &b;
  Location loc;
  SmallVector<Value> sizeCache;

  Block &body() { return op.getBody().front(); }

  OpFoldResult size(unsigned d) { return recurrenceDimSize(b, op, s, d); }

  SmallVector<unsigned> outerDims() {
    SmallVector<unsigned> out;
    for (unsigned d = 0; d < s.dims.size(); ++d)
      if (form.outer & (DimMask(1) << d))
        out.push_back(d);
    return out;
  }

  /// A map from an iteration space `iter` to a tensor over `dims`.
  AffineMap mapFor(ArrayRef<unsigned> iter, ArrayRef<unsigned> dims) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : dims) {
      auto it = llvm::find(iter, d);
      assert(it != iter.end() && "operand dimension outside the iteration");
      exprs.push_back(b.getAffineDimExpr(it - iter.begin()));
    }
    return AffineMap::get(iter.size(), 0, exprs, b.getContext());
  }

  /// An elementwise linalg.generic over `iter` whose point value is `build`'s
  /// result; `build` gets the mapping of the used recurrence operands (body
  /// arguments) and of `extra` tensors (given with their dimensions, mapped
  /// to the body values in `extraValues`).
  Value pointwise(ArrayRef<unsigned> iter, Type elem, ArrayRef<Value> roots,
                  function_ref<Value(OpBuilder &, IRMapping &)> combine,
                  ArrayRef<std::pair<Value, SmallVector<unsigned>>> extra = {},
                  ArrayRef<Value> extraValues = {});

  Value product(OpBuilder &nb, IRMapping &map, ArrayRef<Value> factors,
                bool negative) {
    Value p;
    for (Value f : factors) {
      Value v = map.lookup(f);
      p = p ? arith::MulFOp::create(nb, loc, p, v).getResult() : v;
    }
    if (!p)
      p = arith::ConstantOp::create(nb, loc, nb.getF32FloatAttr(1.0));
    if (negative)
      p = arith::NegFOp::create(nb, loc, p);
    return p;
  }

};

Value ChunkedRewriter::pointwise(
    ArrayRef<unsigned> iter, Type elem, ArrayRef<Value> roots,
    function_ref<Value(OpBuilder &, IRMapping &)> combine,
    ArrayRef<std::pair<Value, SmallVector<unsigned>>> extra,
    ArrayRef<Value> extraValues) {
  // The body ops the roots need, in order, and the operands they read.
  llvm::SetVector<Operation *> needed;
  llvm::SetVector<unsigned> args;
  DenseSet<Value> stop(extraValues.begin(), extraValues.end());
  SmallVector<Value> work(roots.begin(), roots.end());
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second || stop.contains(v))
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      args.insert(arg.getArgNumber());
      continue;
    }
    Operation *def = v.getDefiningOp();
    needed.insert(def);
    for (Value operand : def->getOperands())
      work.push_back(operand);
  }
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  SmallVector<unsigned> argOrder(args.begin(), args.end());
  llvm::sort(argOrder);
  for (unsigned a : argOrder) {
    ins.push_back(op.getInputs()[a]);
    maps.push_back(mapFor(iter, s.inputs[a]));
  }
  for (auto &[tensor, dims] : extra) {
    ins.push_back(tensor);
    maps.push_back(mapFor(iter, dims));
  }
  SmallVector<OpFoldResult> sizes;
  SmallVector<int64_t> shape;
  for (unsigned d : iter) {
    sizes.push_back(size(d));
    shape.push_back(s.staticSizes[d]);
  }
  Value init = tensor::EmptyOp::create(b, loc, sizes, elem);
  maps.push_back(b.getMultiDimIdentityMap(iter.size()));
  SmallVector<utils::IteratorType> iters(iter.size(),
                                         utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange blockArgs) {
        IRMapping map;
        Type f32 = nb.getF32Type();
        auto widen = [&](Value v) -> Value {
          if (v.getType() == f32)
            return v;
          return arith::ExtFOp::create(nb, l, f32, v);
        };
        for (auto [i, a] : llvm::enumerate(argOrder))
          map.map(body().getArgument(a), widen(blockArgs[i]));
        for (auto [i, v] : llvm::enumerate(extraValues))
          map.map(v, widen(blockArgs[argOrder.size() + i]));
        for (Operation &inner : body().without_terminator())
          if (needed.contains(&inner))
            nb.clone(inner, map);
        Value result = combine(nb, map);
        if (result.getType() != elem)
          result = arith::TruncFOp::create(nb, l, elem, result);
        linalg::YieldOp::create(nb, l, result);
      });
  return generic.getResult(0);
}

bool ChunkedRewriter::usesSSD(const ChunkedForm &form) {
  return !form.perKey && llvm::popcount(form.outer) == 2;
}

void ChunkedRewriter::run() {
  b.setInsertionPoint(op);
  Type f32 = b.getF32Type();
  SmallVector<unsigned> outer = outerDims();
  unsigned t = s.time, key = form.key, value = form.value;
  // One decay per step over two outer dimensions (batch, heads) is the SSD
  // with an unscaled input, whose kernels are tuned: the layouts are the
  // SSD's, (o1, t, o2, .) for the per-step tensors and (o1, o2, v, k) for the
  // state. Otherwise ssm.linear_attention over (outer..., t, .).
  bool ssd = usesSSD(form);
  SmallVector<unsigned> keyIter, valueIter, stepIter, stateIter;
  if (ssd) {
    unsigned o1 = outer[0], o2 = outer[1];
    keyIter = {o1, t, o2, key};
    valueIter = {o1, t, o2, value};
    stepIter = {o1, t, o2};
    stateIter = {o1, o2, value, key};
  } else {
    keyIter.assign(outer.begin(), outer.end());
    valueIter.assign(outer.begin(), outer.end());
    stepIter.assign(outer.begin(), outer.end());
    stateIter.assign(outer.begin(), outer.end());
    keyIter.append({t, key});
    valueIter.append({t, value});
    stepIter.push_back(t);
    stateIter.append({key, value});
  }
  // Q, K and V in the inputs' 16-bit type when they have one (the GPU's
  // tensor-core kernels take bf16), else f32; the decays in f32.
  Type act = f32;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    Type elem = cast<RankedTensorType>(v.getType()).getElementType();
    if (s.inputHasTime[i] && elem.getIntOrFloatBitWidth() == 16) {
      act = elem;
      break;
    }
  }
  if (!ssd)
    act = f32;

  Value kT = pointwise(keyIter, act, form.keyFactors, [&](OpBuilder &nb,
                                                          IRMapping &map) {
    return product(nb, map, form.keyFactors, form.inputNegative);
  });
  Value vT = pointwise(valueIter, act, form.valueFactors,
                       [&](OpBuilder &nb, IRMapping &map) {
                         return product(nb, map, form.valueFactors, false);
                       });
  SmallVector<Value> decayRoots =
      form.logDecay ? SmallVector<Value>{form.logDecay} : form.decayFactors;
  Value aT = pointwise(form.perKey ? keyIter : stepIter, f32, decayRoots,
                       [&](OpBuilder &nb, IRMapping &map) -> Value {
                         if (form.logDecay)
                           return map.lookup(form.logDecay);
                         Value a = product(nb, map, form.decayFactors, false);
                         return math::LogOp::create(nb, loc, a);
                       });
  Value init;
  if (!op.getInitialStates().empty())
    init = copyToLayout(b, op, s, op.getInitialStates()[0], s.states[0],
                        stateIter, f32);

  // One recurrence per distinct query.
  SmallVector<int64_t> outShape, finalShape;
  for (unsigned d : valueIter)
    outShape.push_back(s.staticSizes[d]);
  for (unsigned d : stateIter)
    finalShape.push_back(s.staticSizes[d]);
  auto outType = RankedTensorType::get(outShape, ssd ? act : f32);
  auto finalType = RankedTensorType::get(finalShape, f32);
  Value ones;
  if (ssd) {
    unsigned heads = outer[1];
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{size(heads)}, f32);
    Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0));
    ones = linalg::FillOp::create(b, loc, one, empty).getResult(0);
  }
  DenseMap<Value, Value> readoutOf;
  Value finalState;
  for (Value q : form.readoutQ) {
    if (readoutOf.count(q))
      continue;
    Value qT = pointwise(keyIter, act, {q}, [&](OpBuilder &, IRMapping &map) {
      return map.lookup(q);
    });
    Type finalRes = finalState ? Type() : Type(finalType);
    if (ssd) {
      auto op2 = SSDOp::create(
          b, loc, outType, finalRes, vT, aT, ones, kT, qT, /*D=*/Value(),
          /*z=*/Value(), /*dt_bias=*/Value(), init, /*seq_idx=*/Value(),
          /*cu_seqlens=*/Value(), b.getI64IntegerAttr(256),
          /*dt_softplus=*/UnitAttr(),
          /*dt_limit=*/DenseF64ArrayAttr(), b.getUnitAttr());
      if (!finalState)
        finalState = op2.getFinalStates();
      readoutOf[q] = op2.getOut();
    } else {
      auto la = LinearAttentionOp::create(b, loc, outType, finalRes, qT, kT,
                                          vT, aT, init,
                                          b.getI64IntegerAttr(64));
      if (!finalState)
        finalState = la.getFinalState();
      readoutOf[q] = la.getOut();
    }
  }

  // Outputs: elementwise epilogues over the readouts.
  auto yield = cast<RecYieldOp>(body().getTerminator());
  unsigned numStates = s.states.size();
  SmallVector<Value> results;
  for (unsigned o = 0; o < s.outputs.size(); ++o) {
    Value root = yield.getValues()[numStates + o];
    SmallVector<std::pair<Value, SmallVector<unsigned>>> extra;
    SmallVector<Value> extraValues;
    for (auto [sum, q] : llvm::zip(form.readouts, form.readoutQ)) {
      extra.push_back({readoutOf[q], valueIter});
      extraValues.push_back(RecSumOp(sum).getResult());
    }
    Type elem =
        cast<RankedTensorType>(op.getOutputs()[o].getType()).getElementType();
    Value out = pointwise(
        s.outputs[o], elem, {root},
        [&](OpBuilder &, IRMapping &map) { return map.lookup(root); }, extra,
        extraValues);
    if (out.getType() != op.getOutputs()[o].getType())
      out = tensor::CastOp::create(b, loc, op.getOutputs()[o].getType(), out);
    results.push_back(out);
  }
  // The final state in the declared layout.
  Value fin = copyToLayout(
      b, op, s, finalState, stateIter, s.states[0],
      cast<RankedTensorType>(op.getFinalStates()[0].getType())
          .getElementType());
  if (fin.getType() != op.getFinalStates()[0].getType())
    fin = tensor::CastOp::create(b, loc, op.getFinalStates()[0].getType(), fin);
  results.push_back(fin);
  op.replaceAllUsesWith(results);
  op.erase();
}

struct SSMDeriveRecurrenceFormsPass
    : ssmc::ssm::impl::SSMDeriveRecurrenceFormsBase<
          SSMDeriveRecurrenceFormsPass> {
  using Base::Base;

  void runOnOperation() final {
    SmallVector<RecurrenceOp> ops;
    getOperation()->walk([&](RecurrenceOp op) { ops.push_back(op); });
    bool failedAny = false;
    for (RecurrenceOp op : ops) {
      FailureOr<RecurrenceShape> shape = analyzeRecurrence(op, true);
      if (failed(shape)) {
        failedAny = true;
        continue;
      }
      Verdict verdict = Analyzer(op, *shape).run();
      std::string name = "'" + op.getSymName().str() + "'";
      if (verdict.kind == Verdict::Invalid) {
        op.emitError() << "cannot compile recurrence " << name << ": "
                       << verdict.why;
        failedAny = true;
        continue;
      }
      if (form != "sequential" && builtins) {
        OpBuilder b(op);
        Location loc = op.getLoc();
        if (std::optional<std::string> which =
                deriveBuiltinForm(op, *shape, b)) {
          emitRemark(loc) << "recurrence " << name << ": built-in form; "
                          << *which;
          ++numBuiltin;
          continue;
        }
      }
      if (form == "sequential" || verdict.kind == Verdict::Sequential) {
        std::string why = verdict.kind == Verdict::Sequential
                              ? verdict.why
                              : "forced by form=sequential (the analysis "
                                "found: " +
                                    verdict.why + ")";
        op.emitRemark() << "recurrence " << name << ": sequential form; "
                          << why;
        ++numSequential;
        continue;
      }
      op.emitRemark() << "recurrence " << name << ": chunked form; "
                      << verdict.why
                      << (ChunkedRewriter::usesSSD(verdict.chunked)
                              ? ", as ssm.ssd with an unscaled input (one "
                                "decay per step over batch and heads: the "
                                "SSD kernels)"
                              : "");
      OpBuilder b(op);
      ChunkedRewriter(op, *shape, verdict.chunked, b).run();
      ++numChunked;
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
