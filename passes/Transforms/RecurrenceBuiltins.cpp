//===- RecurrenceBuiltins.cpp - recurrences that are built-in ssm ops -----===//
//
// Recognises, in an ssm.recurrence, Mamba-1's selective scan and Mamba-2's
// SSD as their papers write them, and rewrites the recurrence into
// ssm.selective_scan or ssm.ssd, whose kernels are tuned on every target:
//
//   dt = softplus(delta + bias)                (bias and softplus optional)
//   S  = exp(dt * A) * S + dt * X * B          (factors in any order)
//   y  = (sum(n, C * S) + D * X) * silu(z)     (D and the gate optional)
//
// Mamba-1: S over (b, d, n), A a param over (d, n), X and dt over (b, d).
// Mamba-2: S over (b, h, p, n), A a param over (h), dt over (b, h), X over
// (b, h, p); D over (h) or (h, p). B and C range over (b, n) (one group).
// Tensors whose declared layout differs from the op's are copied into it.
//
//===----------------------------------------------------------------------===//
#include "RecurrenceForms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace {

/// The factors of a product tree (mulf only).
void factorsOf(Value v, SmallVectorImpl<Value> &out) {
  if (auto mul = v.getDefiningOp<arith::MulFOp>()) {
    factorsOf(mul.getLhs(), out);
    factorsOf(mul.getRhs(), out);
    return;
  }
  out.push_back(v);
}

/// The terms of a sum tree (addf only).
void termsOf(Value v, SmallVectorImpl<Value> &out) {
  if (auto add = v.getDefiningOp<arith::AddFOp>()) {
    termsOf(add.getLhs(), out);
    termsOf(add.getRhs(), out);
    return;
  }
  out.push_back(v);
}

/// What a match found: body arguments (input indices) and dimensions.
struct Match {
  bool mamba2 = false;
  unsigned batch = 0, channel = 0, state = 0, head = 0, headDim = 0;
  int x = -1, delta = -1, bias = -1, a = -1, b = -1, c = -1, d = -1, z = -1;
  bool softplus = false;
};

class Matcher {
public:
  Matcher(RecurrenceOp op, const RecurrenceShape &s) : op(op), s(s) {}

  std::optional<Match> run();

private:
  RecurrenceOp op;
  const RecurrenceShape &s;
  Match m;

  Block &body() { return op.getBody().front(); }
  unsigned numInputs() { return s.inputs.size(); }
  DimMask bits(std::initializer_list<unsigned> dims) {
    DimMask r = 0;
    for (unsigned d : dims)
      r |= s.bit(d);
    return r;
  }
  /// The input index of `v` when it is a body argument of an input with
  /// (`time`) or without the time dimension over exactly `dims`.
  int argument(Value v, bool time, DimMask dims) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body() || arg.getArgNumber() >= numInputs())
      return -1;
    unsigned i = arg.getArgNumber();
    if (s.inputHasTime[i] != time || s.inputMasks[i] != dims)
      return -1;
    return static_cast<int>(i);
  }
  /// dt = softplus(delta + bias) | softplus(delta) | delta + bias | delta.
  bool matchDt(Value dt, DimMask dims, DimMask biasDims) {
    if (auto sp = dt.getDefiningOp<SoftplusOp>()) {
      m.softplus = true;
      dt = sp.getX();
    }
    if (auto add = dt.getDefiningOp<arith::AddFOp>()) {
      for (auto [x, y] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
        int delta = argument(x, true, dims), bias = argument(y, false, biasDims);
        if (delta >= 0 && bias >= 0) {
          m.delta = delta;
          m.bias = bias;
          return true;
        }
      }
      return false;
    }
    m.delta = argument(dt, true, dims);
    return m.delta >= 0;
  }
};

std::optional<Match> Matcher::run() {
  if (s.states.size() != 1 || s.outputs.size() != 1)
    return std::nullopt;
  auto yield = cast<RecYieldOp>(body().getTerminator());
  Value state = body().getArgument(numInputs());
  Value next = yield.getValues()[0], out = yield.getValues()[1];
  DimMask stateMask = s.stateMasks[0];
  unsigned rank = llvm::popcount(stateMask);
  if (rank != 3 && rank != 4)
    return std::nullopt;
  m.mamba2 = rank == 4;

  // The update: exp(dt * A) * S + dt * X * B.
  SmallVector<Value> terms;
  termsOf(next, terms);
  if (terms.size() != 2)
    return std::nullopt;
  Value decay, input;
  for (Value t : terms) {
    SmallVector<Value> f;
    factorsOf(t, f);
    if (f.size() == 2 && (f[0] == state || f[1] == state))
      decay = f[0] == state ? f[1] : f[0];
    else
      input = t;
  }
  if (!decay || !input)
    return std::nullopt;
  auto exp = decay.getDefiningOp<math::ExpOp>();
  if (!exp)
    return std::nullopt;
  SmallVector<Value> dtA;
  factorsOf(exp.getOperand(), dtA);
  if (dtA.size() != 2)
    return std::nullopt;

  // The readout fixes the state dimension n: sum(n, C * S').
  auto yieldUses = [&](Value v) {
    unsigned n = 0;
    for (Operation *user : v.getUsers())
      n += user != yield.getOperation();
    return n;
  };
  if (yieldUses(next) != 1)
    return std::nullopt;
  auto readMul = dyn_cast<arith::MulFOp>(*llvm::find_if(
      next.getUsers(), [&](Operation *u) { return u != yield.getOperation(); }));
  if (!readMul || !readMul->hasOneUse())
    return std::nullopt;
  auto sum = dyn_cast<RecSumOp>(*readMul->getUsers().begin());
  if (!sum)
    return std::nullopt;
  auto dimIt = llvm::find(s.dims, sum.getDim());
  m.state = static_cast<unsigned>(dimIt - s.dims.begin());
  Value cVal = readMul.getLhs() == next ? readMul.getRhs() : readMul.getLhs();

  // A: a param over (d, n) (Mamba-1) or (h) (Mamba-2); dt the other factor.
  Value aVal, dt;
  for (auto [x, y] : {std::pair(dtA[0], dtA[1]), std::pair(dtA[1], dtA[0])}) {
    auto arg = dyn_cast<BlockArgument>(x);
    if (arg && arg.getOwner() == &body() && arg.getArgNumber() < numInputs() &&
        !s.inputHasTime[arg.getArgNumber()]) {
      aVal = x;
      dt = y;
    }
  }
  if (!aVal)
    return std::nullopt;
  DimMask aDims = s.valueDims.lookup(aVal);
  DimMask rest = stateMask & ~s.bit(m.state);
  if (!m.mamba2) {
    // A over (d, n): d is A's other dimension, b the state's third.
    if (llvm::popcount(aDims) != 2 || !(aDims & s.bit(m.state)))
      return std::nullopt;
    m.channel = llvm::countr_zero(aDims & ~s.bit(m.state));
    if (!(rest & s.bit(m.channel)))
      return std::nullopt;
    m.batch = llvm::countr_zero(rest & ~s.bit(m.channel));
  } else {
    if (llvm::popcount(aDims) != 1 || !(rest & aDims))
      return std::nullopt;
    m.head = llvm::countr_zero(aDims);
  }
  m.a = cast<BlockArgument>(aVal).getArgNumber();

  // The input term: dt * X * B.
  SmallVector<Value> f;
  factorsOf(input, f);
  if (f.size() != 3 || !llvm::is_contained(f, dt))
    return std::nullopt;
  f.erase(llvm::find(f, dt));
  Value xVal, bVal;
  for (auto [x, y] : {std::pair(f[0], f[1]), std::pair(f[1], f[0])}) {
    DimMask bx = s.valueDims.lookup(y);
    if (llvm::popcount(bx) == 2 && (bx & s.bit(m.state))) {
      xVal = x;
      bVal = y;
    }
  }
  if (!xVal)
    return std::nullopt;
  DimMask bDims = s.valueDims.lookup(bVal);
  DimMask batchBit = bDims & ~s.bit(m.state);
  if (m.mamba2) {
    m.batch = llvm::countr_zero(batchBit);
    DimMask pBits = rest & ~bits({m.batch, m.head});
    if (llvm::popcount(pBits) != 1)
      return std::nullopt;
    m.headDim = llvm::countr_zero(pBits);
  } else if (batchBit != s.bit(m.batch)) {
    return std::nullopt;
  }
  DimMask xDims = m.mamba2 ? bits({m.batch, m.head, m.headDim})
                           : bits({m.batch, m.channel});
  DimMask dtDims = m.mamba2 ? bits({m.batch, m.head}) : xDims;
  DimMask perChannel = m.mamba2 ? s.bit(m.head) : s.bit(m.channel);
  m.x = argument(xVal, true, xDims);
  m.b = argument(bVal, true, bits({m.batch, m.state}));
  m.c = argument(cVal, true, bits({m.batch, m.state}));
  if (m.x < 0 || m.b < 0 || m.c < 0 || !matchDt(dt, dtDims, perChannel))
    return std::nullopt;
  if (m.mamba2 ? aDims != s.bit(m.head)
               : aDims != bits({m.channel, m.state}))
    return std::nullopt;

  // The output: (R + D * X) * silu(z), R the readout.
  Value y = out;
  if (auto mul = out.getDefiningOp<arith::MulFOp>()) {
    for (auto [p, q] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())})
      if (auto silu = q.getDefiningOp<SiluOp>()) {
        int z = argument(silu.getX(), true, xDims);
        if (z >= 0) {
          m.z = z;
          y = p;
          break;
        }
      }
    if (m.z < 0)
      return std::nullopt;
  }
  SmallVector<Value> outTerms;
  termsOf(y, outTerms);
  if (outTerms.empty() || outTerms.size() > 2 ||
      !llvm::is_contained(outTerms, sum.getResult()))
    return std::nullopt;
  if (outTerms.size() == 2) {
    Value dx = outTerms[0] == sum.getResult() ? outTerms[1] : outTerms[0];
    SmallVector<Value> df;
    factorsOf(dx, df);
    if (df.size() != 2 || !llvm::is_contained(df, xVal))
      return std::nullopt;
    Value dVal = df[0] == xVal ? df[1] : df[0];
    m.d = argument(dVal, false, perChannel);
    if (m.d < 0 && m.mamba2)
      m.d = argument(dVal, false, bits({m.head, m.headDim}));
    if (m.d < 0)
      return std::nullopt;
  }
  // Every other use of these values would be lost.
  if (!s.outputs.empty() && s.outputMasks[0] != xDims)
    return std::nullopt;
  return m;
}

/// Builds the built-in op for a match.
class BuiltinBuilder {
public:
  BuiltinBuilder(RecurrenceOp op, const RecurrenceShape &s, const Match &m,
          OpBuilder &b)
      : op(op), s(s), m(m), b(b), loc(op.getLoc()) {}

  void run();

private:
  RecurrenceOp op;
  const RecurrenceShape &s;
  const Match &m;
  OpBuilder &b;
  Location loc;

  Value layout(Value v, ArrayRef<unsigned> from, ArrayRef<unsigned> to,
               Type elem) {
    return copyToLayout(b, op, s, v, from, to, elem);
  }
  Value input(int i, ArrayRef<unsigned> to, Type elem) {
    if (i < 0)
      return Value();
    Value v = op.getInputs()[i];
    return layout(v, s.inputs[i], to, elem);
  }
  Type elemOf(int i) {
    return cast<RankedTensorType>(op.getInputs()[i].getType())
        .getElementType();
  }
  /// (..., n, ...) with a unit group dimension inserted at `axis`.
  Value withGroup(Value v, int64_t axis) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape.insert(shape.begin() + axis, 1);
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < type.getRank(); ++d)
      groups.push_back({d < axis ? d : d + 1});
    groups[axis].insert(groups[axis].begin(), axis);
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v,
        groups);
  }
  RankedTensorType typeOver(ArrayRef<unsigned> dims, Type elem) {
    SmallVector<int64_t> shape;
    for (unsigned d : dims)
      shape.push_back(s.staticSizes[d]);
    return RankedTensorType::get(shape, elem);
  }
};

void BuiltinBuilder::run() {
  b.setInsertionPoint(op);
  Type f32 = b.getF32Type();
  unsigned t = s.time;
  Type act = elemOf(m.x);
  Type outElem =
      cast<RankedTensorType>(op.getOutputs()[0].getType()).getElementType();
  Value init;
  SmallVector<unsigned> xDims, stateDims, dtDims, bcDims, perChannel;
  if (!m.mamba2) {
    xDims = {m.batch, m.channel, t};
    stateDims = {m.batch, m.channel, m.state};
    dtDims = xDims;
    bcDims = {m.batch, m.state, t};
    perChannel = {m.channel};
  } else {
    xDims = {m.batch, t, m.head, m.headDim};
    stateDims = {m.batch, m.head, m.headDim, m.state};
    dtDims = {m.batch, t, m.head};
    bcDims = {m.batch, t, m.state};
    perChannel = {m.head};
  }
  Value x = input(m.x, xDims, act);
  Value dt = input(m.delta, dtDims, m.mamba2 ? elemOf(m.delta) : act);
  Value a = input(m.a, m.mamba2 ? SmallVector<unsigned>{m.head}
                                 : SmallVector<unsigned>{m.channel, m.state},
                  f32);
  int64_t groupAxis = m.mamba2 ? 2 : 1;
  Value bMat = withGroup(input(m.b, bcDims, elemOf(m.b)), groupAxis);
  Value cMat = withGroup(input(m.c, bcDims, elemOf(m.c)), groupAxis);
  Value d;
  if (m.d >= 0)
    d = input(m.d, s.inputs[m.d], f32);
  Value z = input(m.z, xDims, act);
  Value bias = input(m.bias, perChannel, f32);
  if (!op.getInitialStates().empty())
    init = layout(op.getInitialStates()[0], s.states[0], stateDims, f32);
  RankedTensorType outType = typeOver(xDims, act),
                   finalType = typeOver(stateDims, f32);
  Value out, fin;
  if (!m.mamba2) {
    auto scan = SelectiveScanOp::create(
        b, loc, outType, finalType, x, dt, a, bMat, cMat, d, z, bias, init,
        /*cu_seqlens=*/Value(), m.softplus ? b.getUnitAttr() : UnitAttr());
    out = scan.getOut();
    fin = scan.getFinalState();
  } else {
    auto ssd = SSDOp::create(b, loc, outType, finalType, x, dt, a, bMat, cMat,
                             d, z, bias, init, /*seq_idx=*/Value(),
                             /*cu_seqlens=*/Value(), b.getI64IntegerAttr(256),
                             m.softplus ? b.getUnitAttr() : UnitAttr(),
                             /*dt_limit=*/DenseF64ArrayAttr(),
                             /*unscaled_input=*/UnitAttr());
    out = ssd.getOut();
    fin = ssd.getFinalStates();
  }
  Value outDeclared = layout(out, xDims, s.outputs[0], outElem);
  Value finDeclared =
      layout(fin, stateDims, s.states[0],
             cast<RankedTensorType>(op.getFinalStates()[0].getType())
                 .getElementType());
  SmallVector<Value> results;
  for (auto [v, want] :
       {std::pair(outDeclared, op.getOutputs()[0].getType()),
        std::pair(finDeclared, op.getFinalStates()[0].getType())})
    results.push_back(v.getType() == want
                          ? v
                          : tensor::CastOp::create(b, loc, want, v).getResult());
  op.replaceAllUsesWith(results);
  op.erase();
}

} // namespace

OpFoldResult ssmc::ssm::recurrenceDimSize(OpBuilder &b, RecurrenceOp op,
                                          const RecurrenceShape &s,
                                          unsigned d) {
  if (!ShapedType::isDynamic(s.staticSizes[d]))
    return b.getIndexAttr(s.staticSizes[d]);
  auto [input, axis] = s.sizeSource[d];
  return tensor::DimOp::create(b, op.getLoc(), op.getInputs()[input], axis)
      .getResult();
}

Value ssmc::ssm::copyToLayout(OpBuilder &b, RecurrenceOp op,
                              const RecurrenceShape &s, Value v,
                              ArrayRef<unsigned> from, ArrayRef<unsigned> to,
                              Type elem) {
  auto type = cast<RankedTensorType>(v.getType());
  if (from == to && type.getElementType() == elem)
    return v;
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (unsigned d : to)
    sizes.push_back(recurrenceDimSize(b, op, s, d));
  Value init = tensor::EmptyOp::create(b, loc, sizes, elem);
  SmallVector<AffineExpr> exprs;
  for (unsigned d : from)
    exprs.push_back(b.getAffineDimExpr(llvm::find(to, d) - to.begin()));
  SmallVector<AffineMap> maps{
      AffineMap::get(to.size(), 0, exprs, b.getContext()),
      b.getMultiDimIdentityMap(to.size())};
  SmallVector<utils::IteratorType> iters(to.size(),
                                         utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{v},
             ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value x = args[0];
               if (x.getType() != elem)
                 x = x.getType().getIntOrFloatBitWidth() <
                             elem.getIntOrFloatBitWidth()
                         ? arith::ExtFOp::create(nb, l, elem, x).getResult()
                         : arith::TruncFOp::create(nb, l, elem, x)
                               .getResult();
               linalg::YieldOp::create(nb, l, x);
             })
      .getResult(0);
}

std::optional<std::string>
ssmc::ssm::deriveBuiltinForm(RecurrenceOp op, const RecurrenceShape &shape,
                             OpBuilder &b) {
  std::optional<Match> m = Matcher(op, shape).run();
  if (!m)
    return std::nullopt;
  BuiltinBuilder(op, shape, *m, b).run();
  return m->mamba2 ? std::string("this is Mamba-2's SSD: ssm.ssd and its "
                                 "kernels (chunked dual form)")
                   : std::string("this is Mamba-1's selective scan: "
                                 "ssm.selective_scan and its kernels");
}
