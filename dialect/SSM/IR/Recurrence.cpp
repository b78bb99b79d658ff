//===- Recurrence.cpp - named dimensions and checks of ssm.recurrence -----===//
//
// The verifier of ssm.recurrence and the shape analysis every later stage
// reads: which dimensions each tensor and each body value range over, and
// where each dimension's size comes from.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Dialect/SSM/IR/Recurrence.h"

#include "ShapeChecker.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace ssmc::ssm;

int RecurrenceShape::axisOf(ArrayRef<unsigned> tensorDims, unsigned dim) {
  for (auto [i, d] : llvm::enumerate(tensorDims))
    if (d == dim)
      return static_cast<int>(i);
  return -1;
}

std::string RecurrenceShape::describe(DimMask mask) const {
  std::string s;
  for (auto [i, name] : llvm::enumerate(dims))
    if (mask & bit(i))
      s += (s.empty() ? "" : ", ") + name.str();
  return s.empty() ? "no dimension" : s;
}

bool ssmc::ssm::isRecurrenceBodyOp(Operation *op) {
  return isa<arith::ConstantOp, arith::AddFOp, arith::SubFOp, arith::MulFOp,
             arith::DivFOp, arith::NegFOp, arith::MaximumFOp,
             arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp,
             math::ExpOp, math::Exp2Op, math::LogOp, math::Log1pOp,
             math::SqrtOp, math::RsqrtOp, math::TanhOp, math::SinOp,
             math::CosOp, math::AbsFOp, SoftplusOp, SigmoidOp, LogSigmoidOp,
             SiluOp, RecSumOp, RecYieldOp>(op);
}

namespace {

/// Builds a RecurrenceShape, reporting the first problem when asked to.
class Analysis {
public:
  Analysis(RecurrenceOp op, bool emitErrors) : op(op), emitErrors(emitErrors) {}

  FailureOr<RecurrenceShape> run() {
    if (failed(readDims()) || failed(readTensors()) || failed(readSizes()) ||
        failed(readBody()))
      return failure();
    return std::move(shape);
  }

private:
  RecurrenceOp op;
  bool emitErrors;
  RecurrenceShape shape;

  LogicalResult fail(const Twine &message) {
    if (emitErrors)
      op.emitOpError() << message;
    return failure();
  }
  LogicalResult failAt(Operation *at, const Twine &message) {
    if (emitErrors)
      at->emitOpError() << message;
    return failure();
  }

  LogicalResult readDims() {
    llvm::StringSet<> seen;
    for (Attribute a : op.getDims()) {
      StringRef name = cast<StringAttr>(a).getValue();
      if (name.empty())
        return fail("'dims' has an empty name");
      if (!seen.insert(name).second)
        return fail("dimension '" + name + "' appears twice in 'dims'");
      shape.dims.push_back(name);
    }
    if (shape.dims.size() > kMaxRecurrenceDims)
      return fail("has " + Twine(shape.dims.size()) +
                  " dimensions; at most " + Twine(kMaxRecurrenceDims) +
                  " are supported");
    auto it = llvm::find(shape.dims, op.getTimeDim());
    if (it == shape.dims.end())
      return fail("'time_dim' '" + op.getTimeDim() +
                  "' is not one of 'dims'");
    shape.time = static_cast<unsigned>(it - shape.dims.begin());
    return success();
  }

  /// Reads one entry of input_dims/state_dims/output_dims.
  LogicalResult readList(Attribute attr, const Twine &what,
                         SmallVectorImpl<unsigned> &out) {
    auto list = dyn_cast<ArrayAttr>(attr);
    if (!list)
      return fail("the dimensions of " + what + " must be a list of names");
    DimMask seen = 0;
    for (Attribute a : list) {
      auto name = dyn_cast<StringAttr>(a);
      if (!name)
        return fail("the dimensions of " + what + " must be a list of names");
      auto it = llvm::find(shape.dims, name.getValue());
      if (it == shape.dims.end())
        return fail(what + " names dimension '" + name.getValue() +
                    "', which is not one of 'dims'");
      unsigned d = static_cast<unsigned>(it - shape.dims.begin());
      if (seen & shape.bit(d))
        return fail("dimension '" + name.getValue() + "' appears twice in " +
                    what);
      seen |= shape.bit(d);
      out.push_back(d);
    }
    return success();
  }

  DimMask maskWithoutTime(ArrayRef<unsigned> dims) {
    DimMask m = 0;
    for (unsigned d : dims)
      if (d != shape.time)
        m |= shape.bit(d);
    return m;
  }

  bool hasTime(ArrayRef<unsigned> dims) {
    return llvm::is_contained(dims, shape.time);
  }

  LogicalResult checkRank(Type type, ArrayRef<unsigned> dims,
                          const Twine &what) {
    auto t = cast<RankedTensorType>(type);
    if (t.getRank() != static_cast<int64_t>(dims.size()))
      return fail(what + " has rank " + Twine(t.getRank()) + " but " +
                  Twine(dims.size()) + " dimensions are named for it");
    return success();
  }

  LogicalResult readTensors() {
    unsigned numInputs = op.getInputs().size();
    if (op.getInputDims().size() != numInputs)
      return fail("has " + Twine(numInputs) + " inputs but 'input_dims' has " +
                  Twine(op.getInputDims().size()) + " entries");
    for (auto [i, attr] : llvm::enumerate(op.getInputDims())) {
      std::string what = "input #" + std::to_string(i);
      SmallVector<unsigned> dims;
      if (failed(readList(attr, what, dims)) ||
          failed(checkRank(op.getInputs()[i].getType(), dims, what)))
        return failure();
      shape.inputHasTime.push_back(hasTime(dims));
      shape.inputMasks.push_back(maskWithoutTime(dims));
      shape.inputs.push_back(std::move(dims));
    }
    unsigned numStates = op.getStateDims().size();
    unsigned numOutputs = op.getOutputDims().size();
    if (numStates == 0)
      return fail("needs at least one state");
    if (numOutputs == 0)
      return fail("needs at least one output");
    if (op.getResults().size() != numOutputs + numStates)
      return fail("has " + Twine(op.getResults().size()) +
                  " results but " + Twine(numOutputs) + " outputs and " +
                  Twine(numStates) + " final states are declared");
    if (!op.getInitialStates().empty() &&
        op.getInitialStates().size() != numStates)
      return fail("has " + Twine(op.getInitialStates().size()) +
                  " initial states for " + Twine(numStates) + " states");
    for (auto [i, attr] : llvm::enumerate(op.getStateDims())) {
      std::string what = "state #" + std::to_string(i);
      SmallVector<unsigned> dims;
      if (failed(readList(attr, what, dims)))
        return failure();
      if (hasTime(dims))
        return fail(what + " must not have the time dimension '" +
                    shape.dims[shape.time] + "'");
      Value fin = op.getFinalStates()[i];
      if (failed(checkRank(fin.getType(), dims, "final " + what)))
        return failure();
      if (!isStateElementType(
              cast<RankedTensorType>(fin.getType()).getElementType()))
        return fail("final " + what + " must have f32 or f64 elements");
      if (!op.getInitialStates().empty()) {
        Type init = op.getInitialStates()[i].getType();
        if (failed(checkRank(init, dims, "initial " + what)))
          return failure();
        if (!isStateElementType(cast<RankedTensorType>(init).getElementType()))
          return fail("initial " + what + " must have f32 or f64 elements");
      }
      shape.stateMasks.push_back(maskWithoutTime(dims));
      shape.states.push_back(std::move(dims));
    }
    for (auto [i, attr] : llvm::enumerate(op.getOutputDims())) {
      std::string what = "output #" + std::to_string(i);
      SmallVector<unsigned> dims;
      if (failed(readList(attr, what, dims)) ||
          failed(checkRank(op.getOutputs()[i].getType(), dims, what)))
        return failure();
      if (!hasTime(dims))
        return fail(what + " must have the time dimension '" +
                    shape.dims[shape.time] + "'");
      shape.outputMasks.push_back(maskWithoutTime(dims));
      shape.outputs.push_back(std::move(dims));
    }
    return success();
  }

  /// Binds the static sizes of every tensor and checks they agree.
  LogicalResult readSizes() {
    shape.staticSizes.assign(shape.dims.size(), ShapedType::kDynamic);
    shape.sizeSource.assign(shape.dims.size(), {-1, 0});
    SmallVector<std::string> origin(shape.dims.size());
    auto visit = [&](Type type, ArrayRef<unsigned> dims, const Twine &what,
                     int input) -> LogicalResult {
      auto t = cast<RankedTensorType>(type);
      for (auto [axis, d] : llvm::enumerate(dims)) {
        if (input >= 0 && shape.sizeSource[d].first < 0)
          shape.sizeSource[d] = {input, static_cast<unsigned>(axis)};
        int64_t size = t.getDimSize(axis);
        if (ShapedType::isDynamic(size))
          continue;
        int64_t &bound = shape.staticSizes[d];
        if (ShapedType::isDynamic(bound)) {
          bound = size;
          origin[d] = what.str();
          continue;
        }
        if (bound != size)
          return fail("dimension '" + shape.dims[d] + "' is " + Twine(size) +
                      " in " + what + " but " + Twine(bound) + " in " +
                      origin[d]);
      }
      return success();
    };
    for (auto [i, v] : llvm::enumerate(op.getInputs()))
      if (failed(visit(v.getType(), shape.inputs[i],
                       "input #" + Twine(i), static_cast<int>(i))))
        return failure();
    for (auto [i, v] : llvm::enumerate(op.getInitialStates()))
      if (failed(visit(v.getType(), shape.states[i],
                       "initial state #" + Twine(i), -1)))
        return failure();
    for (auto [i, v] : llvm::enumerate(op.getOutputs()))
      if (failed(visit(v.getType(), shape.outputs[i], "output #" + Twine(i),
                       -1)))
        return failure();
    for (auto [i, v] : llvm::enumerate(op.getFinalStates()))
      if (failed(visit(v.getType(), shape.states[i],
                       "final state #" + Twine(i), -1)))
        return failure();
    for (auto [d, name] : llvm::enumerate(shape.dims)) {
      if (shape.sizeSource[d].first >= 0 ||
          !ShapedType::isDynamic(shape.staticSizes[d]))
        continue;
      // Used nowhere at all is fine (a declared but unused dimension).
      bool used = false;
      for (auto *list : {&shape.states, &shape.outputs})
        for (auto &dims : *list)
          used |= llvm::is_contained(dims, static_cast<unsigned>(d));
      if (used)
        return fail("dimension '" + name +
                    "' has no size: no input has it and it is dynamic in "
                    "every result");
    }
    return success();
  }

  LogicalResult readBody() {
    Block &body = op.getBody().front();
    unsigned numInputs = op.getInputs().size();
    unsigned numStates = shape.states.size();
    if (body.getNumArguments() != numInputs + numStates)
      return fail("body must take " + Twine(numInputs + numStates) +
                  " scalars (one per input, then one per state), got " +
                  Twine(body.getNumArguments()));
    for (BlockArgument arg : body.getArguments()) {
      if (!arg.getType().isF32())
        return fail("body argument #" + Twine(arg.getArgNumber()) +
                    " must be f32, got " + Twine(typeName(arg.getType())));
      unsigned n = arg.getArgNumber();
      shape.valueDims[arg] = n < numInputs ? shape.inputMasks[n]
                                           : shape.stateMasks[n - numInputs];
    }
    for (Operation &inner : body) {
      if (!isRecurrenceBodyOp(&inner))
        return failAt(&inner, "is not allowed in the body of ssm.recurrence "
                              "(only f32 arith/math scalar ops, ssm "
                              "activations and ssm.rec_sum)");
      DimMask dims = 0;
      for (Value v : inner.getOperands()) {
        auto it = shape.valueDims.find(v);
        if (it == shape.valueDims.end())
          return failAt(&inner, "uses a value defined outside the body of "
                                "ssm.recurrence");
        if (!v.getType().isF32())
          return failAt(&inner, "must work on f32 scalars");
        dims |= it->second;
      }
      if (auto sum = dyn_cast<RecSumOp>(&inner)) {
        auto it = llvm::find(shape.dims, sum.getDim());
        if (it == shape.dims.end())
          return failAt(&inner, "sums over '" + sum.getDim() +
                                    "', which is not one of the recurrence's "
                                    "dimensions");
        DimMask b = shape.bit(static_cast<unsigned>(it - shape.dims.begin()));
        if (!(dims & b))
          return failAt(&inner, "sums over '" + sum.getDim() +
                                    "', which its operand does not range "
                                    "over (it ranges over " +
                                    shape.describe(dims) + ")");
        dims &= ~b;
      }
      if (auto c = dyn_cast<arith::ConstantOp>(&inner))
        if (!c.getType().isF32())
          return failAt(&inner, "must be an f32 constant");
      for (Value r : inner.getResults()) {
        if (!r.getType().isF32())
          return failAt(&inner, "must produce f32 scalars");
        shape.valueDims[r] = dims;
      }
    }
    auto yield = dyn_cast<RecYieldOp>(body.getTerminator());
    if (!yield)
      return fail("body must end with ssm.rec_yield");
    unsigned numOutputs = shape.outputs.size();
    if (yield.getValues().size() != numStates + numOutputs)
      return failAt(yield, "must yield " + Twine(numStates + numOutputs) +
                               " values (" + Twine(numStates) +
                               " new states, then " + Twine(numOutputs) +
                               " outputs), got " +
                               Twine(yield.getValues().size()));
    for (auto [i, v] : llvm::enumerate(yield.getValues())) {
      bool isState = i < numStates;
      DimMask allowed =
          isState ? shape.stateMasks[i] : shape.outputMasks[i - numStates];
      DimMask extra = shape.valueDims[v] & ~allowed;
      if (extra)
        return failAt(yield,
                      Twine(isState ? "new state #" : "output #") +
                          Twine(isState ? i : i - numStates) +
                          " ranges over " + shape.describe(extra) +
                          ", which the " + (isState ? "state" : "output") +
                          " does not have");
    }
    return success();
  }

  static std::string typeName(Type t) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << t;
    return s;
  }
};

} // namespace

FailureOr<RecurrenceShape> ssmc::ssm::analyzeRecurrence(RecurrenceOp op,
                                                        bool emitErrors) {
  return Analysis(op, emitErrors).run();
}

LogicalResult RecurrenceOp::verifyRegions() {
  return analyzeRecurrence(*this, /*emitErrors=*/true);
}
