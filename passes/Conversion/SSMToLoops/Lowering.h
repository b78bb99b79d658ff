//===- Lowering.h - shared helpers of the ssm-to-loops lowerings -*- C++
//-*-===//
//
// The Emitter and the row-recurrence helper used by every op lowering of
// convert-ssm-to-loops; private to this folder.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_PASSES_CONVERSION_SSMTOLOOPS_LOWERING_H
#define SSMC_PASSES_CONVERSION_SSMTOLOOPS_LOWERING_H

#include "ssmc/Conversion/PackedSequences.h"
#include "ssmc/Conversion/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <functional>
#include <optional>

namespace ssmc::loops {

using llvm::function_ref;
using mlir::ArrayRef;
using mlir::BaseMemRefType;
using mlir::Block;
using mlir::Builder;
using mlir::cast;
using mlir::dyn_cast;
using mlir::FloatType;
using mlir::IntegerAttr;
using mlir::Location;
using mlir::LogicalResult;
using mlir::MemRefType;
using mlir::OpBuilder;
using mlir::Operation;
using mlir::OpFoldResult;
using mlir::PatternRewriter;
using mlir::RankedTensorType;
using mlir::ShapedType;
using mlir::SmallVector;
using mlir::SmallVectorImpl;
using mlir::TensorType;
using mlir::Type;
using mlir::TypeRange;
using mlir::Value;
using mlir::ValueRange;
namespace arith = mlir::arith;
namespace bufferization = mlir::bufferization;
namespace math = mlir::math;
namespace memref = mlir::memref;
namespace scf = mlir::scf;

/// log2(e): exp(x) = exp2(x * log2(e)), folded into A once per row.
inline constexpr double kLog2E = 1.4426950408889634;

/// Builds buffers, loops and scalar math at one location, computing in
/// `ct` (f32, or f64 for f64 inputs).
class Emitter {
public:
  Emitter(OpBuilder &b, Location loc, FloatType ct) : b(b), loc(loc), ct(ct) {}

  OpBuilder &b;
  Location loc;
  FloatType ct;

  Value cst(double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ct, v));
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  /// x + y that LLVM may reassociate: a reduction it can then vectorise
  /// (partial sums across lanes, a different rounding order).
  Value addReassoc(Value x, Value y) {
    return arith::AddFOp::create(b, loc, x, y,
                                 arith::FastMathFlags::reassoc |
                                     arith::FastMathFlags::contract);
  }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value exp2(Value x) { return math::Exp2Op::create(b, loc, x); }
  Value iadd(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value isub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value imul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value idiv(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value icmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }

  /// softplus(x) = x for x > 20, else log1p(exp(x)).
  Value softplus(Value x) {
    Value big =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, cst(20.0));
    Value soft = math::Log1pOp::create(b, loc, exp(x));
    return select(big, x, soft);
  }

  /// silu(x) = x * sigmoid(x) = x / (1 + exp(-x)).
  Value silu(Value x) {
    return div(x, add(cst(1.0), exp(arith::NegFOp::create(b, loc, x))));
  }

  /// An index as a value of the compute type.
  Value toFloat(Value i) {
    Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i);
    return arith::UIToFPOp::create(b, loc, ct, i64);
  }

  /// Converts a float scalar to `to`.
  Value convert(Value v, Type to) {
    Type from = v.getType();
    if (from == to)
      return v;
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }

  /// Reads a tensor operand as a buffer of any layout.
  Value buffer(Value tensor) {
    if (!tensor)
      return Value();
    auto type = cast<TensorType>(tensor.getType());
    BaseMemRefType memType =
        bufferization::getMemRefTypeWithFullyDynamicLayout(type);
    return bufferization::ToBufferOp::create(b, loc, Type(memType), tensor,
                                             /*read_only=*/true);
  }

  /// A fresh buffer for a result of type `type`; `sizes` gives every
  /// dimension, of which the dynamic ones are used.
  Value alloc(Type type, ArrayRef<Value> sizes) {
    auto tensorType = cast<RankedTensorType>(type);
    auto memType =
        MemRefType::get(tensorType.getShape(), tensorType.getElementType());
    SmallVector<Value> dyn;
    for (auto [i, size] : llvm::enumerate(sizes))
      if (tensorType.isDynamicDim(i))
        dyn.push_back(size);
    return memref::AllocOp::create(b, loc, memType, dyn);
  }

  /// A scratch row of `n` elements of the compute type.
  Value scratch(Value n) {
    auto memType = MemRefType::get({ShapedType::kDynamic}, ct);
    return memref::AllocOp::create(b, loc, memType, ValueRange{n});
  }

  /// The tensor value of a result buffer.
  Value toTensor(Type type, Value mem) {
    return bufferization::ToTensorOp::create(b, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  }

  /// Size `i` of a buffer, as a constant when static.
  Value dim(Value mem, int64_t i) {
    auto type = cast<MemRefType>(mem.getType());
    if (!type.isDynamicDim(i))
      return idx(type.getDimSize(i));
    return memref::DimOp::create(b, loc, mem, i);
  }

  /// Loads an element as it is stored.
  Value loadRaw(Value mem, ValueRange ivs) {
    return memref::LoadOp::create(b, loc, mem, ivs);
  }
  /// Loads an element in the compute type.
  Value load(Value mem, ValueRange ivs) {
    return convert(loadRaw(mem, ivs), ct);
  }
  /// Stores `v` converted to the buffer's element type.
  void store(Value v, Value mem, ValueRange ivs) {
    Type elt = cast<MemRefType>(mem.getType()).getElementType();
    Value s = convert(v, elt);
    memref::StoreOp::create(b, loc, s, mem, ivs);
  }

  /// Builds `scf.for %iv = lb to ub` carrying `inits`; `body` gets the
  /// induction variable and the carried values and returns the values to
  /// carry on (none without `inits`). Returns the loop's results.
  SmallVector<Value>
  loop(Value lb, Value ub, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, idx(1), inits);
    OpBuilder::InsertionGuard guard(b);
    Block *block = forOp.getBody();
    if (inits.empty())
      b.setInsertionPoint(block->getTerminator());
    else
      b.setInsertionPointToEnd(block);
    SmallVector<Value> next =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    if (!inits.empty())
      scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(forOp.getResults());
  }
  SmallVector<Value>
  loop(Value ub, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return loop(idx(0), ub, inits, body);
  }
  /// A loop that carries nothing.
  void forEach(Value ub, function_ref<void(Value)> body) {
    loop(ub, {}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>();
    });
  }
  /// A perfect nest over `ubs`, outermost first.
  void nest(ArrayRef<Value> ubs, function_ref<void(ValueRange)> body) {
    SmallVector<Value> ivs;
    std::function<void(unsigned)> rec = [&](unsigned depth) {
      if (depth == ubs.size()) {
        body(ivs);
        return;
      }
      forEach(ubs[depth], [&](Value iv) {
        ivs.push_back(iv);
        rec(depth + 1);
        ivs.pop_back();
      });
    };
    rec(0);
  }

  /// `scf.if cond` yielding `types`, with the branches built by callbacks
  /// (no else branch when `elseFn` is null, which needs empty `types`).
  SmallVector<Value> ifElse(Value cond, TypeRange types,
                            function_ref<SmallVector<Value>()> thenFn,
                            function_ref<SmallVector<Value>()> elseFn = {}) {
    auto ifOp = scf::IfOp::create(b, loc, types, cond,
                                  /*withElseRegion=*/bool(elseFn));
    OpBuilder::InsertionGuard guard(b);
    auto fill = [&](Block *block, function_ref<SmallVector<Value>()> fn) {
      if (block->mightHaveTerminator())
        b.setInsertionPoint(block->getTerminator());
      else
        b.setInsertionPointToEnd(block);
      SmallVector<Value> values = fn();
      if (!types.empty())
        scf::YieldOp::create(b, loc, values);
    };
    fill(ifOp.thenBlock(), thenFn);
    if (elseFn)
      fill(ifOp.elseBlock(), elseFn);
    return SmallVector<Value>(ifOp.getResults());
  }

  /// dt = clamp(softplus(dt + bias), lo, hi), each step when requested.
  Value processDt(Value dt, Value bias, bool softplusOn,
                  std::optional<ArrayRef<double>> limit) {
    if (bias)
      dt = add(dt, bias);
    if (softplusOn)
      dt = softplus(dt);
    if (limit && limit->size() == 2) {
      dt = arith::MaximumFOp::create(b, loc, dt, cst((*limit)[0]));
      dt = arith::MinimumFOp::create(b, loc, dt, cst((*limit)[1]));
    }
    return dt;
  }
};

/// A stack buffer of the compute type (or `elt`) with the given sizes (static
/// where they are constants).
inline Value stackBuffer(Emitter &e, ArrayRef<Value> sizes, Type elt = Type()) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (Value size : sizes) {
    if (std::optional<int64_t> c = mlir::getConstantIntValue(size)) {
      shape.push_back(*c);
    } else {
      shape.push_back(ShapedType::kDynamic);
      dyn.push_back(size);
    }
  }
  auto type = MemRefType::get(shape, elt ? elt : Type(e.ct));
  return memref::AllocaOp::create(e.b, e.loc, type, dyn);
}

/// `mem` restricted to [offset, offset + size) along dimension `dim` (a
/// strided view; null stays null).
inline Value sliceAlong(Emitter &e, Value mem, int64_t dim, Value offset,
                        Value size) {
  if (!mem)
    return mem;
  auto type = cast<MemRefType>(mem.getType());
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    offsets.push_back(i == dim ? OpFoldResult(offset) : e.b.getIndexAttr(0));
    sizes.push_back(i == dim ? OpFoldResult(size)
                             : OpFoldResult(e.dim(mem, i)));
    strides.push_back(e.b.getIndexAttr(1));
  }
  return memref::SubViewOp::create(e.b, e.loc, mem, offsets, sizes, strides);
}

/// Packed sequences: the number of sequences s of `cuSeqlens` (s + 1
/// integer offsets), never negative.
inline Value packedCount(Emitter &e, Value cuSeqlens) {
  return ssmc::packedSequenceCount(e.b, e.loc, cuSeqlens);
}

/// Calls `body(i, start, len)` for each packed sequence i of `cuSeqlens`,
/// which covers steps [start, start + len) (packedSequenceSteps: no view
/// ever leaves the buffers).
inline void forEachSequence(Emitter &e, Value cuSeqlens, Value l,
                            function_ref<void(Value, Value, Value)> body) {
  e.forEach(packedCount(e, cuSeqlens), [&](Value i) {
    auto [start, end] = ssmc::packedSequenceSteps(e.b, e.loc, cuSeqlens, l, i);
    body(i, start, e.isub(end, start));
  });
}

/// Stores zero into every element of `mem` (the steps of a packed output
/// that no sequence covers).
inline void zeroFill(Emitter &e, Value mem) {
  auto type = cast<MemRefType>(mem.getType());
  SmallVector<Value> ubs;
  for (int64_t i = 0; i < type.getRank(); ++i)
    ubs.push_back(e.dim(mem, i));
  e.nest(ubs, [&](ValueRange ivs) { e.store(e.cst(0.0), mem, ivs); });
}

/// One scf.parallel task per point of [0, ubs): leaves `b` inside the task,
/// in a memref.alloca_scope (so that each task's stack buffers are freed when
/// it ends), and returns the task's induction variables. The caller keeps an
/// InsertionGuard to get back out.
inline SmallVector<Value> beginParallelTasks(Emitter &e, ArrayRef<Value> ubs) {
  SmallVector<Value> lbs(ubs.size(), e.idx(0)), steps(ubs.size(), e.idx(1));
  auto par = scf::ParallelOp::create(e.b, e.loc, lbs, ubs, steps);
  e.b.setInsertionPoint(par.getBody()->getTerminator());
  auto scope = memref::AllocaScopeOp::create(e.b, e.loc, TypeRange{});
  Block *scopeBody = e.b.createBlock(&scope.getBodyRegion());
  memref::AllocaScopeReturnOp::create(e.b, e.loc, mlir::ValueRange{});
  e.b.setInsertionPointToStart(scopeBody);
  return SmallVector<Value>(par.getInductionVars());
}

/// f64 when any float operand or result is f64, else f32.
inline mlir::FloatType computeType(mlir::Operation *op) {
  Builder b(op->getContext());
  auto isF64 = [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.getElementType().isF64();
  };
  if (llvm::any_of(op->getOperandTypes(), isF64) ||
      llvm::any_of(op->getResultTypes(), isF64))
    return b.getF64Type();
  return b.getF32Type();
}

/// The static size of dimension `i` of `v` when it is at most `max`.
inline std::optional<int64_t> staticSize(Value v, int64_t i, int64_t max) {
  auto type = cast<ShapedType>(v.getType());
  if (type.isDynamicDim(i) || type.getDimSize(i) > max)
    return std::nullopt;
  return type.getDimSize(i);
}

//===----------------------------------------------------------------------===//
// Recurrence over time of one state row
//===----------------------------------------------------------------------===//

/// What one step of a diagonal recurrence h[j] = decay(j) h[j] + inc(j) needs:
/// the per-step decay and input of element j, and what to do with the
/// updated element (accumulated into y).
struct RowStep {
  /// The updated element j given the previous one; `jStatic` is j when the
  /// row is unrolled, else -1.
  function_ref<Value(Value j, int64_t jStatic, Value prev)> update;
  /// The contribution of updated element j to y.
  function_ref<Value(Value j, Value h)> output;
};

/// Runs one step over a state row of `n` elements and returns y = sum of
/// outputs. With `regs` (static n), the row is carried in `regs`, which is
/// updated; otherwise it lives in the buffer `row`.
inline Value rowStep(Emitter &e, Value n, SmallVectorImpl<Value> *regs,
                     Value row, const RowStep &step) {
  if (regs) {
    Value y;
    for (int64_t j = 0, size = regs->size(); j < size; ++j) {
      Value jv = e.idx(j);
      Value h = step.update(jv, j, (*regs)[j]);
      Value term = step.output(jv, h);
      y = y ? e.add(y, term) : term;
      (*regs)[j] = h;
    }
    return y ? y : e.cst(0.0);
  }
  return e.loop(n, ValueRange{e.cst(0.0)}, [&](Value j, ValueRange acc) {
    Value h = step.update(j, -1, e.load(row, j));
    e.store(h, row, j);
    return SmallVector<Value>{e.add(acc[0], step.output(j, h))};
  })[0];
}

/// The discardable attribute that holds the chunk length of the SSD's CPU
/// lowering; 0 (or absent) selects the sequential recurrence.
inline constexpr llvm::StringLiteral kSSDChunkAttr = "ssm.cpu_chunk_size";

/// The per-task scratch budget of the chunked SSD: half of a 1 MiB L2.
inline constexpr int64_t kSSDScratchBytesCPU = 512 * 1024;

/// The CPU chunk length of `op`: the power of two (from 16, at most its
/// chunk_size) that minimises a per-step cost model of the chunked form, then
/// halved (not below 16) until one task's scratch fits kSSDScratchBytesCPU.
int64_t chooseSSDChunkSizeCPU(ssm::SSDOp op);

/// Writes kSSDChunkAttr on every ssm.ssd under `root`: 0 on all when
/// `sequential`, else the heuristic's choice where the attribute is absent.
void annotateSSDChunkSizes(Operation *root, bool sequential);

/// How ssm.recurrence may split its time dimension.
struct RecurrenceSplit {
  /// Steps per segment of a scalar diagonal recurrence's sequence split (0:
  /// no split, one sequential walk per independent recurrence).
  int64_t segmentLength = 0;
  /// Steps whose state-free work (loads, gates) is computed together before
  /// their state updates, so that their loads are in flight at once.
  int64_t unroll = 1;
};

/// Lowers ssm.recurrence as a sequential scan, or as a segmented one
/// (RecurrenceToLoops.cpp).
LogicalResult lowerRecurrence(ssm::RecurrenceOp op, PatternRewriter &rewriter,
                              RecurrenceSplit split = {});

/// Lowers ssm.linear_attention in its chunked form
/// (LinearAttentionToLoops.cpp).
LogicalResult lowerLinearAttention(ssm::LinearAttentionOp op,
                                   PatternRewriter &rewriter);

/// Lowers ssm.ssd (SSDToLoops.cpp).
LogicalResult lowerSSD(ssm::SSDOp op, PatternRewriter &rewriter,
                       int64_t maxUnrolled);

} // namespace ssmc::loops

#endif // SSMC_PASSES_CONVERSION_SSMTOLOOPS_LOWERING_H
