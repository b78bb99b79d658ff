//===- EmitMLIR.cpp - a checked *.ssm recurrence as an ssm module ---------===//
//
// One ssm.recurrence per entry function: the body is the step, built from
// the lets, then the updates (reading the previous states), then the outputs
// (reading the updated states). See EmitMLIR.h for the functions.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Frontends/DSL/EmitMLIR.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace ssmc::dsl;

namespace {

class Emitter {
public:
  Emitter(const Recurrence &r, const llvm::SourceMgr &sourceMgr,
          MLIRContext &context, const EmitOptions &options)
      : r(r), sourceMgr(sourceMgr), ctx(context), options(options),
        b(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  const Recurrence &r;
  const llvm::SourceMgr &sourceMgr;
  MLIRContext &ctx;
  const EmitOptions &options;
  OpBuilder b;

  /// Per body: the value of each let, and of each state before and after
  /// the step.
  SmallVector<Value> lets, oldStates, newStates;
  /// The body argument of each input/param decl (indexed by decl).
  DenseMap<unsigned, Value> args;

  Location loc(llvm::SMLoc at) {
    if (!at.isValid())
      return UnknownLoc::get(&ctx);
    unsigned buffer = sourceMgr.FindBufferContainingLoc(at);
    if (!buffer)
      return UnknownLoc::get(&ctx);
    auto [line, col] = sourceMgr.getLineAndColumn(at, buffer);
    return FileLineColLoc::get(&ctx, r.fileName, line, col);
  }

  Type elemType(ElemType t) {
    switch (t) {
    case ElemType::F32:
      return b.getF32Type();
    case ElemType::F16:
      return b.getF16Type();
    case ElemType::BF16:
      return b.getBF16Type();
    }
    return b.getF32Type();
  }

  /// The tensor type of `decl`, without the time dimension when `noTime`.
  RankedTensorType tensorType(const TensorDecl &decl, bool noTime = false) {
    SmallVector<int64_t> shape;
    for (unsigned d : decl.dims) {
      if (noTime && d == r.timeDim)
        continue;
      shape.push_back(r.dims[d].size ? *r.dims[d].size : ShapedType::kDynamic);
    }
    ElemType et = decl.type;
    if (options.activationType &&
        (decl.kind == DeclKind::Input || decl.kind == DeclKind::Output))
      et = *options.activationType;
    return RankedTensorType::get(shape, elemType(et));
  }

  ArrayAttr dimNames(const TensorDecl &decl) {
    SmallVector<Attribute> names;
    for (unsigned d : decl.dims)
      names.push_back(b.getStringAttr(r.dims[d].name));
    return b.getArrayAttr(names);
  }

  SmallVector<const TensorDecl *> declsOf(DeclKind kind) {
    SmallVector<const TensorDecl *> out;
    for (const TensorDecl &d : r.decls)
      if (d.kind == kind)
        out.push_back(&d);
    return out;
  }
  /// Inputs and params in file order: the recurrence's operands.
  SmallVector<unsigned> operandDecls() {
    SmallVector<unsigned> out;
    for (auto [i, d] : llvm::enumerate(r.decls))
      if (d.kind == DeclKind::Input || d.kind == DeclKind::Param)
        out.push_back(i);
    return out;
  }

  /// The reassociation that puts a unit dimension at `axis` of a tensor of
  /// rank `rank` (the result's rank).
  SmallVector<ReassociationIndices> unitDim(int64_t rank, int axis) {
    SmallVector<ReassociationIndices> groups;
    if (rank == 1)
      return groups; // from rank 0
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis && !groups.empty()) {
        groups.back().push_back(d);
        continue;
      }
      if (d == axis + 1 && axis == 0) {
        groups.back().push_back(d);
        continue;
      }
      groups.push_back({d});
    }
    return groups;
  }
  Value expandWithTime(Value v, RankedTensorType type, int axis) {
    return tensor::ExpandShapeOp::create(b, v.getLoc(), type, v,
                                         unitDim(type.getRank(), axis));
  }
  Value collapseTime(Value v, RankedTensorType type, int axis) {
    auto from = cast<RankedTensorType>(v.getType());
    return tensor::CollapseShapeOp::create(b, v.getLoc(), type, v,
                                           unitDim(from.getRank(), axis));
  }

  Value expr(const Expr &e, bool afterUpdate);
  /// Builds the recurrence over `operands` (and `inits`) at `b`.
  ssmc::ssm::RecurrenceOp recurrence(ValueRange operands, ValueRange inits,
                                     ArrayRef<Type> resultTypes);
  void buildFunction(ModuleOp module, StringRef name, bool withInit,
                     bool step);
};

Value Emitter::expr(const Expr &e, bool afterUpdate) {
  Location l = loc(e.loc);
  switch (e.kind) {
  case ExprKind::Number:
    return arith::ConstantOp::create(b, l, b.getF32FloatAttr(e.value));
  case ExprKind::Ref:
    switch (e.refKind) {
    case RefKind::Input:
    case RefKind::Param:
      return args.lookup(e.refIndex);
    case RefKind::Let:
      return lets[e.refIndex];
    case RefKind::State: {
      unsigned index = 0;
      for (unsigned i = 0; i < e.refIndex; ++i)
        index += r.decls[i].kind == DeclKind::State;
      return afterUpdate ? newStates[index] : oldStates[index];
    }
    }
    break;
  case ExprKind::Neg:
    return arith::NegFOp::create(b, l, expr(*e.operands[0], afterUpdate));
  case ExprKind::Binary: {
    Value x = expr(*e.operands[0], afterUpdate);
    Value y = expr(*e.operands[1], afterUpdate);
    switch (e.op) {
    case '+':
      return arith::AddFOp::create(b, l, x, y);
    case '-':
      return arith::SubFOp::create(b, l, x, y);
    case '*':
      return arith::MulFOp::create(b, l, x, y);
    default:
      return arith::DivFOp::create(b, l, x, y);
    }
  }
  case ExprKind::Call: {
    SmallVector<Value> x;
    for (const ExprPtr &operand : e.operands)
      x.push_back(expr(*operand, afterUpdate));
    StringRef f = e.callee;
    using namespace ssmc::ssm;
    if (f == "exp")
      return math::ExpOp::create(b, l, x[0]);
    if (f == "log")
      return math::LogOp::create(b, l, x[0]);
    if (f == "sqrt")
      return math::SqrtOp::create(b, l, x[0]);
    if (f == "tanh")
      return math::TanhOp::create(b, l, x[0]);
    if (f == "sin")
      return math::SinOp::create(b, l, x[0]);
    if (f == "cos")
      return math::CosOp::create(b, l, x[0]);
    if (f == "abs")
      return math::AbsFOp::create(b, l, x[0]);
    if (f == "softplus")
      return SoftplusOp::create(b, l, x[0]);
    if (f == "sigmoid")
      return SigmoidOp::create(b, l, x[0]);
    if (f == "logsigmoid")
      return LogSigmoidOp::create(b, l, x[0]);
    if (f == "silu")
      return SiluOp::create(b, l, x[0]);
    if (f == "max")
      return arith::MaximumFOp::create(b, l, x[0], x[1]);
    return arith::MinimumFOp::create(b, l, x[0], x[1]);
  }
  case ExprKind::Sum:
    return ssmc::ssm::RecSumOp::create(b, l, expr(*e.operands[0], afterUpdate),
                                       r.dims[e.dim].name);
  }
  return Value();
}

ssmc::ssm::RecurrenceOp Emitter::recurrence(ValueRange operands,
                                            ValueRange inits,
                                            ArrayRef<Type> resultTypes) {
  Location l = loc(r.decls.empty() ? llvm::SMLoc() : r.decls.front().loc);
  SmallVector<Attribute> dimAttrs, inputDims, stateDims, outputDims;
  for (const Dim &d : r.dims)
    dimAttrs.push_back(b.getStringAttr(d.name));
  for (unsigned i : operandDecls())
    inputDims.push_back(dimNames(r.decls[i]));
  for (const TensorDecl *d : declsOf(DeclKind::State))
    stateDims.push_back(dimNames(*d));
  for (const TensorDecl *d : declsOf(DeclKind::Output))
    outputDims.push_back(dimNames(*d));
  auto op = ssmc::ssm::RecurrenceOp::create(
      b, l, resultTypes, operands, inits, b.getStringAttr(r.name),
      b.getArrayAttr(dimAttrs), b.getStringAttr(r.dims[r.timeDim].name),
      b.getArrayAttr(inputDims), b.getArrayAttr(stateDims),
      b.getArrayAttr(outputDims));

  OpBuilder::InsertionGuard guard(b);
  Block *body = b.createBlock(&op.getBody());
  args.clear();
  lets.clear();
  oldStates.clear();
  newStates.clear();
  for (unsigned i : operandDecls())
    args[i] = body->addArgument(b.getF32Type(), loc(r.decls[i].loc));
  for (const TensorDecl *d : declsOf(DeclKind::State))
    oldStates.push_back(body->addArgument(b.getF32Type(), loc(d->loc)));
  for (const Let &let : r.lets)
    lets.push_back(expr(*let.value, /*afterUpdate=*/false));
  for (const Update &u : r.updates)
    newStates.push_back(expr(*u.value, /*afterUpdate=*/false));
  SmallVector<Value> yielded(newStates);
  for (const Output &o : r.outputs)
    yielded.push_back(expr(*o.value, /*afterUpdate=*/true));
  ssmc::ssm::RecYieldOp::create(b, l, yielded);
  return op;
}

void Emitter::buildFunction(ModuleOp module, StringRef name, bool withInit,
                            bool step) {
  SmallVector<Type> argTypes, resultTypes, recResultTypes;
  SmallVector<unsigned> operands = operandDecls();
  for (unsigned i : operands)
    argTypes.push_back(tensorType(r.decls[i], step));
  SmallVector<const TensorDecl *> states = declsOf(DeclKind::State);
  if (withInit || step)
    for (const TensorDecl *d : states)
      argTypes.push_back(tensorType(*d));
  for (const TensorDecl *d : declsOf(DeclKind::Output)) {
    resultTypes.push_back(tensorType(*d, step));
    recResultTypes.push_back(tensorType(*d));
  }
  for (const TensorDecl *d : states) {
    resultTypes.push_back(tensorType(*d));
    recResultTypes.push_back(tensorType(*d));
  }

  Location l = loc(r.decls.empty() ? llvm::SMLoc() : r.decls.front().loc);
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, l, name,
                                   b.getFunctionType(argTypes, resultTypes));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // One token: the inputs get a time dimension of size 1.
  SmallVector<Value> recOperands, recInits;
  for (auto [k, i] : llvm::enumerate(operands)) {
    Value arg = entry->getArgument(k);
    const TensorDecl &decl = r.decls[i];
    int axis = -1;
    for (auto [a, d] : llvm::enumerate(decl.dims))
      if (d == r.timeDim)
        axis = static_cast<int>(a);
    if (!step || axis < 0) {
      recOperands.push_back(arg);
      continue;
    }
    RankedTensorType full = tensorType(decl);
    SmallVector<int64_t> shape(full.getShape());
    shape[axis] = 1;
    auto withTime = RankedTensorType::get(shape, full.getElementType());
    recOperands.push_back(expandWithTime(arg, withTime, axis));
  }
  if (withInit || step)
    for (unsigned s = 0; s < states.size(); ++s)
      recInits.push_back(entry->getArgument(operands.size() + s));
  SmallVector<Type> recTypes;
  for (auto [k, t] : llvm::enumerate(recResultTypes)) {
    auto rt = cast<RankedTensorType>(t);
    if (step && k < r.outputs.size()) {
      const TensorDecl &decl = r.decls[r.outputs[k].decl];
      SmallVector<int64_t> shape(rt.getShape());
      for (auto [a, d] : llvm::enumerate(decl.dims))
        if (d == r.timeDim)
          shape[a] = 1;
      rt = RankedTensorType::get(shape, rt.getElementType());
    }
    recTypes.push_back(rt);
  }
  auto rec = recurrence(recOperands, recInits, recTypes);
  SmallVector<Value> results;
  for (auto [k, v] : llvm::enumerate(rec.getResults())) {
    if (!step || k >= r.outputs.size()) {
      results.push_back(v);
      continue;
    }
    const TensorDecl &decl = r.decls[r.outputs[k].decl];
    int axis = 0;
    for (auto [a, d] : llvm::enumerate(decl.dims))
      if (d == r.timeDim)
        axis = static_cast<int>(a);
    results.push_back(collapseTime(v, cast<RankedTensorType>(resultTypes[k]),
                                   axis));
  }
  func::ReturnOp::create(b, l, results);
}

OwningOpRef<ModuleOp> Emitter::run() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  buildFunction(*module, r.name, /*withInit=*/false, /*step=*/false);
  buildFunction(*module, r.name + "_init", /*withInit=*/true, /*step=*/false);
  buildFunction(*module, r.name + "_step", /*withInit=*/true, /*step=*/true);
  return module;
}

} // namespace

OwningOpRef<ModuleOp> ssmc::dsl::emitModule(const Recurrence &r,
                                            const llvm::SourceMgr &sourceMgr,
                                            MLIRContext &context,
                                            const EmitOptions &options) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      math::MathDialect, tensor::TensorDialect,
                      ssmc::ssm::SSMDialect>();
  return Emitter(r, sourceMgr, context, options).run();
}
