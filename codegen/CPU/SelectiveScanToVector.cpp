//===- SelectiveScanToVector.cpp - the selective scan as CPU vector code --===//
//
// ssm-cpu-choose-scan-tiles picks the channel tile (lanes) of each
// ssm.selective_scan from the target's vector width; ssm-cpu-vectorize-
// selective-scan lowers the scan to an scf.parallel over (batch, channel
// tile) whose loop over time carries the tile's state as n vectors. Each
// state update costs one vector exp2, computed inline (Cody-Waite reduction
// and a polynomial), so that no libm call is left on the hot path. When
// batch x tiles cannot keep the threads busy (batch 1, few channels, a long
// sequence), the time steps are split into segments too, joined by the
// associativity of the linear recurrence.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"
#include "ssmc/Conversion/PackedSequences.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/TargetParser/Host.h"

#include <thread>

namespace ssmc {
#define GEN_PASS_DEF_SSMCPUCHOOSESCANTILES
#define GEN_PASS_DEF_SSMCPUVECTORIZESELECTIVESCAN
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc::ssm;

int64_t ssmc::chooseScanLanes(int64_t vectorBits, int64_t elementBits) {
  return std::max<int64_t>(1, vectorBits / elementBits);
}

int64_t ssmc::hostVectorBits() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (features.lookup("avx512f"))
    return 512;
  if (features.lookup("avx"))
    return 256;
  return 128;
}

namespace {

/// The hardware threads of this host, which the runtime's pool uses by
/// default (std::thread::hardware_concurrency, as in runtime/cpu).
int64_t hostThreads() {
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

/// log2(e): exp(x) = exp2(x * log2(e)).
constexpr double kLog2E = 1.4426950408889634;
/// The cost of a segment's summary (its end state from zero, no outputs)
/// relative to its run with outputs, as a fraction: about 3/4 measured at
/// n = 16 with D, z and softplus on AVX-512.
constexpr std::pair<int64_t, int64_t> kSummaryCost = {3, 4};
/// The largest state the tile carries in vector registers.
constexpr int64_t kMaxVectorState = 64;

/// Whether the scan can take the vector lowering: f32 throughout and a static
/// state size.
bool isVectorizable(SelectiveScanOp op) {
  auto isF32 = [](Value v) {
    return cast<ShapedType>(v.getType()).getElementType().isF32();
  };
  // Every float operand f32 (the packed sequences' offsets are integers).
  auto floats = llvm::make_filter_range(
      op->getOperands(), [&](Value v) { return v != op.getCuSeqlens(); });
  if (!llvm::all_of(floats, isF32) || !llvm::all_of(op->getResults(), isF32))
    return false;
  auto aType = cast<ShapedType>(op.getA().getType());
  return !aType.isDynamicDim(1) && aType.getDimSize(1) <= kMaxVectorState;
}

struct ChooseScanTilesPass
    : ssmc::impl::SSMCPUChooseScanTilesBase<ChooseScanTilesPass> {
  using Base::Base;

  void runOnOperation() final {
    int64_t bits = vectorBits > 0 ? int64_t(vectorBits) : ssmc::hostVectorBits();
    int64_t chosen = lanes > 0 ? int64_t(lanes) : ssmc::chooseScanLanes(bits, 32);
    Builder b(&getContext());
    getOperation()->walk([&](SelectiveScanOp op) {
      if (isVectorizable(op) && chosen > 1)
        op->setAttr(ssmc::kCPULanesAttrName, b.getI64IntegerAttr(chosen));
    });
  }
};

/// Builds the vector code of one scan at one location.
class VectorEmitter {
public:
  VectorEmitter(OpBuilder &b, Location loc, int64_t lanes)
      : b(b), loc(loc), f32(b.getF32Type()),
        vecType(VectorType::get({lanes}, f32)), lanes(lanes) {}

  OpBuilder &b;
  Location loc;
  FloatType f32;
  VectorType vecType;
  int64_t lanes;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value scalar(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// A vector of `v` in every lane.
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(v)));
  }
  Value broadcast(Value s) {
    return vector::BroadcastOp::create(b, loc, vecType, s);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value fma(Value x, Value y, Value z) {
    return math::FmaOp::create(b, loc, x, y, z);
  }
  Value iadd(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value isub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value imul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value imin(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value idiv(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value icmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value load(Value mem, ValueRange ivs) {
    return memref::LoadOp::create(b, loc, mem, ivs);
  }
  void store(Value v, Value mem, ValueRange ivs) {
    memref::StoreOp::create(b, loc, v, mem, ivs);
  }
  Value vload(Value mem, ValueRange ivs) {
    return vector::LoadOp::create(b, loc, vecType, mem, ivs);
  }
  void vstore(Value v, Value mem, ValueRange ivs) {
    vector::StoreOp::create(b, loc, v, mem, ivs);
  }
  Value dim(Value mem, int64_t i) {
    auto type = cast<MemRefType>(mem.getType());
    if (!type.isDynamicDim(i))
      return idx(type.getDimSize(i));
    return memref::DimOp::create(b, loc, mem, i);
  }

  /// x clamped to [lo, hi] as compare-and-select, which x86 matches to
  /// single max/min instructions (maxnum/minimum would add NaN handling).
  Value clamp(Value x, double lo, double hi) {
    Value loV = splat(lo), hiV = splat(hi);
    Value below =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, loV);
    x = arith::SelectOp::create(b, loc, below, loV, x);
    Value above =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hiV);
    return arith::SelectOp::create(b, loc, above, hiV, x);
  }

  /// 2^x: x = k + f with k = round(x), |f| <= 1/2 (rounded by adding and
  /// subtracting 1.5 * 2^23, which leaves k in the low bits of the sum);
  /// 2^f by its Taylor polynomial of degree 6 (relative error < 1e-7 on the
  /// interval), times 2^k by adding k to the exponent field. x is clamped to
  /// [-126, 127], so that the exponent field stays in [0, 254] (2^-126
  /// stands for 0).
  Value exp2(Value x) {
    x = clamp(x, -126.0, 127.0);
    Value magic = splat(12582912.0); // 1.5 * 2^23
    Value shifted = add(x, magic);
    Value k = sub(shifted, magic);
    Value f = sub(x, k);
    double ln2 = 0.6931471805599453, c = 1.0;
    SmallVector<double> coeffs;
    for (int i = 0; i <= 6; ++i) {
      coeffs.push_back(c);
      c *= ln2 / double(i + 1);
    }
    Value p = splat(coeffs[6]);
    for (int i = 5; i >= 0; --i)
      p = fma(p, f, splat(coeffs[i]));
    auto intType = VectorType::get({lanes}, b.getI32Type());
    auto intSplat = [&](int32_t v) {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(intType, b.getI32IntegerAttr(v)));
    };
    // bits(shifted) = bits(1.5 * 2^23) + k, whose high bits shift out.
    Value kBits = arith::ShLIOp::create(
        b, loc, arith::BitcastOp::create(b, loc, intType, shifted),
        intSplat(23));
    Value pBits = arith::BitcastOp::create(b, loc, intType, p);
    return arith::BitcastOp::create(b, loc, vecType, iadd(pBits, kBits));
  }
  Value exp(Value x) { return exp2(mul(x, splat(kLog2E))); }

  /// softplus(x) = x for x > 20, else log1p(exp(x)).
  Value softplus(Value x) {
    Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                      splat(20.0));
    Value soft = math::Log1pOp::create(b, loc, exp(x));
    return arith::SelectOp::create(b, loc, big, x, soft);
  }

  /// silu(x) = x / (1 + exp(-x)).
  Value silu(Value x) {
    Value e = exp2(mul(x, splat(-kLog2E)));
    return arith::DivFOp::create(b, loc, x, add(splat(1.0), e));
  }

  /// `scf.for %iv = lb to ub step 1` carrying `inits`.
  SmallVector<Value>
  loop(Value lb, Value ub, Value step, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, step, inits);
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
  void forEach(Value ub, function_ref<void(Value)> body) {
    loop(idx(0), ub, idx(1), {}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>();
    });
  }
  /// Loops over channels [0, nc) of the tile and steps [0, tl).
  void forEach2(Value nc, Value tl, function_ref<void(Value, Value)> body) {
    forEach(nc, [&](Value i) { forEach(tl, [&](Value t) { body(i, t); }); });
  }
};

/// Reads a tensor operand as a buffer of any layout.
Value toBuffer(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return Value();
  auto type = cast<TensorType>(tensor.getType());
  BaseMemRefType memType =
      bufferization::getMemRefTypeWithFullyDynamicLayout(type);
  return bufferization::ToBufferOp::create(b, loc, Type(memType), tensor,
                                           /*read_only=*/true);
}

/// A fresh buffer for a result of type `type` with sizes `sizes`.
Value allocResult(OpBuilder &b, Location loc, Type type,
                  ArrayRef<Value> sizes) {
  auto tensorType = cast<RankedTensorType>(type);
  auto memType =
      MemRefType::get(tensorType.getShape(), tensorType.getElementType());
  SmallVector<Value> dyn;
  for (auto [i, size] : llvm::enumerate(sizes))
    if (tensorType.isDynamicDim(i))
      dyn.push_back(size);
  return memref::AllocOp::create(b, loc, memType, dyn);
}

/// `mem` (rank 3) with its innermost stride declared 1, and whether it is.
std::pair<Value, Value> unitStrideView(OpBuilder &b, Location loc, Value mem) {
  auto type = cast<MemRefType>(mem.getType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, mem);
  SmallVector<OpFoldResult> sizes, strides;
  for (int64_t i = 0; i < 3; ++i) {
    if (type.isDynamicDim(i))
      sizes.push_back(meta.getSizes()[i]);
    else
      sizes.push_back(b.getIndexAttr(type.getDimSize(i)));
  }
  strides = {meta.getStrides()[0], meta.getStrides()[1], b.getIndexAttr(1)};
  int64_t dyn = ShapedType::kDynamic;
  auto viewType = MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), dyn, {dyn, dyn, 1}));
  Value view = memref::ReinterpretCastOp::create(
      b, loc, viewType, mem, OpFoldResult(meta.getOffset()), sizes, strides);
  Value unit = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, meta.getStrides()[2],
      arith::ConstantIndexOp::create(b, loc, 1));
  return {view, unit};
}

/// Transposes `rows` (lanes x lanes, lanes a power of two) in registers:
/// log2(lanes) rounds of two-source shuffles that swap off-diagonal blocks.
void transposeInPlace(OpBuilder &b, Location loc, SmallVectorImpl<Value> &rows) {
  int64_t lanes = rows.size();
  for (int64_t k = lanes / 2; k >= 1; k /= 2) {
    SmallVector<int64_t> lo, hi;
    for (int64_t j = 0; j < lanes; ++j) {
      lo.push_back((j & k) == 0 ? j : lanes + j - k);
      hi.push_back((j & k) == 0 ? j + k : lanes + j);
    }
    for (int64_t i = 0; i < lanes; ++i) {
      if (i & k)
        continue;
      Value a = rows[i], c = rows[i + k];
      rows[i] = vector::ShuffleOp::create(b, loc, a, c, lo);
      rows[i + k] = vector::ShuffleOp::create(b, loc, a, c, hi);
    }
  }
}

/// How ssm-cpu-vectorize-selective-scan divides the work of a scan.
struct ScanSplitOptions {
  /// Time steps staged per chunk.
  int64_t chunk = 256;
  /// The threads the run-time choice targets; below 2, no split.
  int64_t threads = 1;
  /// The fewest steps per segment of the run-time choice.
  int64_t minSegment = 1024;
  /// 0: chosen at run time; 1: never split; S >= 2: always S segments.
  int64_t segments = 0;
};

/// The scratch and the channels of the (batch, channel tile) of one
/// iteration of a parallel loop.
struct Tile {
  /// bi indexes the inputs, si the initial and final state (the sequence of
  /// packed sequences, else bi).
  Value bi, si, tile, c0, nc, gi;
  /// [chunk x lanes]: u, dt, y, dt·u and z of the chunk; [chunk x n]: B and C
  /// of the chunk, step-major; [n x lanes]: A * log2(e) and the state;
  /// [2 x lanes]: delta_bias and D. Lanes past the last channel stay zero.
  Value uS, dtS, yS, duS, bS, cS, zS, aS, hS, pS;
};

/// The vector lowering of one scan: its buffers and sizes, and the code of
/// one (batch, tile) over a range of time steps. The plain form runs every
/// tile over the whole sequence; the sequence split runs each tile in
/// segments, carried from one to the next by the associativity of the
/// recurrence.
class ScanLowering {
public:
  ScanLowering(OpBuilder &b, SelectiveScanOp op, int64_t lanes, int64_t chunk)
      : b(b), op(op), loc(op.getLoc()), e(b, op.getLoc(), lanes), lanes(lanes),
        chunk(chunk), n(cast<ShapedType>(op.getA().getType()).getDimSize(1)) {
    u = toBuffer(b, loc, op.getU());
    delta = toBuffer(b, loc, op.getDelta());
    a = toBuffer(b, loc, op.getA());
    bMat = toBuffer(b, loc, op.getB());
    cMat = toBuffer(b, loc, op.getC());
    dVec = toBuffer(b, loc, op.getD());
    z = toBuffer(b, loc, op.getZ());
    bias = toBuffer(b, loc, op.getDeltaBias());
    h0 = toBuffer(b, loc, op.getInitialState());
    if (op.getCuSeqlens())
      cu = toBuffer(b, loc, op.getCuSeqlens());
    batch = e.dim(u, 0);
    d = e.dim(u, 1);
    l = e.dim(u, 2);
    Value g = e.dim(bMat, 1);
    out = allocResult(b, loc, op.getOut().getType(), {batch, d, l});
    if (cu)
      sequences = ssmc::packedSequenceCount(b, loc, cu);
    if (op.getFinalState())
      fin = allocResult(b, loc, op.getFinalState().getType(),
                        {cu ? sequences : batch, d, e.idx(n)});
    perGroup = e.idiv(d, g);
    // Full tiles of unit-stride inputs are staged in lanes x lanes blocks
    // transposed in registers, the rest element by element.
    blockStaging = llvm::isPowerOf2_64(lanes);
    if (blockStaging) {
      auto [uv, uUnit] = unitStrideView(b, loc, u);
      auto [dv, dUnit] = unitStrideView(b, loc, delta);
      uView = uv;
      dtView = dv;
      unitStride = arith::AndIOp::create(b, loc, uUnit, dUnit);
      if (z) {
        auto [zv, zUnit] = unitStrideView(b, loc, z);
        zView = zv;
        unitStride = arith::AndIOp::create(b, loc, unitStride, zUnit);
      }
    }
    lanesV = e.idx(lanes);
    chunkV = e.idx(chunk);
    numTiles = e.idiv(e.iadd(d, e.idx(lanes - 1)), lanesV);
    zero = e.idx(0);
    one = e.idx(1);
  }

  /// The plain form: an scf.parallel over (batch, tile), each iteration over
  /// the whole sequence from the initial state.
  void emitPlain() {
    auto par = scf::ParallelOp::create(b, loc, ValueRange{zero, zero},
                                       ValueRange{batch, numTiles},
                                       ValueRange{one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(par.getBody()->getTerminator());
    Tile t = enterTile(par.getInductionVars()[0], par.getInductionVars()[1],
                       /*loadInitial=*/true);
    SmallVector<Value> last =
        runSteps(t, zero, l, loadRows(t.hS), /*outputs=*/true, nullptr);
    if (fin)
      storeFinal(t, last);
  }

  /// Packed sequences (`cu_seqlens`, b = 1): an scf.parallel over
  /// (sequence, tile), each iteration over its sequence's steps (the offsets
  /// clamped to [0, l) and made nondecreasing) from its initial state; steps
  /// of no sequence give zero.
  void emitPacked() {
    e.forEach(d, [&](Value c) {
      e.forEach(l, [&](Value t) { e.store(e.scalar(0.0), out, {zero, c, t}); });
    });
    auto par = scf::ParallelOp::create(b, loc, ValueRange{zero, zero},
                                       ValueRange{sequences, numTiles},
                                       ValueRange{one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(par.getBody()->getTerminator());
    Value si = par.getInductionVars()[0];
    auto [start, end] = ssmc::packedSequenceSteps(b, loc, cu, l, si);
    Tile t =
        enterTile(zero, par.getInductionVars()[1], /*loadInitial=*/true, si);
    SmallVector<Value> last =
        runSteps(t, start, end, loadRows(t.hS), /*outputs=*/true, nullptr);
    if (fin)
      storeFinal(t, last);
  }

  bool packed() const { return static_cast<bool>(cu); }

  /// The sequence split into S = `numSegments` (at least 2) segments, in
  /// three phases over a heap buffer `carry` (batch x tiles, S - 1, 2, n,
  /// lanes):
  ///  1. parallel over (batch, tile, segment s < S - 1): segment 0 from the
  ///     initial state, with its outputs, keeps its end state (the state
  ///     entering segment 1); every other segment runs from a zero state
  ///     without outputs and keeps its end state E_s and its decay
  ///     exp2(A log2(e) sum(dt)), elementwise;
  ///  2. per (batch, tile), over the segments: H_{s+1} = decay_s * H_s + E_s,
  ///     the state entering each segment;
  ///  3. parallel over (batch, tile, segment s >= 1): segment s from H_s,
  ///     with its outputs (and the final state from the last).
  /// The last segment needs no summary and segment 0 no rerun, so that with
  /// S - 1 tasks per tile in each parallel phase the work is S - 2 summaries
  /// more than the plain form's.
  void emitSplit(Value numSegments) {
    // Segments 1..S-1 of segLen steps end at l; segment 0 takes the rest,
    // about kSummaryCost x segLen steps: it runs beside the summaries of
    // phase 1, which cost about that fraction of a run with outputs.
    Value segLen = arith::CeilDivUIOp::create(
        b, loc, e.imul(l, e.idx(kSummaryCost.second)),
        e.iadd(e.imul(e.isub(numSegments, one), e.idx(kSummaryCost.second)),
               e.idx(kSummaryCost.first)));
    Value kept = e.isub(numSegments, one);
    Value tiles = e.imul(batch, numTiles);
    auto carryType = MemRefType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, 2, n, lanes}, e.f32);
    Value carry =
        memref::AllocOp::create(b, loc, carryType, ValueRange{tiles, kept});
    // Segment s >= 1 starts at max(0, l - (S - s) x segLen), segment 0 at 0.
    auto startOf = [&](Value s) {
      Value fromEnd = e.imul(e.isub(numSegments, s), segLen);
      return arith::MaxSIOp::create(b, loc, e.isub(l, fromEnd), zero);
    };
    auto carryIvs = [&](Value k, Value s, int64_t part, int64_t row) {
      return SmallVector<Value>{k, s, e.idx(part), e.idx(row), zero};
    };

    // Phase 1: summaries, and segment 0.
    {
      auto par = scf::ParallelOp::create(b, loc, ValueRange{zero, zero, zero},
                                         ValueRange{batch, numTiles, kept},
                                         ValueRange{one, one, one});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(par.getBody()->getTerminator());
      Value s = par.getInductionVars()[2];
      Tile t = enterTile(par.getInductionVars()[0], par.getInductionVars()[1],
                         /*loadInitial=*/true);
      Value k = e.iadd(e.imul(t.bi, numTiles), t.tile);
      Value first = e.icmp(arith::CmpIPredicate::eq, s, zero);
      Value begin = arith::SelectOp::create(b, loc, first, zero, startOf(s));
      Value end = startOf(e.iadd(s, one));
      auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/true);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      SmallVector<Value> last =
          runSteps(t, begin, end, loadRows(t.hS), /*outputs=*/true, nullptr);
      for (int64_t j = 0; j < n; ++j)
        e.vstore(last[j], carry, carryIvs(k, zero, 0, j));
      b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
      Value dtSum;
      SmallVector<Value> zeros(n, e.splat(0.0));
      last = runSteps(t, begin, end, zeros, /*outputs=*/false, &dtSum);
      for (int64_t j = 0; j < n; ++j) {
        e.vstore(last[j], carry, carryIvs(k, s, 0, j));
        Value aj = e.vload(t.aS, {e.idx(j), zero});
        e.vstore(e.exp2(e.mul(aj, dtSum)), carry, carryIvs(k, s, 1, j));
      }
    }

    // Phase 2: the carry over the segments, in place of the end states.
    e.forEach(tiles, [&](Value k) {
      for (int64_t j = 0; j < n; ++j) {
        Value h = e.vload(carry, carryIvs(k, zero, 0, j));
        e.loop(one, kept, one, {h}, [&](Value s, ValueRange hs) {
          Value decay = e.vload(carry, carryIvs(k, s, 1, j));
          Value next =
              e.fma(decay, hs[0], e.vload(carry, carryIvs(k, s, 0, j)));
          e.vstore(next, carry, carryIvs(k, s, 0, j));
          return SmallVector<Value>{next};
        });
      }
    });

    // Phase 3: every segment after the first from the state entering it.
    auto par = scf::ParallelOp::create(b, loc, ValueRange{zero, zero, one},
                                       ValueRange{batch, numTiles, numSegments},
                                       ValueRange{one, one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(par.getBody()->getTerminator());
    Value s = par.getInductionVars()[2];
    Tile t = enterTile(par.getInductionVars()[0], par.getInductionVars()[1],
                       /*loadInitial=*/false);
    Value k = e.iadd(e.imul(t.bi, numTiles), t.tile);
    Value prev = e.isub(s, one);
    SmallVector<Value> init;
    for (int64_t j = 0; j < n; ++j)
      init.push_back(e.vload(carry, carryIvs(k, prev, 0, j)));
    SmallVector<Value> last = runSteps(t, startOf(s), startOf(e.iadd(s, one)),
                                       init, /*outputs=*/true, nullptr);
    if (fin) {
      auto ifOp =
          scf::IfOp::create(b, loc, e.icmp(arith::CmpIPredicate::eq, s, kept),
                            /*withElseRegion=*/false);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      storeFinal(t, last);
    }
  }

  /// Segments per (batch, tile) when the sequence split pays, else fewer
  /// than 3: with T threads and k = batch x tiles, T / k tasks per tile in
  /// each parallel phase (S = T / k + 1 segments), at most one per
  /// `minSegment` steps.
  Value chooseSegments(int64_t threads, int64_t minSegment) {
    Value tiles = arith::MaxUIOp::create(b, loc, e.imul(batch, numTiles), one);
    Value perTile = e.idiv(e.idx(threads), tiles);
    Value byLength = e.idiv(l, e.idx(minSegment));
    return e.iadd(e.imin(perTile, e.isub(byLength, one)), one);
  }

  Value idx(int64_t v) { return e.idx(v); }

  /// The results as tensors, at the builder's insertion point.
  SmallVector<Value> results() {
    auto toTensor = [&](Type type, Value mem) -> Value {
      return bufferization::ToTensorOp::create(b, loc, type, mem,
                                               /*restrict=*/true,
                                               /*writable=*/true);
    };
    SmallVector<Value> values{toTensor(op.getOut().getType(), out)};
    if (fin)
      values.push_back(toTensor(op.getFinalState().getType(), fin));
    return values;
  }

private:
  /// The tile of (bi, tile): its channels, and its scratch zero-filled, with
  /// A * log2(e), delta_bias, D and, with `loadInitial`, the initial state
  /// (h0, else zeros) of its channels.
  Tile enterTile(Value bi, Value tile, bool loadInitial, Value si = Value()) {
    Tile t;
    t.bi = bi;
    t.si = si ? si : bi;
    t.tile = tile;
    t.c0 = e.imul(tile, lanesV);
    t.nc = e.imin(lanesV, e.isub(d, t.c0));
    t.gi = e.idiv(t.c0, perGroup);
    auto scratch = [&](int64_t rows) {
      return memref::AllocaOp::create(b, loc,
                                      MemRefType::get({rows, lanes}, e.f32));
    };
    t.uS = scratch(chunk);
    t.dtS = scratch(chunk);
    t.yS = scratch(chunk);
    t.duS = scratch(chunk);
    // B and C of the chunk, step-major: (n, l) rows of the inputs are l
    // apart, and read across n at every step they would map to one L1 set.
    auto stepMajor = [&]() {
      return memref::AllocaOp::create(b, loc,
                                      MemRefType::get({chunk, n}, e.f32));
    };
    t.bS = stepMajor();
    t.cS = stepMajor();
    if (z)
      t.zS = scratch(chunk);
    t.aS = scratch(n);
    t.hS = scratch(n);
    t.pS = scratch(2);
    Value zeroV = e.splat(0.0);
    e.forEach(chunkV, [&](Value step) {
      e.vstore(zeroV, t.uS, {step, zero});
      e.vstore(zeroV, t.dtS, {step, zero});
      if (t.zS)
        e.vstore(zeroV, t.zS, {step, zero});
    });
    for (int64_t j = 0; j < n; ++j) {
      e.vstore(zeroV, t.aS, {e.idx(j), zero});
      e.vstore(zeroV, t.hS, {e.idx(j), zero});
    }
    e.vstore(zeroV, t.pS, {zero, zero});
    e.vstore(zeroV, t.pS, {one, zero});
    Value log2e = e.scalar(kLog2E);
    e.forEach(t.nc, [&](Value i) {
      Value c = e.iadd(t.c0, i);
      for (int64_t j = 0; j < n; ++j) {
        Value jv = e.idx(j);
        e.store(e.mul(e.load(a, {c, jv}), log2e), t.aS, {jv, i});
        if (h0 && loadInitial)
          e.store(e.load(h0, {t.si, c, jv}), t.hS, {jv, i});
      }
      if (bias)
        e.store(e.load(bias, c), t.pS, {zero, i});
      if (dVec)
        e.store(e.load(dVec, c), t.pS, {one, i});
    });
    return t;
  }

  /// The n rows of an [n x lanes] scratch as vectors.
  SmallVector<Value> loadRows(Value mem) {
    SmallVector<Value> rows;
    for (int64_t j = 0; j < n; ++j)
      rows.push_back(e.vload(mem, {e.idx(j), zero}));
    return rows;
  }

  /// The recurrence of tile `t` over steps [begin, end) from the state
  /// `init`; returns the state after the last step. With `outputs`, writes y
  /// (with the D skip and the gate) of every step to `out`; without, only
  /// sums dt over the steps into `*dtSum`.
  SmallVector<Value> runSteps(const Tile &t, Value begin, Value end,
                              ValueRange init, bool outputs, Value *dtSum) {
    Value biasV = bias ? e.vload(t.pS, {zero, zero}) : Value();
    Value dV = dVec && outputs ? e.vload(t.pS, {one, zero}) : Value();
    Value zS = outputs ? t.zS : Value();
    bool softplusOn = op.getDeltaSoftplus();
    SmallVector<Value> carried(init);
    if (!outputs)
      carried.push_back(e.splat(0.0));
    SmallVector<Value> last = e.loop(
        begin, end, chunkV, carried, [&](Value t0, ValueRange inChunk) {
          Value tl = e.imin(chunkV, e.isub(end, t0));
          // Stage the chunk channel by channel: contiguous reads along time.
          auto stageScalar = [&](Value from) {
            e.forEach2(t.nc, e.isub(tl, from), [&](Value i, Value tt) {
              Value c = e.iadd(t.c0, i), step = e.iadd(from, tt),
                    at = e.iadd(t0, step);
              e.store(e.load(u, {t.bi, c, at}), t.uS, {step, i});
              e.store(e.load(delta, {t.bi, c, at}), t.dtS, {step, i});
              if (zS)
                e.store(e.load(z, {t.bi, c, at}), zS, {step, i});
            });
          };
          if (!blockStaging) {
            stageScalar(zero);
          } else {
            Value full = arith::AndIOp::create(
                b, loc, unitStride,
                e.icmp(arith::CmpIPredicate::eq, t.nc, lanesV));
            auto ifOp =
                scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
            OpBuilder::InsertionGuard g2(b);
            b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
            Value blocked = e.imul(e.idiv(tl, lanesV), lanesV);
            e.loop(zero, blocked, lanesV, {}, [&](Value tb, ValueRange) {
              Value at = e.iadd(t0, tb);
              for (auto [view, dst] :
                   {std::pair{uView, t.uS}, std::pair{dtView, t.dtS},
                    std::pair{zS ? zView : Value(), zS}}) {
                if (!view)
                  continue;
                SmallVector<Value> rows;
                for (int64_t i = 0; i < lanes; ++i)
                  rows.push_back(
                      e.vload(view, {t.bi, e.iadd(t.c0, e.idx(i)), at}));
                transposeInPlace(b, loc, rows);
                for (int64_t i = 0; i < lanes; ++i)
                  e.vstore(rows[i], dst, {e.iadd(tb, e.idx(i)), zero});
              }
              return SmallVector<Value>();
            });
            stageScalar(blocked);
            b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
            stageScalar(zero);
          }
          e.forEach(e.idx(n), [&](Value j) {
            e.forEach(tl, [&](Value step) {
              Value at = e.iadd(t0, step);
              e.store(e.load(bMat, {t.bi, t.gi, j, at}), t.bS, {step, j});
              if (outputs)
                e.store(e.load(cMat, {t.bi, t.gi, j, at}), t.cS, {step, j});
            });
          });
          // The step's inputs first, in a loop of their own: dt (bias,
          // softplus) and dt·u. Inside the recurrence their long dependence
          // chains (softplus is two polynomials) would serialise the steps,
          // whose bodies are too long for the out-of-order window to overlap.
          auto stepInputs = [&](Value step) {
            Value dt = e.vload(t.dtS, {step, zero});
            if (biasV)
              dt = e.add(dt, biasV);
            if (softplusOn)
              dt = e.softplus(dt);
            e.vstore(dt, t.dtS, {step, zero});
            e.vstore(e.mul(dt, e.vload(t.uS, {step, zero})), t.duS,
                     {step, zero});
            return dt;
          };
          Value sum;
          if (outputs) {
            e.forEach(tl, [&](Value step) { stepInputs(step); });
          } else {
            sum = e.loop(zero, tl, one, {inChunk.back()},
                         [&](Value step, ValueRange acc) {
                           return SmallVector<Value>{
                               e.add(acc[0], stepInputs(step))};
                         })[0];
          }
          SmallVector<Value> next = e.loop(
              zero, tl, one, inChunk.take_front(n),
              [&](Value step, ValueRange h) {
                Value dt = e.vload(t.dtS, {step, zero});
                Value dtu = e.vload(t.duS, {step, zero});
                // y accumulates in four partial sums: a short dependence
                // chain.
                SmallVector<Value> hNext, acc;
                for (int64_t j = 0; j < n; ++j) {
                  Value jv = e.idx(j);
                  Value decay = e.exp2(e.mul(dt, e.vload(t.aS, {jv, zero})));
                  Value bj = e.broadcast(e.load(t.bS, {step, jv}));
                  Value hj = e.fma(decay, h[j], e.mul(dtu, bj));
                  hNext.push_back(hj);
                  if (!outputs)
                    continue;
                  Value cj = e.broadcast(e.load(t.cS, {step, jv}));
                  if (j < 4)
                    acc.push_back(e.mul(hj, cj));
                  else
                    acc[j % 4] = e.fma(hj, cj, acc[j % 4]);
                }
                if (!outputs)
                  return hNext;
                Value y = acc.empty() ? e.splat(0.0) : acc[0];
                if (acc.size() == 4)
                  y = e.add(e.add(acc[0], acc[1]), e.add(acc[2], acc[3]));
                else
                  for (size_t k = 1; k < acc.size(); ++k)
                    y = e.add(y, acc[k]);
                e.vstore(y, t.yS, {step, zero});
                return hNext;
              });
          if (!outputs) {
            next.push_back(sum);
            return next;
          }
          // The skip and the gate, again off the recurrence.
          if (dV || zS) {
            e.forEach(tl, [&](Value step) {
              Value y = e.vload(t.yS, {step, zero});
              if (dV)
                y = e.fma(dV, e.vload(t.uS, {step, zero}), y);
              if (zS)
                y = e.mul(y, e.silu(e.vload(zS, {step, zero})));
              e.vstore(y, t.yS, {step, zero});
            });
          }
          e.forEach2(t.nc, tl, [&](Value i, Value step) {
            e.store(e.load(t.yS, {step, i}), out,
                    {t.bi, e.iadd(t.c0, i), e.iadd(t0, step)});
          });
          return next;
        });
    if (!outputs)
      *dtSum = last.pop_back_val();
    return last;
  }

  /// Writes the state `h` of tile `t` to the final state, through `t.hS`.
  void storeFinal(const Tile &t, ValueRange h) {
    for (int64_t j = 0; j < n; ++j)
      e.vstore(h[j], t.hS, {e.idx(j), zero});
    e.forEach(t.nc, [&](Value i) {
      for (int64_t j = 0; j < n; ++j) {
        Value jv = e.idx(j);
        e.store(e.load(t.hS, {jv, i}), fin, {t.si, e.iadd(t.c0, i), jv});
      }
    });
  }

  OpBuilder &b;
  SelectiveScanOp op;
  Location loc;
  VectorEmitter e;
  int64_t lanes, chunk, n;
  Value u, delta, a, bMat, cMat, dVec, z, bias, h0, cu, out, fin;
  Value batch, sequences, d, l, perGroup, numTiles, lanesV, chunkV, zero, one;
  bool blockStaging = false;
  Value uView, dtView, zView, unitStride;
};

/// Whether the static sizes of `op` leave the run-time choice of
/// `chooseSegments` a chance to split: with at least as many tiles as the
/// threads, or too short a sequence, the split form is not emitted at all.
bool splitMayPay(SelectiveScanOp op, int64_t lanes, int64_t threads,
                 int64_t minSegment) {
  auto type = cast<ShapedType>(op.getU().getType());
  int64_t fewestTiles = 1;
  if (!type.isDynamicDim(0))
    fewestTiles *= type.getDimSize(0);
  if (!type.isDynamicDim(1))
    fewestTiles *= llvm::divideCeil(type.getDimSize(1), lanes);
  if (fewestTiles == 0 || threads / fewestTiles < 2)
    return false;
  return type.isDynamicDim(2) || type.getDimSize(2) / minSegment >= 3;
}

/// Emits the vector scan of `op` at the builder's insertion point and returns
/// its tensor results: the plain form, the sequence split, or both behind
/// the run-time choice of `chooseSegments`.
SmallVector<Value> emitVectorScan(OpBuilder &b, SelectiveScanOp op,
                                  int64_t lanes,
                                  const ScanSplitOptions &options) {
  ScanLowering scan(b, op, lanes, options.chunk);
  if (scan.packed()) {
    scan.emitPacked();
  } else if (options.segments >= 2) {
    scan.emitSplit(scan.idx(options.segments));
  } else if (options.segments == 1 ||
             !splitMayPay(op, lanes, options.threads, options.minSegment)) {
    scan.emitPlain();
  } else {
    Location loc = op.getLoc();
    Value segments = scan.chooseSegments(options.threads, options.minSegment);
    Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                        segments, scan.idx(3));
    auto ifOp = scf::IfOp::create(b, loc, split, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    scan.emitSplit(segments);
    b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    scan.emitPlain();
  }
  return scan.results();
}

/// Vector scan when every tile lies in one group of B/C; otherwise (decided
/// at run time when the group count is not the static 1) a copy of the op
/// without the lanes attribute, for convert-ssm-to-loops.
struct VectorizeSelectiveScan : OpRewritePattern<SelectiveScanOp> {
  VectorizeSelectiveScan(MLIRContext *ctx, const ScanSplitOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(SelectiveScanOp op,
                                PatternRewriter &rewriter) const final {
    auto lanesAttr = op->getAttrOfType<IntegerAttr>(ssmc::kCPULanesAttrName);
    if (!lanesAttr || lanesAttr.getInt() < 2 || !isVectorizable(op))
      return rewriter.notifyMatchFailure(op, "no vector lanes chosen");
    int64_t lanes = lanesAttr.getInt();
    Location loc = op.getLoc();
    auto bType = cast<ShapedType>(op.getB().getType());
    if (!bType.isDynamicDim(1) && bType.getDimSize(1) == 1) {
      rewriter.replaceOp(op, emitVectorScan(rewriter, op, lanes, options));
      return success();
    }
    // d / g a multiple of the lanes: no tile straddles two groups.
    Value d = tensor::DimOp::create(rewriter, loc, op.getU(), 1);
    Value g = tensor::DimOp::create(rewriter, loc, op.getB(), 1);
    Value perGroup = arith::DivUIOp::create(rewriter, loc, d, g);
    Value rem = arith::RemUIOp::create(
        rewriter, loc, perGroup,
        arith::ConstantIndexOp::create(rewriter, loc, lanes));
    Value aligned = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, rem,
        arith::ConstantIndexOp::create(rewriter, loc, 0));
    auto ifOp = scf::IfOp::create(rewriter, loc, op->getResultTypes(), aligned,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(ifOp.thenBlock());
      scf::YieldOp::create(rewriter, loc,
                           emitVectorScan(rewriter, op, lanes, options));
      rewriter.setInsertionPointToStart(ifOp.elseBlock());
      Operation *scalar = rewriter.clone(*op);
      scalar->removeAttr(ssmc::kCPULanesAttrName);
      scf::YieldOp::create(rewriter, loc, scalar->getResults());
    }
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }

  ScanSplitOptions options;
};

struct VectorizeSelectiveScanPass
    : ssmc::impl::SSMCPUVectorizeSelectiveScanBase<VectorizeSelectiveScanPass> {
  using Base::Base;

  void runOnOperation() final {
    if (timeChunk < 1) {
      getOperation()->emitError("time-chunk must be positive");
      return signalPassFailure();
    }
    if (threads < 0 || minSegment < 1 || segments < 0) {
      getOperation()->emitError(
          "threads and segments must not be negative, min-segment positive");
      return signalPassFailure();
    }
    ScanSplitOptions split;
    split.chunk = timeChunk;
    split.threads = threads > 0 ? int64_t(threads) : hostThreads();
    split.minSegment = minSegment;
    split.segments = segments;
    unsigned before = 0, after = 0;
    getOperation()->walk([&](SelectiveScanOp op) {
      before += bool(op->getAttr(ssmc::kCPULanesAttrName));
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeSelectiveScan>(&getContext(), split);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation()->walk([&](SelectiveScanOp op) {
      after += bool(op->getAttr(ssmc::kCPULanesAttrName));
    });
    numVectorized += before - after;

    // log1p on vectors (softplus) as a polynomial: libm would be called once
    // per lane. Scalar math is left to the rest of the pipeline.
    SmallVector<Operation *> vectorMath;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::Log1pOp, math::LogOp>(op) &&
          isa<VectorType>(op->getResultTypes()[0]))
        vectorMath.push_back(op);
    });
    if (vectorMath.empty())
      return;
    RewritePatternSet approx(&getContext());
    populateMathPolynomialApproximationPatterns(approx, [](StringRef name) {
      name.consume_front("math.");
      return name == "log1p" || name == "log";
    });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(vectorMath, std::move(approx), config)))
      return signalPassFailure();
  }
};

} // namespace
