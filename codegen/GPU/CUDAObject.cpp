//===- CUDAObject.cpp - the cuda object of a package ----------------------===//
#include "ssmc/Codegen/GPU/CUDAObject.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"

#include <cstdlib>

using namespace mlir;

std::string ssmc::collectPTX(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object)
        continue;
      os << "// ssmc: kernel module @" << binary.getSymName() << " ("
         << stringifyCompilationTarget(object.getFormat()) << ")\n";
      if (object.getFormat() == gpu::CompilationTarget::Assembly)
        os << object.getObject().getValue() << "\n";
      else
        os << "// (binary, " << object.getObject().getValue().size()
           << " bytes: use --gpu-format=isa for PTX)\n";
    }
  });
  return text;
}

llvm::Expected<std::string>
ssmc::compileForCUDA(ModuleOp module, CUDAStage stage, GPUPipelineOptions gpu,
                     const HostTargetOptions &host) {
  auto fail = [](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  };
  std::string toolkit;
  bool haveToolkit = findCudaToolkit(toolkit);
  if (gpu.format == "auto")
    gpu.format = haveToolkit ? "fatbin" : "isa";
  // gpu-module-to-binary looks for ptxas and fatbinary under
  // $CUDA_ROOT/bin (then its build-time default, then PATH): point it at the
  // toolkit found here unless the user chose one.
  if (haveToolkit && gpu.format != "isa" && !std::getenv("CUDA_ROOT") &&
      !std::getenv("CUDA_HOME") && !std::getenv("CUDA_PATH"))
    ::setenv("CUDA_ROOT", toolkit.c_str(), /*overwrite=*/0);
  if (!haveToolkit && gpu.format != "isa")
    return fail("--gpu-format=" + gpu.format +
                " needs the CUDA toolkit's ptxas (none under $CUDA_HOME, "
                "$CUDA_PATH, /usr/local/cuda, /usr/lib/cuda or in PATH); "
                "--gpu-format=isa embeds PTX only");
  if (stage == CUDAStage::PTX)
    gpu.format = "isa";
  if (gpu.format != "isa" && gpu.format != "bin" && gpu.format != "fatbin")
    return fail("unknown GPU binary format '" + gpu.format +
                "'; expected auto, isa, bin or fatbin");
  gpu.stopAfterKernels = stage == CUDAStage::Kernels;

  DialectRegistry registry;
  registerGPUCompilerExtensions(registry);
  module.getContext()->appendDialectRegistry(registry);
  PassManager pm(module.getContext());
  buildGPULoweringPipeline(pm, gpu);
  if (failed(pm.run(module)))
    return fail("the GPU pipeline failed (see the diagnostics above)");

  std::string text;
  llvm::raw_string_ostream os(text);
  if (stage == CUDAStage::Kernels || stage == CUDAStage::LLVMDialect) {
    module.print(os);
    return text;
  }
  if (stage == CUDAStage::PTX)
    return collectPTX(module);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return fail("translation of the host code to LLVM IR failed");
  auto machine = createHostTargetMachine(host);
  if (!machine)
    return machine.takeError();
  if (llvm::Error err = optimizeModule(*llvmModule, **machine, /*optLevel=*/3))
    return err;
  if (stage == CUDAStage::LLVM) {
    llvmModule->print(os, nullptr);
    return text;
  }
  llvm::Expected<std::string> object = emitObject(*llvmModule, **machine);
  if (!object || stage == CUDAStage::Object)
    return object;
  return linkSharedObject(*object);
}
