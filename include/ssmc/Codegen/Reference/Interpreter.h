//===- Interpreter.h - run ssm-dialect functions in float64 -----*- C++ -*-===//
//
// The "reference" target of `ssmc eval`: an interpreter of one func.func over
// float64 values that evaluates every ssm op through the reference evaluator
// (runtime/reference) and the surrounding arith, math, tensor and linalg ops
// directly. It is the oracle that compiled targets are compared against, and
// it runs any stage of the pipeline that is still on tensors, so that a
// decomposition can be checked against the op it replaces.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_REFERENCE_INTERPRETER_H
#define SSMC_CODEGEN_REFERENCE_INTERPRETER_H

#include "ssmc/reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace ssmc {

/// How the interpreter treats precision.
struct InterpreterOptions {
  /// Keep every value in float64. Otherwise each value whose MLIR type is
  /// f32, f16 or bf16 (scalar or tensor element) is rounded to that type when
  /// it is produced, so that the run models the program's precision.
  bool exact = false;
};

/// \p value rounded to nearest-even in the float type \p type; unchanged when
/// \p type is f64 or not a float type.
double roundToType(mlir::Type type, double value);

/// Evaluates \p func on \p args, one per argument (a rank-0 tensor for a
/// scalar argument; integers and indices stored as doubles), and sets
/// \p results likewise. Returns "" on success; otherwise the first error,
/// located at the op that failed ("FILE:LINE:COL: ..."), and \p results is
/// left untouched. Unsupported ops are reported as
/// "unsupported op 'x.y' at FILE:LINE:COL".
std::string interpretFunction(mlir::func::FuncOp func,
                              const std::vector<reference::Tensor> &args,
                              const InterpreterOptions &options,
                              std::vector<reference::Tensor> &results);

} // namespace ssmc

#endif // SSMC_CODEGEN_REFERENCE_INTERPRETER_H
