//===- SelectiveScanToVector.cpp - the selective scan as CPU vector code --===//
//
// ssm-cpu-choose-scan-tiles picks the channel tile (lanes) of each
// ssm.selective_scan from the target's vector width; ssm-cpu-vectorize-
// selective-scan lowers the scan to an scf.parallel over (batch, channel
// tile) whose loop over time carries the tile's state as n vectors. Each
// state update costs one vector exp2, computed inline (Cody-Waite reduction
// and a polynomial), so that no libm call is left on the hot path.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/TargetParser/Host.h"

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

/// log2(e): exp(x) = exp2(x * log2(e)).
constexpr double kLog2E = 1.4426950408889634;
/// The largest state the tile carries in vector registers.
constexpr int64_t kMaxVectorState = 64;

/// Whether the scan can take the vector lowering: f32 throughout and a static
/// state size.
bool isVectorizable(SelectiveScanOp op) {
  auto isF32 = [](Type t) {
    return cast<ShapedType>(t).getElementType().isF32();
  };
  if (!llvm::all_of(op->getOperandTypes(), isF32) ||
      !llvm::all_of(op->getResultTypes(), isF32))
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

/// Emits the vector scan of `op` at the builder's insertion point and returns
/// its tensor results.
SmallVector<Value> emitVectorScan(OpBuilder &b, SelectiveScanOp op,
                                  int64_t lanes, int64_t chunk) {
  Location loc = op.getLoc();
  VectorEmitter e(b, loc, lanes);
  Value u = toBuffer(b, loc, op.getU()), delta = toBuffer(b, loc, op.getDelta());
  Value a = toBuffer(b, loc, op.getA()), bMat = toBuffer(b, loc, op.getB()),
        cMat = toBuffer(b, loc, op.getC());
  Value dVec = toBuffer(b, loc, op.getD()), z = toBuffer(b, loc, op.getZ());
  Value bias = toBuffer(b, loc, op.getDeltaBias());
  Value h0 = toBuffer(b, loc, op.getInitialState());
  int64_t n = cast<ShapedType>(op.getA().getType()).getDimSize(1);

  Value batch = e.dim(u, 0), d = e.dim(u, 1), l = e.dim(u, 2);
  Value g = e.dim(bMat, 1);
  Value out = allocResult(b, loc, op.getOut().getType(), {batch, d, l});
  Value fin;
  if (op.getFinalState())
    fin = allocResult(b, loc, op.getFinalState().getType(),
                      {batch, d, e.idx(n)});
  Value perGroup = e.idiv(d, g);
  // Full tiles of unit-stride inputs are staged in lanes x lanes blocks
  // transposed in registers, the rest element by element.
  bool blockStaging = llvm::isPowerOf2_64(lanes);
  Value uView, dtView, zView, unitStride;
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
  Value lanesV = e.idx(lanes), chunkV = e.idx(chunk);
  Value numTiles = e.idiv(e.iadd(d, e.idx(lanes - 1)), lanesV);
  Value zero = e.idx(0), one = e.idx(1);

  auto par = scf::ParallelOp::create(b, loc, ValueRange{zero, zero},
                                     ValueRange{batch, numTiles},
                                     ValueRange{one, one});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(par.getBody()->getTerminator());
  Value bi = par.getInductionVars()[0], tile = par.getInductionVars()[1];
  Value c0 = e.imul(tile, lanesV);
  Value nc = e.imin(lanesV, e.isub(d, c0));
  Value gi = e.idiv(c0, perGroup);

  // Scratch of the tile: [chunk x lanes] for u, delta, dt·u, z and y; [n x lanes]
  // for A * log2(e) and the state; [2 x lanes] for the bias and D. Lanes
  // past the last channel stay zero.
  auto scratch = [&](int64_t rows) {
    return memref::AllocaOp::create(b, loc,
                                    MemRefType::get({rows, lanes}, e.f32));
  };
  Value uS = scratch(chunk), dtS = scratch(chunk), yS = scratch(chunk);
  Value duS = scratch(chunk);
  // B and C of the chunk, step-major: (n, l) rows of the inputs are l apart,
  // and read across n at every step they would map to one L1 set.
  auto stepMajor = [&]() {
    return memref::AllocaOp::create(b, loc, MemRefType::get({chunk, n}, e.f32));
  };
  Value bS = stepMajor(), cS = stepMajor();
  Value zS = z ? scratch(chunk) : Value();
  Value aS = scratch(n), hS = scratch(n), pS = scratch(2);
  Value zeroV = e.splat(0.0);
  e.forEach(chunkV, [&](Value t) {
    e.vstore(zeroV, uS, {t, zero});
    e.vstore(zeroV, dtS, {t, zero});
    if (zS)
      e.vstore(zeroV, zS, {t, zero});
  });
  for (int64_t j = 0; j < n; ++j) {
    e.vstore(zeroV, aS, {e.idx(j), zero});
    e.vstore(zeroV, hS, {e.idx(j), zero});
  }
  e.vstore(zeroV, pS, {zero, zero});
  e.vstore(zeroV, pS, {one, zero});
  Value log2e = e.scalar(kLog2E);
  e.forEach(nc, [&](Value i) {
    Value c = e.iadd(c0, i);
    for (int64_t j = 0; j < n; ++j) {
      Value jv = e.idx(j);
      e.store(e.mul(e.load(a, {c, jv}), log2e), aS, {jv, i});
      if (h0)
        e.store(e.load(h0, {bi, c, jv}), hS, {jv, i});
    }
    if (bias)
      e.store(e.load(bias, c), pS, {zero, i});
    if (dVec)
      e.store(e.load(dVec, c), pS, {one, i});
  });
  SmallVector<Value> init;
  for (int64_t j = 0; j < n; ++j)
    init.push_back(e.vload(hS, {e.idx(j), zero}));
  Value biasV = bias ? e.vload(pS, {zero, zero}) : Value();
  Value dV = dVec ? e.vload(pS, {one, zero}) : Value();
  bool softplusOn = op.getDeltaSoftplus();

  SmallVector<Value> last =
      e.loop(zero, l, chunkV, init, [&](Value t0, ValueRange carried) {
        Value tl = e.imin(chunkV, e.isub(l, t0));
        // Stage the chunk channel by channel: contiguous reads along time.
        auto stageScalar = [&](Value from) {
          e.forEach2(nc, e.isub(tl, from), [&](Value i, Value tt) {
            Value c = e.iadd(c0, i), t = e.iadd(from, tt),
                  at = e.iadd(t0, t);
            e.store(e.load(u, {bi, c, at}), uS, {t, i});
            e.store(e.load(delta, {bi, c, at}), dtS, {t, i});
            if (z)
              e.store(e.load(z, {bi, c, at}), zS, {t, i});
          });
        };
        if (!blockStaging) {
          stageScalar(zero);
        } else {
          Value full = arith::AndIOp::create(
              b, loc, unitStride,
              e.icmp(arith::CmpIPredicate::eq, nc, lanesV));
          auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
          Value blocked = e.imul(e.idiv(tl, lanesV), lanesV);
          e.loop(zero, blocked, lanesV, {}, [&](Value tb, ValueRange) {
            Value at = e.iadd(t0, tb);
            for (auto [view, dst] : {std::pair{uView, uS},
                                     std::pair{dtView, dtS},
                                     std::pair{zView, zS}}) {
              if (!view)
                continue;
              SmallVector<Value> rows;
              for (int64_t i = 0; i < lanes; ++i)
                rows.push_back(
                    e.vload(view, {bi, e.iadd(c0, e.idx(i)), at}));
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
          e.forEach(tl, [&](Value t) {
            Value at = e.iadd(t0, t);
            e.store(e.load(bMat, {bi, gi, j, at}), bS, {t, j});
            e.store(e.load(cMat, {bi, gi, j, at}), cS, {t, j});
          });
        });
        // The step's inputs first, in a loop of their own: dt (bias,
        // softplus) and dt·u. Inside the recurrence their long dependence
        // chains (softplus is two polynomials) would serialise the steps,
        // whose bodies are too long for the out-of-order window to overlap.
        e.forEach(tl, [&](Value t) {
          Value dt = e.vload(dtS, {t, zero});
          if (biasV)
            dt = e.add(dt, biasV);
          if (softplusOn)
            dt = e.softplus(dt);
          e.vstore(dt, dtS, {t, zero});
          e.vstore(e.mul(dt, e.vload(uS, {t, zero})), duS, {t, zero});
        });
        SmallVector<Value> next = e.loop(
            zero, tl, one, carried, [&](Value t, ValueRange h) {
              Value dt = e.vload(dtS, {t, zero});
              Value dtu = e.vload(duS, {t, zero});
              // y accumulates in four partial sums: a short dependence chain.
              SmallVector<Value> hNext, acc;
              for (int64_t j = 0; j < n; ++j) {
                Value jv = e.idx(j);
                Value decay = e.exp2(e.mul(dt, e.vload(aS, {jv, zero})));
                Value bj = e.broadcast(e.load(bS, {t, jv}));
                Value hj = e.fma(decay, h[j], e.mul(dtu, bj));
                hNext.push_back(hj);
                Value cj = e.broadcast(e.load(cS, {t, jv}));
                if (j < 4)
                  acc.push_back(e.mul(hj, cj));
                else
                  acc[j % 4] = e.fma(hj, cj, acc[j % 4]);
              }
              Value y = acc.empty() ? e.splat(0.0) : acc[0];
              if (acc.size() == 4)
                y = e.add(e.add(acc[0], acc[1]), e.add(acc[2], acc[3]));
              else
                for (size_t k = 1; k < acc.size(); ++k)
                  y = e.add(y, acc[k]);
              e.vstore(y, yS, {t, zero});
              return hNext;
            });
        // The skip and the gate, again off the recurrence.
        if (dV || zS) {
          e.forEach(tl, [&](Value t) {
            Value y = e.vload(yS, {t, zero});
            if (dV)
              y = e.fma(dV, e.vload(uS, {t, zero}), y);
            if (zS)
              y = e.mul(y, e.silu(e.vload(zS, {t, zero})));
            e.vstore(y, yS, {t, zero});
          });
        }
        e.forEach2(nc, tl, [&](Value i, Value t) {
          e.store(e.load(yS, {t, i}), out, {bi, e.iadd(c0, i), e.iadd(t0, t)});
        });
        return next;
      });
  if (fin) {
    for (int64_t j = 0; j < n; ++j)
      e.vstore(last[j], hS, {e.idx(j), zero});
    e.forEach(nc, [&](Value i) {
      for (int64_t j = 0; j < n; ++j) {
        Value jv = e.idx(j);
        e.store(e.load(hS, {jv, i}), fin, {bi, e.iadd(c0, i), jv});
      }
    });
  }

  b.setInsertionPointAfter(par);
  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(b, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  SmallVector<Value> results{toTensor(op.getOut().getType(), out)};
  if (fin)
    results.push_back(toTensor(op.getFinalState().getType(), fin));
  return results;
}

/// Vector scan when every tile lies in one group of B/C; otherwise (decided
/// at run time when the group count is not the static 1) a copy of the op
/// without the lanes attribute, for convert-ssm-to-loops.
struct VectorizeSelectiveScan : OpRewritePattern<SelectiveScanOp> {
  VectorizeSelectiveScan(MLIRContext *ctx, int64_t chunk)
      : OpRewritePattern(ctx), chunk(chunk) {}

  LogicalResult matchAndRewrite(SelectiveScanOp op,
                                PatternRewriter &rewriter) const final {
    auto lanesAttr = op->getAttrOfType<IntegerAttr>(ssmc::kCPULanesAttrName);
    if (!lanesAttr || lanesAttr.getInt() < 2 || !isVectorizable(op))
      return rewriter.notifyMatchFailure(op, "no vector lanes chosen");
    int64_t lanes = lanesAttr.getInt();
    Location loc = op.getLoc();
    auto bType = cast<ShapedType>(op.getB().getType());
    if (!bType.isDynamicDim(1) && bType.getDimSize(1) == 1) {
      rewriter.replaceOp(op, emitVectorScan(rewriter, op, lanes, chunk));
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
                           emitVectorScan(rewriter, op, lanes, chunk));
      rewriter.setInsertionPointToStart(ifOp.elseBlock());
      Operation *scalar = rewriter.clone(*op);
      scalar->removeAttr(ssmc::kCPULanesAttrName);
      scf::YieldOp::create(rewriter, loc, scalar->getResults());
    }
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }

  int64_t chunk;
};

struct VectorizeSelectiveScanPass
    : ssmc::impl::SSMCPUVectorizeSelectiveScanBase<VectorizeSelectiveScanPass> {
  using Base::Base;

  void runOnOperation() final {
    if (timeChunk < 1) {
      getOperation()->emitError("time-chunk must be positive");
      return signalPassFailure();
    }
    unsigned before = 0, after = 0;
    getOperation()->walk([&](SelectiveScanOp op) {
      before += bool(op->getAttr(ssmc::kCPULanesAttrName));
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeSelectiveScan>(&getContext(), timeChunk);
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
