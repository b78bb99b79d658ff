//===- Pipeline.cpp - the CPU lowering pipeline ---------------------------===//
//
// Functions on tensors -> ssm ops as loops -> one-shot bufferization with
// ownership-based deallocation -> scf/cf -> the LLVM dialect, with the
// exported entry wrappers of Codegen/CPU/Pipeline.h.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Pipeline.h"
#include "ssmc/Codegen/CPU/Passes.h"
#include "ssmc/Conversion/Passes.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void ssmc::buildCPULoweringPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  // On tensors: primitives only, fresh results, ssm ops as loops.
  if (options.decomposeMixers)
    pm.addPass(ssm::createSSMDecomposeMixers());
  // Tensor-parallel collectives (a sharded model) as calls to the runtime.
  pm.addPass(createSSMLowerCollectives());
  ssm::SSMDeriveRecurrenceFormsOptions forms;
  // "generic": the analysis's own forms, without the built-in ops.
  forms.form = options.recurrenceForm == "generic" ? std::string("auto")
                                                   : options.recurrenceForm;
  forms.builtins = options.recurrenceForm != "generic";
  pm.addPass(ssm::createSSMDeriveRecurrenceForms(forms));
  pm.addPass(createSSMMarkCPUEntryPoints());
  // Elementwise arith/math on tensors (e.g. the widening of bf16 entries)
  // as linalg, which bufferizes.
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createSSMFreshResults());
  // The selective scan as vector code over channel tiles, where it can be.
  SSMCPUChooseScanTilesOptions tiles;
  tiles.lanes = options.scanLanes;
  pm.addPass(createSSMCPUChooseScanTiles(tiles));
  pm.addPass(createSSMCPUVectorizeSelectiveScan());
  ConvertSSMToLoopsOptions loops;
  loops.recurrenceSegment = options.recurrenceSegment;
  loops.recurrenceUnroll = options.recurrenceSegment > 0 ? 4 : 1;
  pm.addPass(createConvertSSMToLoops(loops));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());

  // Tensors to buffers; results keep the identity layout the ABI describes.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // No copy may end as a call of MLIR's memrefCopy runtime helper.
  pm.addPass(createSSMLowerStridedCopies());
  // The projections by weights through the runtime's BLAS.
  pm.addPass(createSSMProjectionsToGemm());
  // Outermost scf.parallel loops run through the runtime's thread pool.
  pm.addPass(createSSMOutlineParallelLoops());

  // Loops and control flow.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // bf16 <-> f32 as integer bit operations: LLVM would otherwise call
  // __truncsfbf2, which older libgcc lacks.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));

  // To the LLVM dialect: exp/exp2 to LLVM intrinsics, log1p to libm (the
  // log(1 + x) approximation loses precision for small x).
  ConvertMathToLLVMPassOptions math;
  math.approximateLog1p = false;
  pm.addPass(createSSMApproximateExp());
  pm.addPass(createConvertMathToLLVMPass(math));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createSSMEmitCPUEntryPoints());
}

namespace {
/// The pipeline's options on the command line.
struct CPUPipelineCLOptions : public PassPipelineOptions<CPUPipelineCLOptions> {
  Option<bool> decomposeMixers{*this, "decompose-mixers",
                               llvm::cl::desc("Run ssm-decompose-mixers first"),
                               llvm::cl::init(true)};
  Option<int64_t> scanLanes{
      *this, "scan-lanes",
      llvm::cl::desc("Channels per vector of the selective scan (0: chosen "
                     "from the host's vector width, 1: scalar loops)"),
      llvm::cl::init(0)};
  Option<std::string> recurrenceForm{
      *this, "recurrence-form",
      llvm::cl::desc("Form of ssm.recurrence ops: auto, generic (auto "
                     "without the built-in ops) or sequential"),
      llvm::cl::init("auto")};
  Option<int64_t> recurrenceSegment{
      *this, "recurrence-segment",
      llvm::cl::desc("Steps per segment of a scalar diagonal ssm.recurrence "
                     "(0: no split)"),
      llvm::cl::init(0)};
};
} // namespace

void ssmc::registerCPUPipelines() {
  // The pipeline's own passes too, so that each can be tested alone.
  registerSSMCPUPasses();
  PassPipelineRegistration<CPUPipelineCLOptions>(
      "ssm-lower-to-llvm-cpu",
      "Lower functions on tensors (ssm, linalg, tensor, arith, math) to the "
      "LLVM dialect with ssmc_entry_NAME wrappers",
      [](OpPassManager &pm, const CPUPipelineCLOptions &cl) {
        CPUPipelineOptions options;
        options.decomposeMixers = cl.decomposeMixers;
        options.scanLanes = cl.scanLanes;
        options.recurrenceForm = cl.recurrenceForm;
        options.recurrenceSegment = cl.recurrenceSegment;
        buildCPULoweringPipeline(pm, options);
      });
}
