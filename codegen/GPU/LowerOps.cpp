//===- LowerOps.cpp - ssm-gpu-choose-tiles and ssm-gpu-lower-ops ----------===//
//
// The GPU tiling heuristic (attributes on the IR) and the pass that turns
// tiled ssm ops into gpu.launch kernels; one file per op family holds each
// op's kernel (SelectiveScanToGPU.cpp).
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/GPU/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "ssmc/Conversion/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "GPUEmitter.h"
#include "ssmc/Dialect/SSM/Transforms/MixerBuilder.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMGPUCHOOSETILES
#define GEN_PASS_DEF_SSMGPULOWEROPS
#include "ssmc/Codegen/GPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc::ssm;

ssmc::ScanTileGPU ssmc::chooseScanTileGPU(llvm::StringRef chip) {
  ScanTileGPU tile;
  // 64 channels per block: with the 32-step chunk the tiles take about 30 KB
  // of shared memory, so that seven blocks fit a multiprocessor of sm_80 or
  // sm_90 and a whole (8, 5120) scan is resident in one wave; the sequence
  // is split at run time when batch x channels is small.
  tile.channels = 64;
  tile.timeChunk = 32;
  tile.segments = 0;
  (void)chip;
  return tile;
}

namespace {

struct ChooseTilesPass
    : ssmc::impl::SSMGPUChooseTilesBase<ChooseTilesPass> {
  using Base::Base;

  void runOnOperation() final {
    if (!llvm::StringRef(chip).starts_with("sm_")) {
      getOperation()->emitError() << "unknown GPU chip '" << chip
                                  << "'; expected sm_XX, e.g. sm_90";
      return signalPassFailure();
    }
    ssmc::ScanTileGPU tile = ssmc::chooseScanTileGPU(chip);
    if (channels > 0)
      tile.channels = channels;
    if (timeChunk > 0)
      tile.timeChunk = timeChunk;
    if (segments >= 0)
      tile.segments = segments;
    if (polyExps >= 0)
      tile.polyExps = polyExps;
    if (stateSplit > 0)
      tile.stateSplit = stateSplit;
    Builder b(&getContext());
    getOperation()->walk([&](Operation *op) {
      if (op->hasAttr(ssmc::kGPUTileAttrName))
        return;
      // The decode step: warps of 32 lanes along n, 4 rows (head channels)
      // per warp, 4 warps per block.
      if (isa<StateUpdateOp>(op)) {
        op->setAttr(ssmc::kGPUTileAttrName,
                    b.getDictionaryAttr(
                        {b.getNamedAttr("rows", b.getI64IntegerAttr(4)),
                         b.getNamedAttr("warps", b.getI64IntegerAttr(4))}));
        return;
      }
      // The causal conv: 8 steps per thread, 128 threads per block.
      if (isa<CausalConv1dOp>(op)) {
        op->setAttr(ssmc::kGPUTileAttrName,
                    b.getDictionaryAttr(
                        {b.getNamedAttr("steps", b.getI64IntegerAttr(8)),
                         b.getNamedAttr("threads", b.getI64IntegerAttr(128))}));
        return;
      }
      // SSD: the chunked form on tensor cores where it applies (bf16
      // operands), segments chosen at run time; else the recurrent form,
      // 8 warps per (batch, head), 16 steps staged.
      if (auto ssd = dyn_cast<SSDOp>(op)) {
        if (ssmc::gpu_emit::ssdChunkedApplies(ssd, nullptr)) {
          op->setAttr(ssmc::kGPUTileAttrName,
                      b.getDictionaryAttr(
                          {b.getNamedAttr("form", b.getStringAttr("chunked")),
                           b.getNamedAttr("segments", b.getI64IntegerAttr(0))}));
          return;
        }
        // One row of the state per warp where p allows (p / 8 blocks per
        // head): a step's y is then one warp sum per warp, not p / 8
        // dependent ones, and few heads still fill the GPU.
        auto xt = cast<ShapedType>(ssd.getX().getType());
        int64_t p = xt.isDynamicDim(3) ? 0 : xt.getDimSize(3);
        int64_t rowBlocks = 1;
        for (int64_t rb : {8, 4, 2})
          if (p % rb == 0 && p / rb >= 8) {
            rowBlocks = rb;
            break;
          }
        op->setAttr(ssmc::kGPUTileAttrName,
                    b.getDictionaryAttr(
                        {b.getNamedAttr("form", b.getStringAttr("recurrent")),
                         b.getNamedAttr("time_chunk", b.getI64IntegerAttr(16)),
                         b.getNamedAttr("warps", b.getI64IntegerAttr(8)),
                         b.getNamedAttr("row_blocks",
                                        b.getI64IntegerAttr(rowBlocks))}));
        return;
      }
      if (!isa<SelectiveScanOp>(op))
        return;
      SmallVector<NamedAttribute> attrs{
          b.getNamedAttr("channels", b.getI64IntegerAttr(tile.channels)),
          b.getNamedAttr("time_chunk", b.getI64IntegerAttr(tile.timeChunk)),
          b.getNamedAttr("segments", b.getI64IntegerAttr(tile.segments)),
          b.getNamedAttr("poly_exps", b.getI64IntegerAttr(tile.polyExps))};
      if (tile.stateSplit > 0)
        attrs.push_back(b.getNamedAttr(
            "state_split", b.getI64IntegerAttr(tile.stateSplit)));
      op->setAttr(ssmc::kGPUTileAttrName, b.getDictionaryAttr(attrs));
    });
  }
};

/// Lowers ops of type `Op` that carry a tiling with `Lower`; an op whose
/// lowering failed (and said why) is not tried again.
template <typename Op, LogicalResult (*Lower)(Op, PatternRewriter &,
                                              DictionaryAttr, int64_t &)>
struct LowerTiled : OpRewritePattern<Op> {
  LowerTiled(MLIRContext *ctx, int64_t &kernels,
             llvm::DenseSet<Operation *> &diagnosed)
      : OpRewritePattern<Op>(ctx), kernels(kernels), diagnosed(diagnosed) {}

  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const final {
    auto tile = op->template getAttrOfType<DictionaryAttr>(
        ssmc::kGPUTileAttrName);
    if (!tile || diagnosed.contains(op))
      return rewriter.notifyMatchFailure(op, "no GPU tiling chosen");
    if (succeeded(Lower(op, rewriter, tile, kernels)))
      return success();
    // The lowering said why (before building anything); say it once.
    diagnosed.insert(op);
    return failure();
  }

  int64_t &kernels;
  llvm::DenseSet<Operation *> &diagnosed;
};

/// The RMS norms (x (b, l, d)) as linalg ops: a reduction per position and
/// group, then the scaling, which run as parallel loops
/// (ssm-gpu-parallel-loops) — one thread per row for the sums.
template <typename Op>
struct NormToLinalg : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;

  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const final {
    auto type = cast<RankedTensorType>(op.getX().getType());
    if (type.getRank() != 3 || type.isDynamicDim(2) ||
        !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not (b, l, d) f32");
    int64_t d = type.getDimSize(2), group = d;
    Value z;
    if constexpr (std::is_same_v<Op, GatedRMSNormOp>) {
      group = static_cast<int64_t>(op.getGroupSize());
      z = op.getZ();
    }
    MixerBuilder mb(rewriter, op.getLoc(), op.getX());
    Value y = mb.normOnLinalg(op.getX(), z, mb.toF32(op.getWeight()), group,
                              group, /*worldSize=*/1, op.getEpsAttr());
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct LowerOpsPass : ssmc::impl::SSMGPULowerOpsBase<LowerOpsPass> {
  using Base::Base;

  void runOnOperation() final {
    // Packed sequences run on the CPU only so far.
    WalkResult packed = getOperation()->walk([&](Operation *op) {
      Value cu;
      if (auto scan = dyn_cast<SelectiveScanOp>(op))
        cu = scan.getCuSeqlens();
      else if (auto ssd = dyn_cast<SSDOp>(op))
        cu = ssd.getCuSeqlens();
      else if (auto conv = dyn_cast<CausalConv1dOp>(op))
        cu = conv.getCuSeqlens();
      if (!cu)
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' with packed sequences (cu_seqlens) has no GPU "
                         "lowering yet (the cpu target runs it)";
      return WalkResult::interrupt();
    });
    if (packed.wasInterrupted())
      return signalPassFailure();
    int64_t kernels = 0;
    llvm::DenseSet<Operation *> diagnosed;
    RewritePatternSet patterns(&getContext());
    using namespace ssmc::gpu_emit;
    patterns.add<LowerTiled<SelectiveScanOp, lowerSelectiveScan>,
                 LowerTiled<StateUpdateOp, lowerStateUpdate>,
                 LowerTiled<CausalConv1dOp, lowerCausalConv1d>,
                 LowerTiled<SSDOp, lowerSSD>>(
        &getContext(), kernels, diagnosed);
    // ssm.recurrence and ssm.linear_attention take their loop lowering; the
    // parallel loops become kernels in ssm-gpu-parallel-loops.
    ssmc::populateRecurrenceToLoopsPatterns(patterns, recurrenceSegment,
                                            recurrenceUnroll);
    patterns.add<NormToLinalg<RMSNormOp>, NormToLinalg<GatedRMSNormOp>>(
        &getContext());
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
    numKernels += kernels;
    // Whatever is left of the ssm dialect, and any other computation on
    // tensors (linalg, math, ...), has no GPU lowering yet.
    auto isTensor = [](Type t) { return isa<RankedTensorType>(t); };
    WalkResult left = getOperation()->walk([&](Operation *op) {
      // Linalg ops and reshapes run as parallel loops
      // (ssm-gpu-parallel-loops: a thread per point of the parallel
      // dimensions, the reductions a loop in it); slices are views; the body
      // of a recurrence is its own.
      auto elementwise = [](Operation *o) {
        return isa<linalg::LinalgOp, tensor::ExtractSliceOp,
                   tensor::InsertSliceOp>(o);
      };
      bool tensorWork =
          (llvm::any_of(op->getResultTypes(), isTensor) ||
           llvm::any_of(op->getOperandTypes(), isTensor)) &&
          !isa<func::ReturnOp, func::CallOp, func::FuncOp,
               bufferization::ToTensorOp, bufferization::ToBufferOp,
               bufferization::MaterializeInDestinationOp,
               tensor::DimOp, tensor::CastOp, tensor::EmptyOp,
               tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op) &&
          !elementwise(op) && !op->getParentOfType<linalg::LinalgOp>();
      // The body of a recurrence is its own; scalar activations are
      // expanded next (ssm-expand-activations).
      if (op->getParentOfType<RecurrenceOp>() ||
          isa<SoftplusOp, SigmoidOp, LogSigmoidOp, SiluOp>(op))
        return WalkResult::advance();
      if (!isa<SSMDialect>(op->getDialect()) && !tensorWork)
        return WalkResult::advance();
      if (diagnosed.contains(op))
        return WalkResult::interrupt();
      op->emitError() << "'" << op->getName()
                      << "' has no GPU lowering yet (the cuda target lowers "
                         "ssm.selective_scan, ssm.ssd, ssm.causal_conv1d, "
                         "ssm.state_update, ssm.recurrence, "
                         "ssm.linear_attention, the norms and linalg ops)";
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
