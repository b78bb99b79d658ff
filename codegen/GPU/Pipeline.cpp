//===- Pipeline.cpp - the GPU lowering pipeline ---------------------------===//
//
// ssm ops -> tiled gpu.launch kernels on device buffers -> one-shot
// bufferization -> upstream's gpu-lower-to-nvvm pipeline (kernel outlining,
// NVVM, NVPTX, the binary embedded in the host module, host code calling the
// mgpu* ABI) -> the exported entry wrappers.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/GPU/Pipeline.h"
#include "ssmc/Codegen/CPU/Passes.h"
#include "ssmc/Codegen/GPU/Passes.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace {

/// Sinks the constants and dims that a kernel marked `ssm.sink_constants`
/// uses back into its gpu.launch before outlining: CSE shares them with the
/// host code, and outlined they would become kernel parameters (index
/// arithmetic on registers: divisions by a register instead of shifts, and
/// loop-invariant addresses that the kernel keeps live). Only marked
/// kernels: for the others constant trip counts make LLVM unroll whole loops
/// and triple their registers.
struct SinkMarkedLaunchConstants
    : PassWrapper<SinkMarkedLaunchConstants, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SinkMarkedLaunchConstants)
  StringRef getArgument() const final { return "ssm-gpu-sink-constants"; }
  void runOnOperation() final {
    getOperation()->walk([&](gpu::LaunchOp launch) {
      if (!launch->hasAttr(ssmc::kSinkConstantsAttrName))
        return;
      launch->removeAttr(ssmc::kSinkConstantsAttrName);
      auto beneficial = [](Operation *op) {
        return matchPattern(op, m_Constant()) || isa<memref::DimOp>(op);
      };
      if (failed(sinkOperationsIntoLaunchOp(launch, beneficial)))
        signalPassFailure();
    });
  }
};

/// Outlined kernels: a kernel whose body holds an op marked
/// `ssm.kernel_min_blocks_per_sm = N` gets `nvvm.minctasm = N` (PTX
/// .minnctapersm: ptxas keeps its registers low enough for N resident
/// blocks per multiprocessor).
struct KernelOccupancyHints
    : PassWrapper<KernelOccupancyHints, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(KernelOccupancyHints)
  StringRef getArgument() const final { return "ssm-gpu-occupancy-hints"; }
  void runOnOperation() final {
    getOperation()->walk([&](gpu::GPUFuncOp func) {
      func.walk([&](Operation *op) {
        auto n = op->getAttrOfType<IntegerAttr>(ssmc::kMinBlocksAttrName);
        if (!n)
          return;
        func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      IntegerAttr::get(IntegerType::get(&getContext(), 32),
                                       n.getInt()));
        op->removeAttr(ssmc::kMinBlocksAttrName);
      });
    });
  }
};

} // namespace

void ssmc::buildGPULoweringPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options) {
  // Model-level ops (mixers, embedding, linear) into primitive ones.
  pm.addPass(ssm::createSSMDecomposeMixers());
  // A tensor-parallel package's collectives: calls to the runtime's hook
  // (NCCL on the device buffers), their data in buffers of their own.
  pm.addPass(createSSMLowerCollectives());
  ssm::SSMDeriveRecurrenceFormsOptions forms;
  forms.form = options.recurrenceForm == "generic" ? std::string("auto")
                                                   : options.recurrenceForm;
  forms.builtins = options.recurrenceForm != "generic";
  pm.addPass(ssm::createSSMDeriveRecurrenceForms(forms));
  pm.addPass(createSSMMarkCPUEntryPoints());
  // Elementwise arith/math on tensors as linalg, which runs as kernels.
  pm.addPass(createConvertElementwiseToLinalgPass());
  SSMGPUChooseTilesOptions tiles;
  tiles.chip = options.chip;
  tiles.channels = options.scanChannels;
  tiles.timeChunk = options.scanTimeChunk;
  tiles.segments = options.scanSegments;
  tiles.polyExps = options.scanPolyExps;
  tiles.stateSplit = options.scanStateSplit;
  pm.addPass(createSSMGPUChooseTiles(tiles));
  SSMGPULowerOpsOptions lowerOps;
  if (options.recurrenceSegment >= 0)
    lowerOps.recurrenceSegment = options.recurrenceSegment;
  pm.addPass(createSSMGPULowerOps(lowerOps));
  pm.addPass(ssm::createSSMExpandActivations());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.stopAfterKernels)
    return;
  // Elementwise producers into their consumers: the widening of a 16-bit
  // weight becomes part of its projection (which then calls cuBLAS on the
  // weight itself instead of a widened copy made at every call), and chains
  // of elementwise work become one kernel.
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  // Projections of a few rows by 16-bit weights (decode) as one
  // matrix-vector kernel each, chosen at run time; the others through cuBLAS
  // (the runtime's hook; the loops below stay as the fallback).
  pm.addPass(createSSMGPUSmallProjections());
  // The decode step's layout changes between dense buffers as views.
  pm.addPass(createSSMGPUUnitTransposes());
  SSMProjectionsToGemmOptions gemm;
  gemm.gpu = true;
  pm.addPass(createSSMProjectionsToGemm(gemm));
  // The work without kernels of its own: parallel loops as kernels.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createSSMGPUParallelLoops());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(std::make_unique<SinkMarkedLaunchConstants>());
  // Outlined here (the NVVM pipeline's own outlining then finds nothing) so
  // that the kernels' occupancy hints reach their functions.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(std::make_unique<KernelOccupancyHints>());

  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = options.format;
  nvvm.optLevel = 3;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  pm.addPass(createSSMEmitCPUEntryPoints());
}

void ssmc::registerGPUCompilerExtensions(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
}

bool ssmc::findCudaToolkit(std::string &path) {
  const char *candidates[] = {std::getenv("CUDA_HOME"), std::getenv("CUDA_PATH"),
                              "/usr/local/cuda", "/usr/lib/cuda"};
  for (const char *dir : candidates) {
    if (!dir || !*dir)
      continue;
    llvm::SmallString<256> ptxas(dir);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(ptxas)) {
      path = dir;
      return true;
    }
  }
  if (auto found = llvm::sys::findProgramByName("ptxas")) {
    path = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*found))
               .str();
    return true;
  }
  return false;
}

namespace {
/// The pipeline's options on the command line.
struct GPUPipelineCLOptions : public PassPipelineOptions<GPUPipelineCLOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90)"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features (+ptx80)"),
                               llvm::cl::init("+ptx80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Embedded binary: isa (PTX), bin (cubin) or fatbin"),
      llvm::cl::init("isa")};
};
} // namespace

void ssmc::registerGPUPipelines() {
  registerSSMGPUPasses();
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "ssm-lower-to-gpu",
      "Lower functions on tensors (ssm ops) to host code in the LLVM dialect "
      "with embedded NVVM kernels and ssmc_entry_NAME wrappers",
      [](OpPassManager &pm, const GPUPipelineCLOptions &cl) {
        GPUPipelineOptions options;
        options.chip = cl.chip;
        options.features = cl.features;
        options.format = cl.format;
        buildGPULoweringPipeline(pm, options);
      });
}
