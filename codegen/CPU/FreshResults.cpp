//===- FreshResults.cpp - returned tensors become fresh buffers -----------===//
//
// The CPU entry ABI gives every result to the caller to free, so a public
// function may not return its arguments, views of them, constants, or one
// value twice. Copies are made on tensors, before bufferization, which then
// allocates each copy.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMFRESHRESULTS
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

/// Whether `v` is, or is a view of, an argument of `func` or a constant.
bool needsCopy(Value v, func::FuncOp func) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner()->getParentOp() == func.getOperation();
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (def->hasTrait<OpTrait::ConstantLike>())
      return true;
    if (isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp,
            tensor::CollapseShapeOp, tensor::CastOp, tensor::ReshapeOp,
            tensor::BitcastOp>(def)) {
      v = def->getOperand(0);
      continue;
    }
    return false;
  }
}

struct SSMFreshResultsPass
    : ssmc::impl::SSMFreshResultsBase<SSMFreshResultsPass> {
  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (!func.isPublic() || func.isExternal())
      return;
    MLIRContext *ctx = &getContext();
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      if (isa<TensorType>(func.getArgument(i).getType()))
        func.setArgAttr(i,
                        bufferization::BufferizationDialect::kWritableAttrName,
                        BoolAttr::get(ctx, false));
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 4> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type)
          continue;
        bool duplicate = !seen.insert(v).second;
        if (!duplicate && !needsCopy(v, func))
          continue;
        Value copy = bufferization::AllocTensorOp::create(
            b, ret.getLoc(), type, /*dynamicSizes=*/ValueRange{}, v);
        operand.set(copy);
        ++numCopies;
      }
    });
  }
};

} // namespace
