//===- PackedSequences.h - the sequences of an op's cu_seqlens --*- C++ -*-===//
//
// The ops with packed sequences (`cu_seqlens`, s + 1 offsets into one row of
// l steps) read their offsets the same way in every lowering (the loop
// lowerings of convert-ssm-to-loops and the CPU's vector scan): clamped to
// [0, l) and made nondecreasing, so that no sequence's view ever leaves the
// buffers whatever the offsets hold.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CONVERSION_PACKEDSEQUENCES_H
#define SSMC_CONVERSION_PACKEDSEQUENCES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <utility>

namespace ssmc {

/// The number of sequences s of the offsets buffer `cuSeqlens` (s + 1
/// integers), never negative.
inline mlir::Value packedSequenceCount(mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::Value cuSeqlens) {
  mlir::Value offsets = mlir::memref::DimOp::create(b, loc, cuSeqlens, 0);
  mlir::Value one = mlir::arith::ConstantIndexOp::create(b, loc, 1);
  mlir::Value zero = mlir::arith::ConstantIndexOp::create(b, loc, 0);
  return mlir::arith::MaxSIOp::create(
      b, loc, mlir::arith::SubIOp::create(b, loc, offsets, one), zero);
}

/// The steps [start, end) of sequence `i` of `cuSeqlens` in a row of `l`
/// steps: both offsets clamped to [0, l), end at least start.
inline std::pair<mlir::Value, mlir::Value>
packedSequenceSteps(mlir::OpBuilder &b, mlir::Location loc,
                    mlir::Value cuSeqlens, mlir::Value l, mlir::Value i) {
  mlir::Value zero = mlir::arith::ConstantIndexOp::create(b, loc, 0);
  auto offset = [&](mlir::Value at) -> mlir::Value {
    mlir::Value v = mlir::arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        mlir::memref::LoadOp::create(b, loc, cuSeqlens, at));
    v = mlir::arith::MaxSIOp::create(b, loc, v, zero);
    return mlir::arith::MinSIOp::create(b, loc, v, l);
  };
  mlir::Value start = offset(i);
  mlir::Value next = mlir::arith::AddIOp::create(
      b, loc, i, mlir::arith::ConstantIndexOp::create(b, loc, 1));
  mlir::Value end = mlir::arith::MaxSIOp::create(b, loc, offset(next), start);
  return {start, end};
}

} // namespace ssmc

#endif // SSMC_CONVERSION_PACKEDSEQUENCES_H
