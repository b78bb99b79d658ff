//===- PackageWriter.h - writing .ssmpkg packages --------------*- C++ -*-===//
//
// The compiler's side of the package format (ssmc/runtime/Package.h): the
// manifest entries of a module's functions, and the package file itself.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_PACKAGE_PACKAGEWRITER_H
#define SSMC_CODEGEN_PACKAGE_PACKAGEWRITER_H

#include "ssmc/runtime/Package.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace ssmc {

/// The manifest entry of \p func, whose arguments and results must all be
/// ranked tensors of f32, f16, bf16, f64, i32, i64 or index elements; the
/// symbol follows the entry ABI of ssmc/Codegen/CPU/Pipeline.h.
mlir::FailureOr<package::EntrySpec> entrySpecFor(mlir::func::FuncOp func);

/// The entries of every public function with a body whose arguments and
/// results are all ranked tensors, in the order they appear; functions with
/// other signatures are not entries. Fails (with a diagnostic) when an entry
/// would have an element type the package format cannot describe.
mlir::LogicalResult collectEntries(mlir::ModuleOp module,
                                   std::vector<package::EntrySpec> &entries);

/// Writes the package made of \p manifest and \p objects to \p path:
/// objects[i] holds the bytes of the shared object that manifest.objects[i]
/// describes (target, arch, CPU or GPU), whose offset and size are filled in
/// here. Writes a temporary file and renames it into place, so that \p path
/// is never left half-written.
llvm::Error writePackage(llvm::StringRef path,
                         const package::Manifest &manifest,
                         const std::vector<std::string> &objects);

} // namespace ssmc

#endif // SSMC_CODEGEN_PACKAGE_PACKAGEWRITER_H
