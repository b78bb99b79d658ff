//===- HostObject.h - native code for the host CPU -------------*- C++ -*-===//
//
// The last stages of the CPU target: an LLVM-dialect module is translated to
// LLVM IR, optimized at O3 for a CPU (the host's by default, with its
// features: AVX2 or AVX-512 where present), compiled to an object file in
// memory and linked into a shared object by the system C compiler. The
// stages are separate so that `ssmc compile --emit=...` can stop after any.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_TARGET_HOSTOBJECT_H
#define SSMC_CODEGEN_TARGET_HOSTOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace ssmc {

/// What to compile for.
struct HostTargetOptions {
  /// An LLVM CPU name (e.g. "znver4", "x86-64-v3", "generic"); empty means
  /// the host's CPU.
  std::string cpu;
  /// An LLVM feature string ("+avx2,-avx512f"). Empty means the host's
  /// features when `cpu` is empty, and the features `cpu` implies otherwise.
  std::string features;
  /// The LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// A target machine for the process's triple and the CPU of \p options,
/// producing position-independent code.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(const HostTargetOptions &options);

/// The "+name" features enabled on \p machine, sorted: what the code it
/// emits may use, for the package manifest.
std::vector<std::string> enabledFeatures(const llvm::TargetMachine &machine);

/// Translates \p module, which must be in the LLVM dialect, to LLVM IR in
/// \p llvmContext; registers the builtin and LLVM dialect translations.
/// Failures are reported through the MLIR diagnostic engine.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &llvmContext);

/// Sets the triple, data layout, and every function's CPU and features from
/// \p machine, then runs the default pipeline of \p optLevel.
llvm::Error optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                           unsigned optLevel);

/// The object file of \p module, in memory.
llvm::Expected<std::string> emitObject(llvm::Module &module,
                                       llvm::TargetMachine &machine);

/// Links \p object into a shared object with `cc -shared ... -lm` (the C
/// compiler is found in PATH) and returns its bytes. Temporary files are
/// removed on every path.
llvm::Expected<std::string> linkSharedObject(llvm::StringRef object);

} // namespace ssmc

#endif // SSMC_CODEGEN_TARGET_HOSTOBJECT_H
