//===- GPUEmitter.h - builders for the GPU kernels of ssm ops ---*- C++ -*-===//
//
// Small wrappers over OpBuilder for the kernel bodies of codegen/GPU: index
// and f32 arithmetic, loads that widen f16/bf16 to f32, guarded loads,
// stores that narrow, loops with iter_args, and the transcendental functions
// the scans need (exp2 becomes ex2.approx through libdevice).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_GPU_GPUEMITTER_H
#define SSMC_CODEGEN_GPU_GPUEMITTER_H

#include "ssmc/Codegen/GPU/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace ssmc::gpu_emit {

/// log2(e): exp(x) = exp2(x log2(e)).
inline constexpr double kLog2E = 1.4426950408889634;
/// The largest state a thread keeps in registers.
inline constexpr int64_t kMaxRegisterState = 64;
/// Below this many (batch, channel) threads a scan is split into sequence
/// segments: about four warps per multiprocessor of an H100 (132 SMs).
inline constexpr int64_t kMinThreadsGPU = 132 * 128;
/// The threads a split scan aims at: eight warps per multiprocessor.
inline constexpr int64_t kTargetThreadsGPU = 132 * 256;

class Emitter {
public:
  Emitter(mlir::OpBuilder &b, mlir::Location loc)
      : b(b), loc(loc), f32(b.getF32Type()) {}

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::FloatType f32;

  mlir::Value idx(int64_t v) {
    return mlir::arith::ConstantIndexOp::create(b, loc, v);
  }
  mlir::Value f(double v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// x + c for an index x.
  mlir::Value iaddConst(mlir::Value x, int64_t c) {
    return c == 0 ? x : iadd(x, idx(c));
  }
  mlir::Value iadd(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  mlir::Value isub(mlir::Value x, mlir::Value y) {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  mlir::Value imul(mlir::Value x, mlir::Value y) {
    return mlir::arith::MulIOp::create(b, loc, x, y);
  }
  mlir::Value idiv(mlir::Value x, mlir::Value y) {
    return mlir::arith::DivUIOp::create(b, loc, x, y);
  }
  mlir::Value irem(mlir::Value x, mlir::Value y) {
    return mlir::arith::RemUIOp::create(b, loc, x, y);
  }
  mlir::Value imin(mlir::Value x, mlir::Value y) {
    return mlir::arith::MinUIOp::create(b, loc, x, y);
  }
  mlir::Value imax(mlir::Value x, mlir::Value y) {
    return mlir::arith::MaxUIOp::create(b, loc, x, y);
  }
  mlir::Value icmp(mlir::arith::CmpIPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, loc, p, x, y);
  }
  mlir::Value andi(mlir::Value x, mlir::Value y) {
    return mlir::arith::AndIOp::create(b, loc, x, y);
  }
  mlir::Value ori(mlir::Value x, mlir::Value y) {
    return mlir::arith::OrIOp::create(b, loc, x, y);
  }
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y) {
    return mlir::arith::SelectOp::create(b, loc, c, x, y);
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddFOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return mlir::arith::MulFOp::create(b, loc, x, y);
  }
  /// x * y + z, fused: llvm.intr.fma (math.fma would become libdevice's
  /// __nv_fmaf, and the kernels link no libdevice).
  mlir::Value fma(mlir::Value x, mlir::Value y, mlir::Value z) {
    return mlir::LLVM::FMAOp::create(b, loc, x, y, z);
  }
  /// The sum of `v` over each group of `width` adjacent lanes of the warp
  /// (butterfly xor shuffles: every lane gets its group's sum). The shuffles
  /// name the whole warp (gpu.shuffle's width is the number of lanes that
  /// take part, counted from lane 0, not a segment size).
  mlir::Value warpSum(mlir::Value v, int64_t width) {
    mlir::Value w = mlir::arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                                       32);
    for (int64_t off = width / 2; off >= 1; off /= 2) {
      mlir::Value o = mlir::arith::ConstantIntOp::create(b, loc,
                                                         b.getI32Type(), off);
      mlir::Value other = mlir::gpu::ShuffleOp::create(
                              b, loc, v, o, w, mlir::gpu::ShuffleMode::XOR)
                              .getShuffleResult();
      v = add(v, other);
    }
    return v;
  }

  /// An NVVM intrinsic on f32 values (called by name, so that no libdevice
  /// is needed: ptx generation works without a CUDA toolkit).
  mlir::Value intrinsic(llvm::StringRef name, mlir::ValueRange args) {
    return mlir::LLVM::CallIntrinsicOp::create(b, loc, mlir::TypeRange{f32},
                                               b.getStringAttr(name), args,
                                               mlir::LLVM::FastmathFlagsAttr())
        .getResult(0);
  }
  /// 2^x: ex2.approx.ftz.f32, one MUFU.EX2 (about 2 ulp; subnormal inputs
  /// and results flushed to zero, which for decays below 2^-126 is what
  /// they are worth; the non-ftz form costs three more instructions).
  mlir::Value exp2(mlir::Value x) {
    return intrinsic("llvm.nvvm.ex2.approx.ftz.f32", x);
  }
  /// 2^x on the FMA pipes: x clamped to [-126, 127], k = round(x) by adding
  /// and subtracting 1.5 * 2^23, 2^(x - k) by its degree-6 Taylor polynomial
  /// (relative error < 1e-7 on |x - k| <= 1/2), times 2^k added to the
  /// exponent field.
  mlir::Value exp2Poly(mlir::Value x) {
    x = mlir::arith::MaximumFOp::create(b, loc, x, f(-126.0));
    x = mlir::arith::MinimumFOp::create(b, loc, x, f(127.0));
    mlir::Value magic = f(12582912.0);
    mlir::Value shifted = add(x, magic);
    mlir::Value k = mlir::arith::SubFOp::create(b, loc, shifted, magic);
    mlir::Value fr = mlir::arith::SubFOp::create(b, loc, x, k);
    double c[7], ln2 = 0.6931471805599453;
    c[0] = 1.0;
    for (int i = 1; i < 7; ++i)
      c[i] = c[i - 1] * ln2 / i;
    mlir::Value p = f(c[6]);
    for (int i = 5; i >= 0; --i)
      p = fma(p, fr, f(c[i]));
    mlir::Type i32 = b.getI32Type();
    mlir::Value kBits = mlir::arith::ShLIOp::create(
        b, loc, mlir::arith::BitcastOp::create(b, loc, i32, shifted),
        mlir::arith::ConstantIntOp::create(b, loc, i32, 23));
    mlir::Value pBits = mlir::arith::BitcastOp::create(b, loc, i32, p);
    return mlir::arith::BitcastOp::create(
        b, loc, f32, mlir::arith::AddIOp::create(b, loc, pBits, kBits));
  }
  /// log2(x): lg2.approx.f32.
  mlir::Value log2(mlir::Value x) {
    return intrinsic("llvm.nvvm.lg2.approx.f", x);
  }
  /// 1 / x: rcp.approx.ftz.f32.
  mlir::Value rcp(mlir::Value x) {
    return intrinsic("llvm.nvvm.rcp.approx.ftz.f", x);
  }
  /// softplus(x) = x for x > 20, else log(1 + e) with e = exp(x): ln 2 lg2(1 +
  /// e), or e - e^2/2 when e < 2^-12 (where 1 + e loses e's digits).
  mlir::Value softplus(mlir::Value x) {
    mlir::Value e = exp2(mul(x, f(kLog2E)));
    mlir::Value viaLog = mul(log2(add(f(1.0), e)), f(0.6931471805599453));
    mlir::Value series = fma(mul(e, e), f(-0.5), e);
    mlir::Value small = mlir::arith::CmpFOp::create(
        b, loc, mlir::arith::CmpFPredicate::OLT, e, f(1.0 / 4096));
    mlir::Value big = mlir::arith::CmpFOp::create(
        b, loc, mlir::arith::CmpFPredicate::OGT, x, f(20.0));
    return select(big, x, select(small, series, viaLog));
  }
  /// dt of one step: + bias (when given), softplus, then the clamp of
  /// dt_limit (when given).
  mlir::Value processDt(mlir::Value dt, mlir::Value bias, bool withSoftplus,
                        std::optional<llvm::ArrayRef<double>> limit) {
    if (bias)
      dt = add(dt, bias);
    if (withSoftplus)
      dt = softplus(dt);
    if (limit && limit->size() == 2) {
      dt = mlir::arith::MaximumFOp::create(b, loc, dt, f((*limit)[0]));
      dt = mlir::arith::MinimumFOp::create(b, loc, dt, f((*limit)[1]));
    }
    return dt;
  }
  /// silu(x) = x / (1 + 2^(-x log2 e)).
  mlir::Value silu(mlir::Value x) {
    return mul(x, rcp(add(f(1.0), exp2(mul(x, f(-kLog2E))))));
  }

  mlir::Value dim(mlir::Value mem, int64_t i) {
    auto type = mlir::cast<mlir::MemRefType>(mem.getType());
    if (!type.isDynamicDim(i))
      return idx(type.getDimSize(i));
    return mlir::memref::DimOp::create(b, loc, mem, i);
  }
  mlir::Value load(mlir::Value mem, mlir::ValueRange ivs) {
    return mlir::memref::LoadOp::create(b, loc, mem, ivs);
  }
  /// A load widened to f32.
  mlir::Value loadF32(mlir::Value mem, mlir::ValueRange ivs) {
    return toF32(load(mem, ivs));
  }
  mlir::Value toF32(mlir::Value v) {
    if (v.getType() == f32)
      return v;
    return mlir::arith::ExtFOp::create(b, loc, f32, v);
  }
  /// loadF32 where `cond` holds, else 0 (the load is not executed).
  mlir::Value guardedLoadF32(mlir::Value cond, mlir::Value mem,
                             mlir::ValueRange ivs) {
    auto ifOp = mlir::scf::IfOp::create(b, loc, mlir::TypeRange{f32}, cond,
                                        /*withElse=*/true);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    mlir::scf::YieldOp::create(b, loc, loadF32(mem, ivs));
    b.setInsertionPointToStart(ifOp.elseBlock());
    mlir::scf::YieldOp::create(b, loc, f(0.0));
    return ifOp.getResult(0);
  }
  /// Elements 0..n-1 of row `row` of the 2-D buffer `mem`; with `vec4`, as
  /// 16-byte-aligned vector<4xf32> loads (rows of a multiple of 4 floats).
  llvm::SmallVector<mlir::Value> loadRow(mlir::Value mem, mlir::Value row,
                                         int64_t n, bool vec4) {
    return loadRow(mem, row, idx(0), n, vec4);
  }
  /// Elements first .. first + n - 1 of row `row` (with `vec4`, `first` a
  /// multiple of 4).
  llvm::SmallVector<mlir::Value> loadRow(mlir::Value mem, mlir::Value row,
                                         mlir::Value first, int64_t n,
                                         bool vec4) {
    llvm::SmallVector<mlir::Value> out;
    if (!vec4 || n % 4 != 0) {
      for (int64_t j = 0; j < n; ++j)
        out.push_back(load(mem, {row, iaddConst(first, j)}));
      return out;
    }
    auto v4 = mlir::VectorType::get({4}, f32);
    for (int64_t j = 0; j < n; j += 4) {
      mlir::Value v = mlir::vector::LoadOp::create(
          b, loc, v4, mem, mlir::ValueRange{row, iaddConst(first, j)},
          /*nontemporal=*/false, llvm::MaybeAlign(16));
      for (int64_t k = 0; k < 4; ++k)
        out.push_back(mlir::vector::ExtractOp::create(b, loc, v, k));
    }
    return out;
  }
  /// `count` consecutive elements along the last dimension of `mem` (unit
  /// stride, the first of them aligned to the vector), widened to f32.
  llvm::SmallVector<mlir::Value> loadVecF32(mlir::Value mem,
                                            mlir::ValueRange ivs,
                                            int64_t count) {
    auto elt = mlir::cast<mlir::MemRefType>(mem.getType()).getElementType();
    auto vt = mlir::VectorType::get({count}, elt);
    unsigned bytes = count * elt.getIntOrFloatBitWidth() / 8;
    mlir::Value v = mlir::vector::LoadOp::create(
        b, loc, vt, mem, ivs, /*nontemporal=*/false, llvm::MaybeAlign(bytes));
    llvm::SmallVector<mlir::Value> out;
    for (int64_t k = 0; k < count; ++k)
      out.push_back(toF32(mlir::vector::ExtractOp::create(b, loc, v, k)));
    return out;
  }
  /// Stores the f32 `vals` narrowed to `elt` as one vector along the last
  /// dimension of `mem` (unit stride, aligned to the vector).
  void storeVecAs(llvm::ArrayRef<mlir::Value> vals, mlir::Value mem,
                  mlir::ValueRange ivs, mlir::Type elt) {
    int64_t count = vals.size();
    auto vt = mlir::VectorType::get({count}, elt);
    llvm::SmallVector<mlir::Value> narrowed;
    for (mlir::Value v : vals)
      narrowed.push_back(elt == f32 ? v
                                    : mlir::arith::TruncFOp::create(b, loc, elt, v)
                                          .getResult());
    mlir::Value vec =
        mlir::vector::FromElementsOp::create(b, loc, vt, narrowed);
    unsigned bytes = count * elt.getIntOrFloatBitWidth() / 8;
    mlir::vector::StoreOp::create(b, loc, vec, mem, ivs, /*nontemporal=*/false,
                                  llvm::MaybeAlign(bytes));
  }
  void store(mlir::Value v, mlir::Value mem, mlir::ValueRange ivs) {
    mlir::memref::StoreOp::create(b, loc, v, mem, ivs);
  }
  /// Stores the f32 `v` narrowed to `elt`.
  void storeAs(mlir::Value v, mlir::Value mem, mlir::ValueRange ivs,
               mlir::Type elt) {
    if (elt != f32)
      v = mlir::arith::TruncFOp::create(b, loc, elt, v);
    store(v, mem, ivs);
  }

  void ifThen(mlir::Value cond, llvm::function_ref<void()> body) {
    auto ifOp = mlir::scf::IfOp::create(b, loc, cond, /*withElse=*/false);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }
  /// `scf.for %iv = lb to ub step s` carrying `inits`.
  llvm::SmallVector<mlir::Value>
  loop(mlir::Value lb, mlir::Value ub, mlir::Value step, mlir::ValueRange inits,
       llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                          mlir::ValueRange)>
           body) {
    auto forOp = mlir::scf::ForOp::create(b, loc, lb, ub, step, inits);
    mlir::OpBuilder::InsertionGuard guard(b);
    mlir::Block *block = forOp.getBody();
    if (inits.empty())
      b.setInsertionPoint(block->getTerminator());
    else
      b.setInsertionPointToEnd(block);
    llvm::SmallVector<mlir::Value> next =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    if (!inits.empty())
      mlir::scf::YieldOp::create(b, loc, next);
    return llvm::SmallVector<mlir::Value>(forOp.getResults());
  }
  void forEach(mlir::Value ub, llvm::function_ref<void(mlir::Value)> body) {
    loop(idx(0), ub, idx(1), {}, [&](mlir::Value iv, mlir::ValueRange) {
      body(iv);
      return llvm::SmallVector<mlir::Value>();
    });
  }

  /// The async token of the current stream: kernels, allocations and frees
  /// are issued in order on one stream between beginStream and endStream
  /// (gpu-to-llvm lowers synchronous gpu.alloc only for host-shared memory).
  mlir::Value token;
  mlir::Type tokenType() {
    return mlir::gpu::AsyncTokenType::get(b.getContext());
  }
  void beginStream() {
    token = mlir::gpu::WaitOp::create(b, loc, tokenType(), mlir::ValueRange{})
                .getAsyncToken();
  }
  /// Waits for everything issued since beginStream.
  void endStream() {
    mlir::gpu::WaitOp::create(b, loc, mlir::Type(), mlir::ValueRange{token});
    token = nullptr;
  }

  /// A fresh device buffer of `memType` with the dynamic sizes among `sizes`.
  mlir::Value gpuAlloc(mlir::MemRefType memType,
                       llvm::ArrayRef<mlir::Value> sizes) {
    llvm::SmallVector<mlir::Value> dyn;
    for (auto [i, size] : llvm::enumerate(sizes))
      if (memType.isDynamicDim(i))
        dyn.push_back(size);
    auto alloc = mlir::gpu::AllocOp::create(
        b, loc, memType, tokenType(), mlir::ValueRange{token}, dyn,
        mlir::ValueRange{}, mlir::UnitAttr());
    token = alloc.getAsyncToken();
    return alloc.getMemref();
  }
  /// A fresh device buffer for a result of tensor type `type`.
  mlir::Value gpuAlloc(mlir::RankedTensorType type,
                       llvm::ArrayRef<mlir::Value> sizes) {
    return gpuAlloc(
        mlir::MemRefType::get(type.getShape(), type.getElementType()), sizes);
  }
  void gpuDealloc(mlir::Value mem) {
    token = mlir::gpu::DeallocOp::create(b, loc, tokenType(),
                                         mlir::ValueRange{token}, mem)
                .getAsyncToken();
  }
};

/// Reads a tensor operand (or null) as a dense row-major buffer, what the
/// entry ABI passes, so that the kernels' vector accesses along the last
/// dimension are legal.
inline mlir::Value toDenseBuffer(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value tensor) {
  if (!tensor)
    return mlir::Value();
  auto type = mlir::cast<mlir::RankedTensorType>(tensor.getType());
  auto memType = mlir::MemRefType::get(type.getShape(), type.getElementType());
  return mlir::bufferization::ToBufferOp::create(b, loc, mlir::Type(memType),
                                                 tensor, /*read_only=*/true);
}

/// Reads a tensor operand (or null) as a buffer of any strides and offset:
/// a slice of a larger tensor is read in place instead of copied out.
inline mlir::Value toStridedBuffer(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Value tensor) {
  if (!tensor)
    return mlir::Value();
  auto type = mlir::cast<mlir::RankedTensorType>(tensor.getType());
  llvm::SmallVector<int64_t> strides(type.getRank(), mlir::ShapedType::kDynamic);
  auto layout = mlir::StridedLayoutAttr::get(
      b.getContext(), mlir::ShapedType::kDynamic, strides);
  auto memType =
      mlir::MemRefType::get(type.getShape(), type.getElementType(), layout);
  return mlir::bufferization::ToBufferOp::create(b, loc, mlir::Type(memType),
                                                 tensor, /*read_only=*/true);
}

/// The f32 math ops of a kernel body on NVVM intrinsics (no libdevice):
/// exp, log, sin, cos, tanh, sqrt, rsqrt, ... (ParallelLoopsToGPU.cpp).
void mathToIntrinsics(mlir::gpu::LaunchOp launch);

/// Lowers one tiled ssm.state_update (StateUpdateToGPU.cpp).
mlir::LogicalResult lowerStateUpdate(ssm::StateUpdateOp op,
                                     mlir::PatternRewriter &rewriter,
                                     mlir::DictionaryAttr tile,
                                     int64_t &kernels);

/// Lowers one tiled ssm.ssd (SSDToGPU.cpp).
mlir::LogicalResult lowerSSD(ssm::SSDOp op, mlir::PatternRewriter &rewriter,
                             mlir::DictionaryAttr tile, int64_t &kernels);

/// Whether ssm.ssd can take the chunked tensor-core form (bf16 x, B, C;
/// static p in {32, 64, 96, 128}, n a multiple of 16 up to 128); else says
/// why in `why`.
bool ssdChunkedApplies(ssm::SSDOp op, std::string *why);

/// Lowers one ssm.ssd tiled with form = "chunked" (SSDChunkedToGPU.cpp).
mlir::LogicalResult lowerSSDChunked(ssm::SSDOp op,
                                    mlir::PatternRewriter &rewriter,
                                    mlir::DictionaryAttr tile,
                                    int64_t &kernels);

/// Lowers one tiled ssm.causal_conv1d (CausalConv1dToGPU.cpp).
mlir::LogicalResult lowerCausalConv1d(ssm::CausalConv1dOp op,
                                      mlir::PatternRewriter &rewriter,
                                      mlir::DictionaryAttr tile,
                                      int64_t &kernels);

/// Lowers one tiled ssm.selective_scan (SelectiveScanToGPU.cpp); counts the
/// kernels it builds into `kernels`.
mlir::LogicalResult lowerSelectiveScan(ssm::SelectiveScanOp op,
                                       mlir::PatternRewriter &rewriter,
                                       mlir::DictionaryAttr tile,
                                       int64_t &kernels);

} // namespace ssmc::gpu_emit

#endif // SSMC_CODEGEN_GPU_GPUEMITTER_H
