//===- ShapeChecker.h - symbolic shape checks for ssm verifiers -*- C++ -*-===//
//
// The ssm ops describe their operands with named dimensions (b, d, l, ...).
// ShapeChecker binds each name to the first static size it sees and reports
// any later disagreement with a message that names the operand, its shape,
// the expected named shape and where each conflicting size came from.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_DIALECT_SSM_IR_SHAPECHECKER_H
#define SSMC_DIALECT_SSM_IR_SHAPECHECKER_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace ssmc::ssm {

class ShapeChecker {
public:
  explicit ShapeChecker(mlir::Operation *op) : op(op) {}

  /// Checks that `type` (of the value named `what`, e.g. "operand 'u'") is a
  /// ranked tensor whose dimensions are the named sizes `dims`. A name already
  /// bound must match; an unbound name is bound to the static size found.
  mlir::LogicalResult check(llvm::StringRef what, mlir::Type type,
                            llvm::ArrayRef<llvm::StringRef> dims);

  /// Binds `name` to `size`, recording `origin` for messages. Used for sizes
  /// derived from others (e.g. "k-1", "2*d").
  void bind(llvm::StringRef name, int64_t size, llvm::StringRef origin);

  /// The size bound to `name`, if any.
  std::optional<int64_t> get(llvm::StringRef name) const;

  /// Fails unless `type` has a fully static shape.
  mlir::LogicalResult requireStatic(llvm::StringRef what, mlir::Type type);

private:
  struct Binding {
    int64_t size;
    std::string origin;
  };
  mlir::Operation *op;
  llvm::StringMap<Binding> bound;
};

/// Formats a shape as "(2, ?, 8)".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// True for f32 and f64: the types a recurrent state may be kept in.
bool isStateElementType(mlir::Type type);

} // namespace ssmc::ssm

#endif // SSMC_DIALECT_SSM_IR_SHAPECHECKER_H
