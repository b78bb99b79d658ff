//===- HostObject.cpp - native code for the host CPU ----------------------===//

#include "ssmc/Codegen/Target/HostObject.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"

#include <memory>
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>

using namespace mlir;

namespace ssmc {

namespace {

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(const HostTargetOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for " + triple.str() + ": " + error);

  std::string cpu = options.cpu, features = options.features;
  if (cpu.empty()) {
    cpu = llvm::sys::getHostCPUName().str();
    if (features.empty()) {
      // What the host has, and what it lacks although its CPU model implies
      // it (a virtual machine may hide features such as rdseed): the code
      // must not require what this host cannot run.
      std::vector<std::string> list;
      for (const auto &feature : llvm::sys::getHostCPUFeatures())
        list.push_back((feature.second ? "+" : "-") + feature.first().str());
      std::sort(list.begin(), list.end());
      features = llvm::join(list, ",");
    }
  }
  if (!cpu.empty() && cpu != "generic") {
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, cpu, ""));
    if (!info || !info->isCPUStringValid(cpu))
      return makeError("unknown CPU '" + cpu + "' for " + triple.str());
  }

  using Level = llvm::CodeGenOptLevel;
  Level level = options.optLevel >= 3   ? Level::Aggressive
                : options.optLevel == 2 ? Level::Default
                : options.optLevel == 1 ? Level::Less
                                        : Level::None;
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
  if (!machine)
    return makeError("cannot create a target machine for " + triple.str() +
                     " cpu '" + cpu + "'");
  return machine;
}

std::vector<std::string> enabledFeatures(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  std::vector<std::string> enabled;
  for (const llvm::SubtargetFeatureKV &kv : info->getAllProcessorFeatures())
    if (info->getFeatureBits().test(kv.Value))
      enabled.push_back("+" + std::string(kv.Key));
  std::sort(enabled.begin(), enabled.end());
  return enabled;
}

std::unique_ptr<llvm::Module>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext) {
  MLIRContext *context = module.getContext();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  return translateModuleToLLVMIR(module, llvmContext, "ssmc");
}

llvm::Error optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                           unsigned optLevel) {
  module.setTargetTriple(machine.getTargetTriple());
  module.setDataLayout(machine.createDataLayout());
  for (llvm::Function &fn : module) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", machine.getTargetCPU());
    if (!machine.getTargetFeatureString().empty())
      fn.addFnAttr("target-features", machine.getTargetFeatureString());
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                                  : llvm::OptimizationLevel::O0;
  llvm::ModulePassManager passes =
      level == llvm::OptimizationLevel::O0
          ? builder.buildO0DefaultPipeline(level)
          : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, mam);
  return llvm::Error::success();
}

llvm::Expected<std::string> emitObject(llvm::Module &module,
                                       llvm::TargetMachine &machine) {
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return makeError("the target machine cannot emit object files");
  passes.run(module);
  return std::string(buffer.str());
}

llvm::Expected<std::string> linkSharedObject(llvm::StringRef object) {
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return makeError("cannot link the shared object: no C compiler 'cc' in "
                     "PATH (install gcc or clang, or put 'cc' in PATH)");

  // Every temporary is removed when it goes out of scope.
  llvm::SmallString<128> objPath, soPath, logPath;
  int objFd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("ssmc", "o", objFd, objPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover objRemover(objPath);
  {
    llvm::raw_fd_ostream os(objFd, /*shouldClose=*/true);
    os << object;
    os.close();
    if (os.has_error())
      return makeError("cannot write '" + objPath + "': " +
                       os.error().message());
  }
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("ssmc", "so", soPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover soRemover(soPath);
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("ssmc-link", "log", logPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover logRemover(logPath);

  llvm::SmallVector<llvm::StringRef> args = {*cc, "-shared", "-o", soPath,
                                             objPath, "-lm"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, redirects, 0, 0,
                                     &error);
  if (rc != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().trim().str();
    return makeError("linking the shared object with '" + *cc + "' failed" +
                     (error.empty() ? "" : ": " + error) +
                     (log.empty() ? "" : "\n" + log));
  }
  auto so = llvm::MemoryBuffer::getFile(soPath, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!so)
    return makeError("cannot read the linked shared object: " +
                     so.getError().message());
  return (*so)->getBuffer().str();
}

} // namespace ssmc
