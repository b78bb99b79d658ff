//===- EmitMLIR.h - a checked *.ssm recurrence as an ssm module -*- C++ -*-===//
//
// Builds the functions a compiled variant exposes, each around one
// ssm.recurrence: @NAME (inputs and params -> outputs and final states),
// @NAME_init (the same, starting from given states) and @NAME_step (one
// token: inputs without the time dimension, params and states -> outputs of
// that step and the new states).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_EMITMLIR_H
#define SSMC_FRONTENDS_DSL_EMITMLIR_H

#include "ssmc/Frontends/DSL/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>

namespace ssmc::dsl {

struct EmitOptions {
  /// When set, the element type of every input and output (the
  /// activations), instead of the declared one; params and states keep
  /// theirs.
  std::optional<ElemType> activationType;
};

/// The module of \p r's three entry functions. Locations point into
/// \p sourceMgr's buffer of the file.
mlir::OwningOpRef<mlir::ModuleOp> emitModule(const Recurrence &r,
                                             const llvm::SourceMgr &sourceMgr,
                                             mlir::MLIRContext &context,
                                             const EmitOptions &options = {});

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_EMITMLIR_H
