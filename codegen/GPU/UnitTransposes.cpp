//===- UnitTransposes.cpp - ssm-gpu-unit-transposes -----------------------===//
//
// The decode step moves tensors between the channels-last (b, 1, c) and the
// channels-first (b, c, 1) layouts: transposes that only move a dimension of
// size 1, so that the two dense buffers hold the same bytes in the same
// order. Each such transpose is a kernel that copies them. Where it is safe
// (the destination a fresh allocation that nothing writes afterwards, the
// source not written after the transpose) the destination's readers read a
// view of the source instead.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMGPUUNITTRANSPOSES
#include "ssmc/Codegen/GPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

bool onlyRead(Value mem);

/// Whether `use` only reads its buffer (views of it included).
bool readsOnly(OpOperand &use) {
  Operation *user = use.getOwner();
  if (isa<memref::LoadOp, vector::LoadOp, memref::DimOp>(user))
    return true;
  if (isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
          memref::CastOp>(user))
    return onlyRead(user->getResult(0));
  if (auto copy = dyn_cast<memref::CopyOp>(user))
    return copy.getSource() == use.get();
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user))
    return linalgOp.isDpsInput(&use);
  return false;
}

/// Whether every use of `mem` only reads it.
bool onlyRead(Value mem) {
  return llvm::all_of(mem.getUses(),
                      [](OpOperand &use) { return readsOnly(use); });
}

/// The ancestor of `op` in `block`, or null.
Operation *inBlock(Operation *op, Block *block) {
  while (op && op->getBlock() != block)
    op = op->getParentOp();
  return op;
}

struct UnitTransposesPass
    : ssmc::impl::SSMGPUUnitTransposesBase<UnitTransposesPass> {
  using Base::Base;

  void runOnOperation() final {
    SmallVector<linalg::TransposeOp> found;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>() &&
          op.hasPureBufferSemantics())
        found.push_back(op);
    });
    for (linalg::TransposeOp op : found)
      if (elide(op))
        ++numTransposes;
  }

  static bool elide(linalg::TransposeOp op) {
    Value src = op.getInput(), dest = op.getInit();
    auto srcType = cast<MemRefType>(src.getType());
    auto destType = cast<MemRefType>(dest.getType());
    if (!srcType.getLayout().isIdentity() ||
        !destType.getLayout().isIdentity() ||
        srcType.getElementType() != destType.getElementType())
      return false;
    // The dimensions other than a static 1 keep their order.
    int64_t last = -1;
    for (int64_t p : op.getPermutation()) {
      if (srcType.getDimSize(p) == 1)
        continue;
      if (p < last)
        return false;
      last = p;
    }
    // One dynamic size at most: the view is a collapse to one dimension
    // and an expansion to the destination's shape.
    if (llvm::count_if(destType.getShape(), ShapedType::isDynamic) > 1)
      return false;
    auto alloc = dest.getDefiningOp<memref::AllocOp>();
    Block *block = op->getBlock();
    if (!alloc || alloc->getBlock() != block)
      return false;
    // The destination: written by the transpose, then only read.
    for (OpOperand &use : dest.getUses()) {
      if (use.getOwner() == op)
        continue;
      Operation *at = inBlock(use.getOwner(), block);
      if (!at || !op->isBeforeInBlock(at) || !readsOnly(use))
        return false;
    }
    // The source: what uses it after the transpose only reads it.
    for (OpOperand &use : src.getUses()) {
      if (use.getOwner() == op)
        continue;
      Operation *at = inBlock(use.getOwner(), block);
      if (!at)
        return false;
      if (!at->isBeforeInBlock(op) && !readsOnly(use))
        return false;
    }
    // The view: src collapsed to one dimension, expanded to dest's shape.
    OpBuilder b(op);
    Location loc = op.getLoc();
    int64_t rank = srcType.getRank();
    ReassociationIndices all;
    for (int64_t i = 0; i < rank; ++i)
      all.push_back(i);
    Value flat = memref::CollapseShapeOp::create(
        b, loc, src, SmallVector<ReassociationIndices>{all});
    ReassociationIndices allDest;
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < destType.getRank(); ++i) {
      allDest.push_back(i);
      if (destType.isDynamicDim(i))
        sizes.push_back(
            memref::DimOp::create(b, loc, src, op.getPermutation()[i])
                .getResult());
      else
        sizes.push_back(b.getIndexAttr(destType.getDimSize(i)));
    }
    Value view = memref::ExpandShapeOp::create(
        b, loc, destType.getShape(), flat,
        SmallVector<ReassociationIndices>{allDest}, sizes);
    dest.replaceAllUsesExcept(view, op);
    op->erase();
    if (alloc->use_empty())
      alloc->erase();
    return true;
  }
};

} // namespace
