//===- Recurrence.h - the named dimensions of an ssm.recurrence -*- C++ -*-===//
//
// What the verifier, the form analysis, the lowerings and the interpreter of
// ssm.recurrence all need: the dimension set of every tensor and of every
// value of the pointwise step body, and where each dimension's size is read.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_DIALECT_SSM_IR_RECURRENCE_H
#define SSMC_DIALECT_SSM_IR_RECURRENCE_H

#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace ssmc::ssm {

/// A set of named dimensions: bit i is RecurrenceOp::getDims()[i].
using DimMask = uint64_t;

/// The most dimensions a recurrence may name.
inline constexpr unsigned kMaxRecurrenceDims = 64;

/// The named-dimension structure of one ssm.recurrence.
struct RecurrenceShape {
  llvm::SmallVector<llvm::StringRef> dims;
  unsigned time = 0;
  /// The dimension indices of each input, state and output, in tensor order
  /// (inputs and outputs with the time dimension where they have it).
  llvm::SmallVector<llvm::SmallVector<unsigned>> inputs, states, outputs;
  /// The same as masks, without the time dimension.
  llvm::SmallVector<DimMask> inputMasks, stateMasks, outputMasks;
  /// Whether input i has the time dimension (else it is a parameter).
  llvm::SmallVector<bool> inputHasTime;
  /// The static size of each dimension, or ShapedType::kDynamic.
  llvm::SmallVector<int64_t> staticSizes;
  /// For each dimension, an input that has it and the axis there, or -1 when
  /// no input has it (its size is then static).
  llvm::SmallVector<std::pair<int, unsigned>> sizeSource;
  /// The dimensions of every value of the body: block arguments, op results.
  llvm::DenseMap<mlir::Value, DimMask> valueDims;

  DimMask bit(unsigned dim) const { return DimMask(1) << dim; }
  /// The axis of `dim` in a tensor of dimensions `tensorDims`, or -1.
  static int axisOf(llvm::ArrayRef<unsigned> tensorDims, unsigned dim);
  /// "b, h, k" for a mask.
  std::string describe(DimMask mask) const;
};

/// Computes the shape of `op`. With `emitErrors`, each inconsistency is
/// reported on the op (this is the verifier); otherwise it just fails.
mlir::FailureOr<RecurrenceShape> analyzeRecurrence(RecurrenceOp op,
                                                   bool emitErrors);

/// Whether `op` may appear in the step body of an ssm.recurrence.
bool isRecurrenceBodyOp(mlir::Operation *op);

} // namespace ssmc::ssm

#endif // SSMC_DIALECT_SSM_IR_RECURRENCE_H
