//===- SSMOps.cpp - verifiers and type inference of the ssm ops -----------===//
//
// Every verifier checks local facts only: ranks and named sizes of operands
// and results (see ShapeChecker), element types, and attribute ranges. Each
// message names the operand and the expected shape.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "ShapeChecker.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace ssmc::ssm;

#define GET_OP_CLASSES
#include "ssmc/Dialect/SSM/IR/SSMOps.cpp.inc"

namespace {

Type elementTypeOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }

/// Checks that every value in `values` (optional ones may be null) has the
/// element type of `ref`.
LogicalResult checkSameElementType(Operation *op, StringRef refName, Value ref,
                                   ArrayRef<std::pair<StringRef, Value>> values) {
  Type want = elementTypeOf(ref);
  for (auto [name, v] : values) {
    if (!v || elementTypeOf(v) == want)
      continue;
    return op->emitOpError() << name << " must have the element type " << want
                             << " of " << refName << ", got "
                             << elementTypeOf(v);
  }
  return success();
}

/// Checks that each non-null value is a tensor of f32 or f64, the types in
/// which parameters and recurrent states are kept.
LogicalResult checkF32OrF64(Operation *op,
                            ArrayRef<std::pair<StringRef, Value>> values) {
  for (auto [name, v] : values) {
    if (!v || isStateElementType(elementTypeOf(v)))
      continue;
    return op->emitOpError() << name << " must have f32 or f64 elements, got "
                             << elementTypeOf(v);
  }
  return success();
}

/// Checks an optional value against a named shape.
LogicalResult checkOpt(ShapeChecker &c, StringRef what, Value v,
                       ArrayRef<StringRef> dims) {
  return v ? c.check(what, v.getType(), dims) : success();
}

/// D of SSD-style ops is per head (h) or per head and channel (h, p).
LogicalResult checkHeadD(Operation *op, ShapeChecker &c, Value d) {
  if (!d)
    return success();
  int64_t rank = cast<ShapedType>(d.getType()).getRank();
  if (rank == 1)
    return c.check("operand 'D'", d.getType(), {"h"});
  if (rank == 2)
    return c.check("operand 'D'", d.getType(), {"h", "p"});
  // Either rank is fine, so a message naming only one of them would mislead.
  return op->emitOpError() << "operand 'D' must be a rank-1 tensor (h) or a "
                              "rank-2 tensor (h, p), got "
                           << d.getType();
}

/// `outer` (named `outerName`) must be a multiple of the group count g.
LogicalResult checkGroupsDivide(Operation *op, ShapeChecker &c,
                                StringRef outerName, StringRef groupOrigin) {
  std::optional<int64_t> g = c.get("g"), outer = c.get(outerName);
  if (g && *g == 0)
    return op->emitOpError() << "the group count g of " << groupOrigin
                             << " must be positive";
  if (g && outer && *outer % *g != 0)
    return op->emitOpError()
           << "the group count g = " << *g << " of " << groupOrigin
           << " does not divide " << outerName << " = " << *outer;
  return success();
}

LogicalResult checkDtLimit(Operation *op, std::optional<ArrayRef<double>> limit) {
  if (!limit)
    return success();
  if (limit->size() != 2)
    return op->emitOpError()
           << "'dt_limit' must hold two values [lo, hi], got " << limit->size();
  double lo = (*limit)[0], hi = (*limit)[1];
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    return op->emitOpError() << "'dt_limit' must satisfy lo <= hi, got [" << lo
                             << ", " << hi << "]";
  return success();
}

LogicalResult checkChunkSize(Operation *op, int64_t chunk) {
  if (chunk <= 0 || !llvm::isPowerOf2_64(static_cast<uint64_t>(chunk)))
    return op->emitOpError()
           << "'chunk_size' must be a positive power of two, got " << chunk;
  return success();
}

LogicalResult checkEps(Operation *op, double eps) {
  if (!(eps >= 0.0) || std::isinf(eps))
    return op->emitOpError() << "'eps' must be finite and non-negative, got "
                             << eps;
  return success();
}

/// Packed sequences: `cu_seqlens` (s + 1) needs b = 1 and binds the number
/// of sequences s, which then leads the shapes of the states. Returns the
/// name of the states' leading dimension ("s" packed, else "b").
FailureOr<StringRef> checkPacked(Operation *op, ShapeChecker &c, Value cu) {
  if (!cu)
    return StringRef("b");
  auto type = cast<RankedTensorType>(cu.getType());
  if (type.getRank() != 1)
    return op->emitOpError()
           << "operand 'cu_seqlens' must be a rank-1 tensor (s + 1), got "
           << type;
  if (std::optional<int64_t> b = c.get("b"); b && *b != 1)
    return op->emitOpError() << "packed sequences (operand 'cu_seqlens') "
                                "need the batch size b = 1, got b = "
                             << *b;
  if (!type.isDynamicDim(0)) {
    if (type.getDimSize(0) < 1)
      return op->emitOpError() << "operand 'cu_seqlens' must hold at least "
                                  "one offset (s + 1 for s sequences)";
    c.bind("s", type.getDimSize(0) - 1,
           "operand 'cu_seqlens' (s + 1 = " +
               std::to_string(type.getDimSize(0)) + ")");
  }
  return StringRef("s");
}

} // namespace

//===----------------------------------------------------------------------===//
// SelectiveScanOp
//===----------------------------------------------------------------------===//

LogicalResult SelectiveScanOp::verify() {
  ShapeChecker c(*this);
  if (failed(c.check("operand 'u'", getU().getType(), {"b", "d", "l"})) ||
      failed(
          c.check("operand 'delta'", getDelta().getType(), {"b", "d", "l"})) ||
      failed(c.check("operand 'A'", getA().getType(), {"d", "n"})) ||
      failed(c.check("operand 'B'", getB().getType(), {"b", "g", "n", "l"})) ||
      failed(c.check("operand 'C'", getC().getType(), {"b", "g", "n", "l"})) ||
      failed(checkOpt(c, "operand 'D'", getD(), {"d"})) ||
      failed(checkOpt(c, "operand 'z'", getZ(), {"b", "d", "l"})) ||
      failed(checkOpt(c, "operand 'delta_bias'", getDeltaBias(), {"d"})) ||
      failed(c.check("result 'out'", getOut().getType(), {"b", "d", "l"})))
    return failure();
  FailureOr<StringRef> s = checkPacked(*this, c, getCuSeqlens());
  if (failed(s) ||
      failed(checkOpt(c, "operand 'initial_state'", getInitialState(),
                      {*s, "d", "n"})) ||
      failed(
          checkOpt(c, "result 'final_state'", getFinalState(), {*s, "d", "n"})))
    return failure();
  if (failed(checkGroupsDivide(*this, c, "d", "'B' and 'C'")))
    return failure();
  if (failed(checkSameElementType(*this, "operand 'u'", getU(),
                                  {{"operand 'delta'", getDelta()},
                                   {"operand 'z'", getZ()},
                                   {"result 'out'", getOut()}})))
    return failure();
  return checkF32OrF64(*this, {{"operand 'A'", getA()},
                               {"operand 'D'", getD()},
                               {"operand 'delta_bias'", getDeltaBias()},
                               {"operand 'initial_state'", getInitialState()},
                               {"result 'final_state'", getFinalState()}});
}

//===----------------------------------------------------------------------===//
// SSDOp
//===----------------------------------------------------------------------===//

LogicalResult SSDOp::verify() {
  if (failed(checkChunkSize(*this, getChunkSize())) ||
      failed(checkDtLimit(*this, getDtLimit())))
    return failure();
  ShapeChecker c(*this);
  if (failed(c.check("operand 'x'", getX().getType(), {"b", "l", "h", "p"})) ||
      failed(c.check("operand 'dt'", getDt().getType(), {"b", "l", "h"})) ||
      failed(c.check("operand 'A'", getA().getType(), {"h"})) ||
      failed(c.check("operand 'B'", getB().getType(), {"b", "l", "g", "n"})) ||
      failed(c.check("operand 'C'", getC().getType(), {"b", "l", "g", "n"})) ||
      failed(checkHeadD(*this, c, getD())) ||
      failed(checkOpt(c, "operand 'z'", getZ(), {"b", "l", "h", "p"})) ||
      failed(checkOpt(c, "operand 'dt_bias'", getDtBias(), {"h"})) ||
      failed(checkOpt(c, "operand 'seq_idx'", getSeqIdx(), {"b", "l"})) ||
      failed(c.check("result 'out'", getOut().getType(), {"b", "l", "h", "p"})))
    return failure();
  if (getSeqIdx() && getCuSeqlens())
    return emitOpError() << "takes packed sequences either as 'seq_idx' or "
                            "as 'cu_seqlens', not both";
  FailureOr<StringRef> s = checkPacked(*this, c, getCuSeqlens());
  if (failed(s) ||
      failed(checkOpt(c, "operand 'initial_states'", getInitialStates(),
                      {*s, "h", "p", "n"})) ||
      failed(checkOpt(c, "result 'final_states'", getFinalStates(),
                      {*s, "h", "p", "n"})))
    return failure();
  if (failed(checkGroupsDivide(*this, c, "h", "'B' and 'C'")))
    return failure();
  if (failed(checkSameElementType(*this, "operand 'x'", getX(),
                                  {{"operand 'z'", getZ()},
                                   {"result 'out'", getOut()}})))
    return failure();
  return checkF32OrF64(*this,
                       {{"operand 'A'", getA()},
                        {"operand 'D'", getD()},
                        {"operand 'dt_bias'", getDtBias()},
                        {"operand 'initial_states'", getInitialStates()},
                        {"result 'final_states'", getFinalStates()}});
}

//===----------------------------------------------------------------------===//
// CausalConv1dOp
//===----------------------------------------------------------------------===//

LogicalResult CausalConv1dOp::verify() {
  ShapeChecker c(*this);
  if (failed(c.check("operand 'x'", getX().getType(), {"b", "c", "l"})) ||
      failed(c.check("operand 'weight'", getWeight().getType(), {"c", "k"})) ||
      failed(checkOpt(c, "operand 'bias'", getBias(), {"c"})))
    return failure();
  if (std::optional<int64_t> k = c.get("k")) {
    if (*k < 1)
      return emitOpError() << "operand 'weight' must have a width k >= 1, got "
                           << *k;
    c.bind("k-1", *k - 1, "operand 'weight' (k = " + std::to_string(*k) + ")");
  }
  if (failed(c.check("result 'y'", getY().getType(), {"b", "c", "l"})))
    return failure();
  FailureOr<StringRef> s = checkPacked(*this, c, getCuSeqlens());
  if (failed(s) ||
      failed(checkOpt(c, "operand 'conv_state'", getConvState(),
                      {*s, "c", "k-1"})) ||
      failed(checkOpt(c, "result 'new_conv_state'", getNewConvState(),
                      {*s, "c", "k-1"})))
    return failure();
  return checkSameElementType(*this, "operand 'x'", getX(),
                              {{"result 'y'", getY()}});
}

//===----------------------------------------------------------------------===//
// StateUpdateOp
//===----------------------------------------------------------------------===//

LogicalResult StateUpdateOp::verify() {
  if (failed(checkDtLimit(*this, getDtLimit())))
    return failure();
  ShapeChecker c(*this);
  int64_t rank = getState().getType().getRank();
  if (rank == 3) {
    if (getDtLimit())
      return emitOpError() << "'dt_limit' is only allowed with the Mamba-2 "
                              "state layout (a rank-4 state (b, h, p, n))";
    if (failed(c.check("operand 'state'", getState().getType(), {"b", "d", "n"})) ||
        failed(c.check("operand 'x'", getX().getType(), {"b", "d"})) ||
        failed(c.check("operand 'dt'", getDt().getType(), {"b", "d"})) ||
        failed(c.check("operand 'A'", getA().getType(), {"d", "n"})) ||
        failed(c.check("operand 'B'", getB().getType(), {"b", "g", "n"})) ||
        failed(c.check("operand 'C'", getC().getType(), {"b", "g", "n"})) ||
        failed(checkOpt(c, "operand 'D'", getD(), {"d"})) ||
        failed(checkOpt(c, "operand 'z'", getZ(), {"b", "d"})) ||
        failed(checkOpt(c, "operand 'dt_bias'", getDtBias(), {"d"})) ||
        failed(c.check("result 'y'", getY().getType(), {"b", "d"})) ||
        failed(c.check("result 'new_state'", getNewState().getType(),
                       {"b", "d", "n"})) ||
        failed(checkGroupsDivide(*this, c, "d", "'B' and 'C'")))
      return failure();
  } else if (rank == 4) {
    if (failed(c.check("operand 'state'", getState().getType(),
                       {"b", "h", "p", "n"})) ||
        failed(c.check("operand 'x'", getX().getType(), {"b", "h", "p"})) ||
        failed(c.check("operand 'dt'", getDt().getType(), {"b", "h"})) ||
        failed(c.check("operand 'A'", getA().getType(), {"h"})) ||
        failed(c.check("operand 'B'", getB().getType(), {"b", "g", "n"})) ||
        failed(c.check("operand 'C'", getC().getType(), {"b", "g", "n"})) ||
        failed(checkHeadD(*this, c, getD())) ||
        failed(checkOpt(c, "operand 'z'", getZ(), {"b", "h", "p"})) ||
        failed(checkOpt(c, "operand 'dt_bias'", getDtBias(), {"h"})) ||
        failed(c.check("result 'y'", getY().getType(), {"b", "h", "p"})) ||
        failed(c.check("result 'new_state'", getNewState().getType(),
                       {"b", "h", "p", "n"})) ||
        failed(checkGroupsDivide(*this, c, "h", "'B' and 'C'")))
      return failure();
  } else {
    return emitOpError() << "operand 'state' must be rank 3 (b, d, n) for "
                            "Mamba-1 or rank 4 (b, h, p, n) for Mamba-2, got "
                         << getState().getType();
  }
  if (failed(checkSameElementType(*this, "operand 'x'", getX(),
                                  {{"operand 'z'", getZ()},
                                   {"result 'y'", getY()}})))
    return failure();
  if (getNewState().getType() != getState().getType())
    return emitOpError() << "result 'new_state' must have the type "
                         << getState().getType() << " of operand 'state', got "
                         << getNewState().getType();
  return checkF32OrF64(*this, {{"operand 'state'", getState()},
                               {"operand 'A'", getA()},
                               {"operand 'D'", getD()},
                               {"operand 'dt_bias'", getDtBias()}});
}

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  llvm::append_range(inferred, adaptor.getInputs().getTypes());
  return success();
}

LogicalResult ScanOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  auto first = cast<RankedTensorType>(getInputs().front().getType());
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getShape() != first.getShape())
      return emitOpError() << "input #" << i << " has shape "
                           << formatShape(t.getShape())
                           << " but every input must have the shape "
                           << formatShape(first.getShape()) << " of input #0";
  }
  int64_t dim = static_cast<int64_t>(getDimension());
  if (dim < 0 || dim >= first.getRank())
    return emitOpError() << "'dimension' = " << dim
                         << " is out of range for inputs of rank "
                         << first.getRank();
  return success();
}

LogicalResult ScanOp::verifyRegions() {
  Block &body = getCombiner().front();
  size_t n = getInputs().size();
  SmallVector<Type> elems;
  for (Value v : getInputs())
    elems.push_back(elementTypeOf(v));
  if (body.getNumArguments() != 2 * n)
    return emitOpError() << "combiner must take " << 2 * n
                         << " arguments (the accumulated then the next element "
                            "of each input), got "
                         << body.getNumArguments();
  for (size_t i = 0; i < 2 * n; ++i)
    if (body.getArgument(i).getType() != elems[i % n])
      return emitOpError() << "combiner argument #" << i << " must have type "
                           << elems[i % n] << " (the element type of input #"
                           << i % n << "), got " << body.getArgument(i).getType();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "combiner must end with 'ssm.yield'";
  if (yield.getValues().size() != n)
    return yield.emitOpError() << "must yield " << n
                               << " values, one per scan input, got "
                               << yield.getValues().size();
  for (auto [i, v] : llvm::enumerate(yield.getValues()))
    if (v.getType() != elems[i])
      return yield.emitOpError()
             << "value #" << i << " must have type " << elems[i]
             << " (the element type of input #" << i << "), got " << v.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// x (..., d) with a weight (d) and a result of x's type.
static LogicalResult verifyNorm(Operation *op, Value x, Value w, Value y,
                                double eps) {
  if (failed(checkEps(op, eps)))
    return failure();
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() < 1)
    return op->emitOpError() << "operand 'x' must have rank >= 1 (..., d), got "
                             << x.getType();
  ShapeChecker c(op);
  if (!xt.isDynamicDim(xt.getRank() - 1))
    c.bind("d", xt.getShape().back(), "operand 'x'");
  if (failed(c.check("operand 'weight'", w.getType(), {"d"})))
    return failure();
  if (y.getType() != x.getType())
    return op->emitOpError() << "result 'y' must have the type " << x.getType()
                             << " of operand 'x', got " << y.getType();
  return success();
}

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getX(), getWeight(), getY(),
                    getEps().convertToDouble());
}

LogicalResult GatedRMSNormOp::verify() {
  if (getZ().getType() != getX().getType())
    return emitOpError() << "operand 'z' must have the type " << getX().getType()
                         << " of operand 'x', got " << getZ().getType();
  if (failed(verifyNorm(*this, getX(), getWeight(), getY(),
                        getEps().convertToDouble())))
    return failure();
  int64_t group = static_cast<int64_t>(getGroupSize());
  int64_t d = getX().getType().getShape().back();
  if (group <= 0)
    return emitOpError() << "'group_size' must be positive, got " << group;
  if (!ShapedType::isDynamic(d) && d % group != 0)
    return emitOpError() << "'group_size' = " << group
                         << " does not divide the channel count d = " << d
                         << " of operand 'x'";
  return success();
}

//===----------------------------------------------------------------------===//
// Mixers
//===----------------------------------------------------------------------===//

/// Weights of model-level ops are constants of the checkpoint: static shapes.
static LogicalResult
requireStaticWeights(ShapeChecker &c,
                     ArrayRef<std::pair<StringRef, Value>> weights) {
  for (auto [name, v] : weights)
    if (v && failed(c.requireStatic(name, v.getType())))
      return failure();
  return success();
}

/// The conv1d weight (channels, k) of a mixer needs k >= 1, as the
/// ssm.causal_conv1d it decomposes into does.
static LogicalResult checkMixerConvWidth(Operation *op, ShapeChecker &c) {
  int64_t k = *c.get("k");
  if (k < 1)
    return op->emitOpError()
           << "operand 'conv_weight' must have a width k >= 1, got " << k;
  return success();
}

/// The caches of a mixer: `conv_state` (S, conv_dim, k - 1) and `ssm_state`
/// (S, ssmDims...) before the first step, and the results `states_out`
/// (none, or both after the last step, f32), S = b, or s with packed
/// sequences (`cu_seqlens`); `world_size` positive.
static LogicalResult checkMixerCaches(Operation *op, ShapeChecker &c,
                                      StringRef convName, Value conv,
                                      Value ssm, Value cu, ValueRange out,
                                      ArrayRef<StringRef> ssmDims,
                                      std::optional<uint64_t> world) {
  if (world && *world < 1)
    return op->emitOpError() << "'world_size' must be positive, got "
                             << static_cast<int64_t>(*world);
  FailureOr<StringRef> lead = checkPacked(op, c, cu);
  if (failed(lead))
    return failure();
  c.bind("k-1", *c.get("k") - 1, "operand 'conv_weight'");
  SmallVector<StringRef> convDims{*lead, convName, "k-1"};
  SmallVector<StringRef> stateDims{*lead};
  stateDims.append(ssmDims.begin(), ssmDims.end());
  if (failed(checkOpt(c, "operand 'conv_state'", conv, convDims)) ||
      failed(checkOpt(c, "operand 'ssm_state'", ssm, stateDims)))
    return failure();
  if (out.empty())
    return checkF32OrF64(op, {{"operand 'conv_state'", conv},
                              {"operand 'ssm_state'", ssm}});
  if (out.size() != 2)
    return op->emitOpError() << "returns the caches after the last step as "
                                "two more results (conv state, SSM state) or "
                                "none, got "
                             << out.size();
  if (failed(c.check("result 'conv_state'", out[0].getType(), convDims)) ||
      failed(c.check("result 'ssm_state'", out[1].getType(), stateDims)))
    return failure();
  return checkF32OrF64(op, {{"operand 'conv_state'", conv},
                            {"operand 'ssm_state'", ssm},
                            {"result 'conv_state'", out[0]},
                            {"result 'ssm_state'", out[1]}});
}

LogicalResult MambaMixerOp::verify() {
  ShapeChecker c(*this);
  if (failed(requireStaticWeights(
          c, {{"operand 'in_proj_weight'", getInProjWeight()},
              {"operand 'in_proj_bias'", getInProjBias()},
              {"operand 'conv_weight'", getConvWeight()},
              {"operand 'conv_bias'", getConvBias()},
              {"operand 'x_proj_weight'", getXProjWeight()},
              {"operand 'dt_proj_weight'", getDtProjWeight()},
              {"operand 'dt_proj_bias'", getDtProjBias()},
              {"operand 'A_log'", getALog()},
              {"operand 'D'", getD()},
              {"operand 'out_proj_weight'", getOutProjWeight()},
              {"operand 'out_proj_bias'", getOutProjBias()}})))
    return failure();
  if (failed(c.check("operand 'hidden'", getHidden().getType(),
                     {"b", "l", "d_model"})) ||
      failed(c.check("operand 'conv_weight'", getConvWeight().getType(),
                     {"d", "k"})) ||
      failed(c.check("operand 'A_log'", getALog().getType(), {"d", "n"})) ||
      failed(c.check("operand 'dt_proj_weight'", getDtProjWeight().getType(),
                     {"d", "r"})))
    return failure();
  int64_t d = *c.get("d"), n = *c.get("n"), r = *c.get("r");
  // Empty channel or state dimensions would decompose into empty slices at
  // out-of-range offsets.
  if (d < 1)
    return emitOpError() << "the channel count d of operand 'conv_weight' "
                            "must be positive, got "
                         << d;
  if (n < 1)
    return emitOpError()
           << "the state size n of operand 'A_log' must be positive, got " << n;
  if (failed(checkMixerConvWidth(*this, c)))
    return failure();
  c.bind("2*d", 2 * d, "operand 'conv_weight' (d = " + std::to_string(d) + ")");
  c.bind("r+2*n", r + 2 * n,
         "operands 'dt_proj_weight' (r = " + std::to_string(r) +
             ") and 'A_log' (n = " + std::to_string(n) + ")");
  if (failed(c.check("operand 'in_proj_weight'", getInProjWeight().getType(),
                     {"2*d", "d_model"})) ||
      failed(checkOpt(c, "operand 'in_proj_bias'", getInProjBias(), {"2*d"})) ||
      failed(checkOpt(c, "operand 'conv_bias'", getConvBias(), {"d"})) ||
      failed(c.check("operand 'x_proj_weight'", getXProjWeight().getType(),
                     {"r+2*n", "d"})) ||
      failed(c.check("operand 'dt_proj_bias'", getDtProjBias().getType(),
                     {"d"})) ||
      failed(c.check("operand 'D'", getD().getType(), {"d"})) ||
      failed(c.check("operand 'out_proj_weight'", getOutProjWeight().getType(),
                     {"d_model", "d"})) ||
      failed(checkOpt(c, "operand 'out_proj_bias'", getOutProjBias(),
                      {"d_model"})) ||
      failed(c.check("result 'out'", getOut().getType(),
                     {"b", "l", "d_model"})))
    return failure();
  if (failed(checkMixerCaches(*this, c, "d", getConvState(),
                              getSsmState(), getCuSeqlens(), getStatesOut(),
                              {"d", "n"}, getWorldSize())))
    return failure();
  return checkSameElementType(*this, "operand 'hidden'", getHidden(),
                              {{"result 'out'", getOut()}});
}

LogicalResult Mamba2MixerOp::verify() {
  int64_t g = static_cast<int64_t>(getNGroups());
  int64_t p = static_cast<int64_t>(getHeadDim());
  if (g <= 0)
    return emitOpError() << "'n_groups' must be positive, got " << g;
  if (p <= 0)
    return emitOpError() << "'head_dim' must be positive, got " << p;
  if (failed(checkChunkSize(*this, getChunkSize())) ||
      failed(checkDtLimit(*this, getDtLimit())) ||
      failed(checkEps(*this, getEps().convertToDouble())))
    return failure();
  ShapeChecker c(*this);
  if (failed(requireStaticWeights(
          c, {{"operand 'in_proj_weight'", getInProjWeight()},
              {"operand 'in_proj_bias'", getInProjBias()},
              {"operand 'conv_weight'", getConvWeight()},
              {"operand 'conv_bias'", getConvBias()},
              {"operand 'dt_bias'", getDtBias()},
              {"operand 'A_log'", getALog()},
              {"operand 'D'", getD()},
              {"operand 'norm_weight'", getNormWeight()},
              {"operand 'out_proj_weight'", getOutProjWeight()},
              {"operand 'out_proj_bias'", getOutProjBias()}})))
    return failure();
  if (failed(c.check("operand 'hidden'", getHidden().getType(),
                     {"b", "l", "d_model"})) ||
      failed(c.check("operand 'norm_weight'", getNormWeight().getType(),
                     {"d"})) ||
      failed(c.check("operand 'A_log'", getALog().getType(), {"h"})) ||
      failed(c.check("operand 'dt_bias'", getDtBias().getType(), {"h"})) ||
      failed(c.check("operand 'D'", getD().getType(), {"h"})) ||
      failed(c.check("operand 'conv_weight'", getConvWeight().getType(),
                     {"conv_dim", "k"})))
    return failure();
  int64_t d = *c.get("d"), h = *c.get("h"), convDim = *c.get("conv_dim");
  // With h >= 1 the check below also makes d = h * p positive.
  if (h < 1)
    return emitOpError()
           << "the head count h of operand 'A_log' must be positive, got " << h;
  if (failed(checkMixerConvWidth(*this, c)))
    return failure();
  if (h * p != d)
    return emitOpError() << "'head_dim' = " << p << " times the head count h = "
                         << h << " of operand 'A_log' must equal d = " << d
                         << " of operand 'norm_weight'";
  if (h % g != 0)
    return emitOpError() << "'n_groups' = " << g
                         << " does not divide the head count h = " << h;
  int64_t twoGN = convDim - d;
  if (twoGN <= 0 || twoGN % (2 * g) != 0)
    return emitOpError() << "operand 'conv_weight' has " << convDim
                         << " channels, expected d + 2*g*n = " << d << " + 2*"
                         << g << "*n for some n >= 1";
  c.bind("2*d+2*g*n+h", 2 * d + twoGN + h,
         "operands 'norm_weight', 'conv_weight' and 'A_log'");
  if (failed(c.check("operand 'in_proj_weight'", getInProjWeight().getType(),
                     {"2*d+2*g*n+h", "d_model"})) ||
      failed(checkOpt(c, "operand 'in_proj_bias'", getInProjBias(),
                      {"2*d+2*g*n+h"})) ||
      failed(checkOpt(c, "operand 'conv_bias'", getConvBias(), {"conv_dim"})) ||
      failed(c.check("operand 'out_proj_weight'", getOutProjWeight().getType(),
                     {"d_model", "d"})) ||
      failed(checkOpt(c, "operand 'out_proj_bias'", getOutProjBias(),
                      {"d_model"})) ||
      failed(c.check("result 'out'", getOut().getType(),
                     {"b", "l", "d_model"})))
    return failure();
  c.bind("p", p, "'head_dim'");
  c.bind("n", twoGN / (2 * g), "operand 'conv_weight' (d + 2*g*n)");
  if (failed(checkMixerCaches(*this, c, "conv_dim", getConvState(),
                              getSsmState(), getCuSeqlens(), getStatesOut(),
                              {"h", "p", "n"}, getWorldSize())))
    return failure();
  // The gated norm's group: within this op's channels, or (a shard of a
  // tensor-parallel mixer) the whole width of all ranks.
  if (std::optional<uint64_t> gs = getNormGroupSize()) {
    int64_t group = static_cast<int64_t>(*gs);
    std::optional<uint64_t> world = getWorldSize();
    bool spread = world && group == d * static_cast<int64_t>(*world);
    if (group <= 0 || (d % group != 0 && !spread))
      return emitOpError()
             << "'norm_group_size' = " << group
             << " must divide the channel count d = " << d
             << (world ? " or, spanning every rank, equal d times "
                         "'world_size'"
                       : "");
  }
  return checkSameElementType(*this, "operand 'hidden'", getHidden(),
                              {{"result 'out'", getOut()}});
}

//===----------------------------------------------------------------------===//
// Model-level building blocks and collectives
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  if (std::optional<uint64_t> world = getWorldSize(); world && *world < 1)
    return emitOpError() << "'world_size' must be positive, got "
                         << static_cast<int64_t>(*world);
  ShapeChecker c(*this);
  if (failed(requireStaticWeights(c, {{"operand 'table'", getTable()}})) ||
      failed(c.check("operand 'tokens'", getTokens().getType(), {"b", "l"})) ||
      failed(c.check("operand 'table'", getTable().getType(),
                     {"vocab", "d_model"})) ||
      failed(c.check("result 'out'", getOut().getType(),
                     {"b", "l", "d_model"})))
    return failure();
  if (*c.get("vocab") < 1)
    return emitOpError() << "operand 'table' must have at least one row";
  return checkF32OrF64(*this, {{"result 'out'", getOut()}});
}

LogicalResult LinearOp::verify() {
  ShapeChecker c(*this);
  if (failed(requireStaticWeights(c, {{"operand 'weight'", getWeight()},
                                      {"operand 'bias'", getBias()}})) ||
      failed(c.check("operand 'x'", getX().getType(), {"b", "l", "in"})) ||
      failed(c.check("operand 'weight'", getWeight().getType(),
                     {"out", "in"})) ||
      failed(checkOpt(c, "operand 'bias'", getBias(), {"out"})) ||
      failed(c.check("result 'y'", getY().getType(), {"b", "l", "out"})))
    return failure();
  return checkF32OrF64(*this, {{"result 'y'", getY()}});
}

LogicalResult AllReduceOp::verify() {
  if (getWorldSize() < 1)
    return emitOpError() << "'world_size' must be positive, got "
                         << static_cast<int64_t>(getWorldSize());
  return checkF32OrF64(*this, {{"operand 'x'", getX()}});
}

LogicalResult AllGatherOp::verify() {
  int64_t world = static_cast<int64_t>(getWorldSize());
  if (world < 1)
    return emitOpError() << "'world_size' must be positive, got " << world;
  auto in = cast<RankedTensorType>(getX().getType());
  auto out = cast<RankedTensorType>(getY().getType());
  int64_t dim = static_cast<int64_t>(getDim());
  if (dim < 0 || dim >= in.getRank())
    return emitOpError() << "'dim' = " << dim
                         << " is not a dimension of operand 'x' (rank "
                         << in.getRank() << ")";
  if (out.getRank() != in.getRank() ||
      out.getElementType() != in.getElementType())
    return emitOpError() << "result 'y' must have the rank and element type "
                            "of operand 'x', got "
                         << out << " for " << in;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t a = in.getDimSize(i), b = out.getDimSize(i);
    int64_t want = i == dim && !ShapedType::isDynamic(a) ? a * world : a;
    if (!ShapedType::isDynamic(want) && !ShapedType::isDynamic(b) &&
        want != b)
      return emitOpError() << "result 'y' dimension " << i << " must be "
                           << want
                           << (i == dim ? " (world_size times operand 'x')"
                                        : " (as operand 'x')")
                           << ", got " << b;
  }
  return checkF32OrF64(*this, {{"operand 'x'", getX()}});
}

//===----------------------------------------------------------------------===//
// LinearAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult LinearAttentionOp::verify() {
  if (failed(checkChunkSize(*this, getChunkSize())))
    return failure();
  int64_t rank = cast<ShapedType>(getQ().getType()).getRank();
  if (rank < 2)
    return emitOpError() << "operand 'q' must have rank 2 or more (..., T, "
                            "K), got "
                         << getQ().getType();
  // Names for the shape checks: o0, o1, ... for the outer dimensions.
  SmallVector<std::string> outerNames;
  for (int64_t i = 0; i + 2 < rank; ++i)
    outerNames.push_back("o" + std::to_string(i));
  auto named = [&](std::initializer_list<StringRef> tail) {
    SmallVector<StringRef> dims(outerNames.begin(), outerNames.end());
    dims.append(tail.begin(), tail.end());
    return dims;
  };
  ShapeChecker c(*this);
  if (failed(c.check("operand 'q'", getQ().getType(), named({"T", "K"}))) ||
      failed(c.check("operand 'k'", getK().getType(), named({"T", "K"}))) ||
      failed(c.check("operand 'v'", getV().getType(), named({"T", "V"}))))
    return failure();
  int64_t decayRank = cast<ShapedType>(getLogDecay().getType()).getRank();
  if (decayRank == rank - 1) {
    if (failed(c.check("operand 'log_decay'", getLogDecay().getType(),
                       named({"T"}))))
      return failure();
  } else if (decayRank == rank) {
    if (failed(c.check("operand 'log_decay'", getLogDecay().getType(),
                       named({"T", "K"}))))
      return failure();
  } else {
    return emitOpError() << "operand 'log_decay' must be (..., T), one decay "
                            "per step, or (..., T, K), one per key "
                            "dimension; got "
                         << getLogDecay().getType();
  }
  if (failed(checkOpt(c, "operand 'initial_state'", getInitialState(),
                      named({"K", "V"}))) ||
      failed(c.check("result 'out'", getOut().getType(), named({"T", "V"}))) ||
      failed(checkOpt(c, "result 'final_state'", getFinalState(),
                      named({"K", "V"}))))
    return failure();
  return checkF32OrF64(*this, {{"operand 'log_decay'", getLogDecay()},
                               {"operand 'initial_state'", getInitialState()},
                               {"result 'out'", getOut()},
                               {"result 'final_state'", getFinalState()}});
}
