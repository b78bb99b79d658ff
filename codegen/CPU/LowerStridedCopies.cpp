//===- LowerStridedCopies.cpp - non-contiguous copies as linalg.copy ------===//
//
// A memref.copy that finalize-memref-to-llvm cannot turn into llvm.memcpy
// would become a call of `memrefCopy` (MLIR's C runner utilities), which a
// compiled package has no library for; as linalg.copy it becomes loops.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMLOWERSTRIDEDCOPIES
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

/// Whether finalize-memref-to-llvm copies a buffer of this type with memcpy.
bool isContiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  StridedCopyToLinalg(MLIRContext *ctx, unsigned &count)
      : OpRewritePattern(ctx), count(count) {}

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const final {
    if (isContiguous(op.getSource().getType()) &&
        isContiguous(op.getTarget().getType()))
      return rewriter.notifyMatchFailure(op, "contiguous copy");
    linalg::CopyOp::create(rewriter, op.getLoc(), op.getSource(),
                           op.getTarget());
    rewriter.eraseOp(op);
    ++count;
    return success();
  }

  unsigned &count;
};

struct SSMLowerStridedCopiesPass
    : ssmc::impl::SSMLowerStridedCopiesBase<SSMLowerStridedCopiesPass> {
  void runOnOperation() final {
    unsigned count = 0;
    RewritePatternSet patterns(&getContext());
    patterns.add<StridedCopyToLinalg>(&getContext(), count);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numCopies += count;
  }
};

} // namespace
