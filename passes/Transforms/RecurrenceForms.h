//===- RecurrenceForms.h - the forms ssm-derive-recurrence-forms picks -*- C++ -*-===//
//
// Private to passes/Transforms: the recognition of built-in ops in an
// ssm.recurrence (RecurrenceBuiltins.cpp), used by
// ssm-derive-recurrence-forms (DeriveRecurrenceForms.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_PASSES_TRANSFORMS_RECURRENCEFORMS_H
#define SSMC_PASSES_TRANSFORMS_RECURRENCEFORMS_H

#include "ssmc/Dialect/SSM/IR/Recurrence.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <string>

namespace ssmc::ssm {

/// The size of dimension `d` of `op` at `b`'s insertion point: static, or
/// read from an input that has it.
mlir::OpFoldResult recurrenceDimSize(mlir::OpBuilder &b, RecurrenceOp op,
                                     const RecurrenceShape &shape, unsigned d);

/// `v` (a tensor over dimensions `from`) with its dimensions in the order
/// `to` and element type `elem`: `v` itself when both already match, else
/// an elementwise linalg.generic copy.
mlir::Value copyToLayout(mlir::OpBuilder &b, RecurrenceOp op,
                         const RecurrenceShape &shape, mlir::Value v,
                         llvm::ArrayRef<unsigned> from,
                         llvm::ArrayRef<unsigned> to, mlir::Type elem);

/// When `op` is Mamba-1's selective scan or Mamba-2's SSD, replaces it by
/// ssm.selective_scan or ssm.ssd (with copies into their layouts where the
/// declared layouts differ) and says which; otherwise leaves it untouched.
std::optional<std::string> deriveBuiltinForm(RecurrenceOp op,
                                             const RecurrenceShape &shape,
                                             mlir::OpBuilder &b);

} // namespace ssmc::ssm

#endif // SSMC_PASSES_TRANSFORMS_RECURRENCEFORMS_H
