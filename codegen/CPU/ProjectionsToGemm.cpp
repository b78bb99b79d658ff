//===- ProjectionsToGemm.cpp - mixer projections as BLAS GEMM calls -------===//
//
// ssm-cpu-projections-to-gemm: the projections by checkpoint weights (the
// bulk of a model's arithmetic) leave MLIR's loops for the runtime's BLAS,
// through a function pointer the runtime installs; without it the loops
// stay, so a package runs correctly anywhere.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"
#include "Hook.h"
#include "ssmc/Codegen/CPU/Projections.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineMap.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMPROJECTIONSTOGEMM
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kGemm = "ssmc_gemm_v2";
constexpr llvm::StringLiteral kSetGemm = "ssmc_set_gemm_v2";
constexpr llvm::StringLiteral kGpuGemm = "ssmc_gpu_gemm_v1";
constexpr llvm::StringLiteral kSetGpuGemm = "ssmc_set_gpu_gemm_v1";

/// The pointer (@ssmc_gemm_v2, or @ssmc_gpu_gemm_v1) and its exported
/// setter, once.
LLVM::GlobalOp addHook(ModuleOp module, bool gpu) {
  return gpu ? ssmc::addPointerHook(module, kGpuGemm, kSetGpuGemm)
             : ssmc::addPointerHook(module, kGemm, kSetGemm);
}

struct ProjectionsToGemmPass
    : ssmc::impl::SSMProjectionsToGemmBase<ProjectionsToGemmPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::GenericOp, unsigned>> found;
    module.walk([&](linalg::GenericOp op) {
      unsigned cd;
      if (ssmc::isProjection(op, cd))
        found.push_back({op, cd});
    });
    if (found.empty())
      return;
    LLVM::GlobalOp hook = addHook(module, gpu);
    for (auto [op, cd] : found) {
      rewrite(op, cd, hook);
      ++numGemms;
    }
  }

  void rewrite(linalg::GenericOp op, unsigned channelDim, LLVM::GlobalOp hook) {
    MLIRContext *ctx = &getContext();
    Location loc = op.getLoc();
    // Found before anything is inserted between the fill and `op`.
    linalg::FillOp zeroFill = gpu ? ssmc::zeroFillBefore(op) : nullptr;
    OpBuilder b(op);
    auto i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto toI64 = [&](Value index) -> Value {
      return arith::IndexCastOp::create(b, loc, i64, index);
    };
    struct Meta {
      Value ptr;
      SmallVector<Value> sizes, strides;
    };
    // Base pointer (with the offset applied), sizes and strides, as i64.
    auto meta = [&](Value mem) {
      auto md = memref::ExtractStridedMetadataOp::create(b, loc, mem);
      Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, mem);
      int64_t eltBytes =
          cast<MemRefType>(mem.getType()).getElementTypeBitWidth() / 8;
      Value bytes = arith::MulIOp::create(
          b, loc, md.getOffset(),
          arith::ConstantIndexOp::create(b, loc, eltBytes));
      Value addr = toI64(arith::AddIOp::create(b, loc, base, bytes));
      Meta m;
      m.ptr = LLVM::IntToPtrOp::create(b, loc, ptr, addr);
      for (Value s : md.getSizes())
        m.sizes.push_back(toI64(s));
      for (Value s : md.getStrides())
        m.strides.push_back(toI64(s));
      return m;
    };
    Type wElt = cast<MemRefType>(op.getDpsInputs()[1].getType()).getElementType();
    Value xMem = op.getDpsInputs()[0], xLow;
    if (gpu && !wElt.isF32()) {
      // cuBLAS multiplies operands of one type: the activation as the sum
      // of two in the weight's type, hi = round(x) and lo = round(x - hi),
      // in buffers of their own (one parallel loop), and two products
      // (W x = W hi + W lo, the second accumulated). x rounded once would
      // move a bf16 model's logits by ~2e-2 from its float64 answer; with
      // lo, by what float32 accumulation gives (~1e-5), for a second pass
      // over the weight.
      auto xType = cast<MemRefType>(xMem.getType());
      SmallVector<Value> dyn, ubs;
      for (int64_t d = 0; d < xType.getRank(); ++d) {
        Value size = memref::DimOp::create(b, loc, xMem, d);
        ubs.push_back(size);
        if (xType.isDynamicDim(d))
          dyn.push_back(size);
      }
      Value rounded = memref::AllocOp::create(
          b, loc, MemRefType::get(xType.getShape(), wElt), dyn);
      Value low = memref::AllocOp::create(
          b, loc, MemRefType::get(xType.getShape(), wElt), dyn);
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      SmallVector<Value> lbs(ubs.size(), zero), steps(ubs.size(), one);
      scf::ParallelOp::create(
          b, loc, lbs, ubs, steps,
          [&](OpBuilder &nb, Location l, ValueRange ivs) {
            Value v = memref::LoadOp::create(nb, l, xMem, ivs);
            Value hi = arith::TruncFOp::create(nb, l, wElt, v);
            Value rest = arith::SubFOp::create(
                nb, l, v, arith::ExtFOp::create(nb, l, v.getType(), hi));
            memref::StoreOp::create(nb, l, hi, rounded, ivs);
            memref::StoreOp::create(
                nb, l, arith::TruncFOp::create(nb, l, wElt, rest), low, ivs);
          });
      xMem = rounded;
      xLow = low;
    }
    Meta x = meta(xMem), w = meta(op.getDpsInputs()[1]),
         o = meta(op.getDpsInits()[0]);
    Value xLowPtr = xLow ? meta(xLow).ptr : Value();
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, loc, i64, v);
    };
    // C (+)= A op(B) per batch, row-major.
    SmallVector<Value> args;
    if (channelDim == 2) {
      // out[b, t, o] += sum_i x[b, t, i] w[o, i]: A = x_b (L x I), B = w
      // (O x I) transposed.
      args = {x.sizes[0], x.sizes[1], w.sizes[0], x.sizes[2],
              x.ptr,      x.strides[1], x.strides[0],
              w.ptr,      w.strides[0], c(0), c(1),
              o.ptr,      o.strides[1], o.strides[0]};
    } else {
      // out[b, o, t] += sum_i w[o, i] x[b, i, t]: A = w (O x I), B = x_b
      // (I x L).
      args = {x.sizes[0], w.sizes[0], x.sizes[2], x.sizes[1],
              w.ptr,      w.strides[0], c(0),
              x.ptr,      x.strides[1], x.strides[0], c(0),
              o.ptr,      o.strides[1], o.strides[0]};
    }
    // The weight's element type: 0 f32, 1 bf16, 2 f16; on the GPU, + 16
    // when the output was just zero-filled: the hook then ignores C's
    // contents (beta 0) and the fill runs only where the loops do.
    int64_t type = wElt.isBF16() ? 1 : wElt.isF16() ? 2 : 0;
    if (zeroFill)
      type += 16;
    args.push_back(c(type));
    Value fn = LLVM::LoadOp::create(
        b, loc, ptr, LLVM::AddressOfOp::create(b, loc, hook));
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    Value installed = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, fn,
                                           null);
    auto ifOp = scf::IfOp::create(b, loc, installed, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      SmallVector<Type> types;
      for (Value a : args)
        types.push_back(a.getType());
      auto fnType =
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), types);
      SmallVector<Value> callArgs{fn};
      callArgs.append(args.begin(), args.end());
      LLVM::CallOp::create(b, loc, fnType, callArgs);
      if (xLowPtr) {
        // W lo, accumulated; x's pointer is operand A (channels last) or
        // B (channels first) of the call.
        for (Value &a : callArgs)
          if (a == x.ptr)
            a = xLowPtr;
        callArgs.back() = c(type & 15);
        LLVM::CallOp::create(b, loc, fnType, callArgs);
      }
    }
    op->moveBefore(ifOp.elseBlock()->getTerminator());
    if (zeroFill)
      zeroFill->moveBefore(op);
  }
};

} // namespace

bool ssmc::isProjection(linalg::GenericOp op, unsigned &channelDim) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.hasPureBufferSemantics())
    return false;
  auto xType = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto wType = dyn_cast<MemRefType>(op.getDpsInputs()[1].getType());
  auto oType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!xType || !wType || !oType || xType.getRank() != 3 ||
      wType.getRank() != 2 || oType.getRank() != 3)
    return false;
  if (!xType.getElementType().isF32() || !oType.getElementType().isF32())
    return false;
  Type wElt = wType.getElementType();
  if (!wElt.isF32() && !wElt.isBF16() && !wElt.isF16())
    return false;
  auto iters = op.getIteratorTypesArray();
  if (iters.size() != 4 || iters[3] != utils::IteratorType::reduction ||
      iters[0] != utils::IteratorType::parallel ||
      iters[1] != utils::IteratorType::parallel ||
      iters[2] != utils::IteratorType::parallel)
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), i = getAffineDimExpr(3, ctx);
  auto maps = op.getIndexingMapsArray();
  AffineMap out = AffineMap::get(4, 0, {d0, d1, d2}, ctx);
  if (maps[2] != out)
    return false;
  if (maps[0] == AffineMap::get(4, 0, {d0, i, d2}, ctx) &&
      maps[1] == AffineMap::get(4, 0, {d1, i}, ctx))
    channelDim = 1;
  else if (maps[0] == AffineMap::get(4, 0, {d0, d1, i}, ctx) &&
           maps[1] == AffineMap::get(4, 0, {d2, i}, ctx))
    channelDim = 2;
  else
    return false;
  // Body: acc + a * b, the weight b widened to f32 first when it is 16-bit.
  Block &body = op.getRegion().front();
  bool widened = !wElt.isF32();
  if (body.getOperations().size() != (widened ? 4u : 3u))
    return false;
  Value wArg = body.getArgument(1);
  Operation *first = &body.front();
  if (widened) {
    auto ext = dyn_cast<arith::ExtFOp>(first);
    if (!ext || ext.getIn() != body.getArgument(1))
      return false;
    wArg = ext.getResult();
    first = first->getNextNode();
  }
  auto mul = dyn_cast<arith::MulFOp>(first);
  auto add = dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  if (!mul || !add)
    return false;
  Value a = body.getArgument(0), w = wArg, acc = body.getArgument(2);
  bool mulOk = (mul.getLhs() == a && mul.getRhs() == w) ||
               (mul.getLhs() == w && mul.getRhs() == a);
  bool addOk = (add.getLhs() == acc && add.getRhs() == mul) ||
               (add.getLhs() == mul && add.getRhs() == acc);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mulOk || !addOk || !yield || yield.getValues().size() != 1 ||
      yield.getValues()[0] != add.getResult())
    return false;
  // Unit innermost strides, known statically.
  for (MemRefType t : {xType, wType, oType}) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(t.getStridesAndOffset(strides, offset)) || strides.back() != 1)
      return false;
  }
  return true;
}

linalg::FillOp ssmc::zeroFillBefore(linalg::GenericOp op) {
  Value out = op.getDpsInits()[0];
  for (Operation *prev = op->getPrevNode(); prev;
       prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getDpsInits()[0] == out) {
      auto cst = fill.getDpsInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = cst ? dyn_cast<FloatAttr>(cst.getValue()) : nullptr;
      return value && value.getValue().isPosZero() ? fill : nullptr;
    }
    // Anything else that may touch the buffer (or a view of it) ends the
    // search: ops that use it, or that hold regions.
    if (prev->getNumRegions() != 0)
      return nullptr;
    for (Value operand : prev->getOperands())
      if (operand == out)
        return nullptr;
  }
  return nullptr;
}
