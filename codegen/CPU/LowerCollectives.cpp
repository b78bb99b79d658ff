//===- LowerCollectives.cpp - tensor-parallel collectives as runtime calls ===//
//
// ssm-cpu-lower-collectives: ssm.all_reduce, ssm.all_gather and ssm.tp_rank
// become calls through the package's pointer @ssmc_collective_v1, which the
// runtime sets (its communicator: simulated ranks in one process, or NCCL).
// The data goes through a fresh buffer that the call updates in place.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"
#include "Hook.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMLOWERCOLLECTIVES
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc::ssm;

namespace {

constexpr llvm::StringLiteral kHook = "ssmc_collective_v1";
constexpr llvm::StringLiteral kSetHook = "ssmc_set_collective_v1";

/// The hook's operations (runtime/include/ssmc/runtime/Collective.h).
enum HookOp : int64_t { kRank = 0, kAllReduce = 1, kAllGather = 2 };

class Lowering {
public:
  Lowering(ModuleOp module)
      : ctx(module.getContext()), hook(ssmc::addPointerHook(module, kHook,
                                                             kSetHook)) {}

  /// `i64 hook(op, in, out, outer, inner)` when the runtime has set it; the
  /// result (`fallback` otherwise) as an i64. `orElse` builds the else branch.
  Value call(OpBuilder &b, Location loc, int64_t op, Value in, Value out,
             Value outer, Value inner, Value fallback,
             function_ref<void(OpBuilder &)> orElse = nullptr) {
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    Value fn = LLVM::LoadOp::create(b, loc, ptr,
                                    LLVM::AddressOfOp::create(b, loc, hook));
    Value set = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, fn,
                                     LLVM::ZeroOp::create(b, loc, ptr));
    auto ifOp = scf::IfOp::create(
        b, loc, set,
        [&](OpBuilder &tb, Location l) {
          auto type = LLVM::LLVMFunctionType::get(i64, {i64, ptr, ptr, i64, i64});
          Value opCode = arith::ConstantIntOp::create(tb, l, i64, op);
          auto c = LLVM::CallOp::create(
              tb, l, type, ValueRange{fn, opCode, in, out, outer, inner});
          scf::YieldOp::create(tb, l, c.getResult());
        },
        [&](OpBuilder &eb, Location l) {
          if (orElse)
            orElse(eb);
          scf::YieldOp::create(eb, l, fallback);
        });
    return ifOp.getResult(0);
  }

  /// A fresh buffer holding `x`'s values (with `fill`: of `type`'s shape,
  /// its sizes `dims`, zeros), and its address as a pointer.
  Value buffer(OpBuilder &b, Location loc, RankedTensorType type,
               ValueRange dims, Value &address) {
    auto memType = MemRefType::get(type.getShape(), type.getElementType());
    Value mem = memref::AllocOp::create(b, loc, memType, dims);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, mem);
    Value addr = arith::IndexCastOp::create(b, loc, b.getI64Type(), base);
    address =
        LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(ctx), addr);
    return mem;
  }

  static SmallVector<Value> dynamicDims(OpBuilder &b, Location loc, Value t) {
    SmallVector<Value> dims;
    auto type = cast<RankedTensorType>(t.getType());
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        dims.push_back(tensor::DimOp::create(b, loc, t, i));
    return dims;
  }

  /// The product of `t`'s sizes [from, to) as an i64.
  static Value count(OpBuilder &b, Location loc, Value t, int64_t from,
                     int64_t to) {
    Value n = arith::ConstantIndexOp::create(b, loc, 1);
    for (int64_t i = from; i < to; ++i)
      n = arith::MulIOp::create(b, loc, n,
                                tensor::DimOp::create(b, loc, t, i));
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  }

  Value copyIn(OpBuilder &b, Location loc, Value x, Value &address) {
    auto type = cast<RankedTensorType>(x.getType());
    Value mem = buffer(b, loc, type, dynamicDims(b, loc, x), address);
    auto m = bufferization::MaterializeInDestinationOp::create(b, loc, x, mem);
    m.setRestrict(true);
    m.setWritable(true);
    return mem;
  }

  Value toTensor(OpBuilder &b, Location loc, Type type, Value mem) {
    return bufferization::ToTensorOp::create(b, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  }

  LogicalResult lower(AllReduceOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    if (!cast<RankedTensorType>(op.getX().getType()).getElementType().isF32())
      return op.emitOpError() << "runs on the CPU in f32 only";
    Value addr;
    Value mem = copyIn(b, loc, op.getX(), addr);
    int64_t rank = cast<RankedTensorType>(op.getX().getType()).getRank();
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    call(b, loc, kAllReduce, addr, addr, count(b, loc, op.getX(), 0, rank),
         arith::ConstantIntOp::create(b, loc, b.getI64Type(), 1), zero);
    op.replaceAllUsesWith(toTensor(b, loc, op.getType(), mem));
    op.erase();
    return success();
  }

  LogicalResult lower(AllGatherOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getY().getType());
    if (!outType.getElementType().isF32())
      return op.emitOpError() << "runs on the CPU in f32 only";
    Value inAddr, outAddr;
    copyIn(b, loc, op.getX(), inAddr);
    // The result's sizes: the operand's, dimension `dim` times the ranks.
    int64_t dim = static_cast<int64_t>(op.getDim());
    SmallVector<Value> dims;
    for (int64_t i = 0; i < outType.getRank(); ++i) {
      if (!outType.isDynamicDim(i))
        continue;
      Value s = tensor::DimOp::create(b, loc, op.getX(), i);
      if (i == dim)
        s = arith::MulIOp::create(
            b, loc, s,
            arith::ConstantIndexOp::create(
                b, loc, static_cast<int64_t>(op.getWorldSize())));
      dims.push_back(s);
    }
    Value out = buffer(b, loc, outType, dims, outAddr);
    int64_t rank = outType.getRank();
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    // Without a runtime the ranks' blocks are unknown: zeros, not garbage.
    call(b, loc, kAllGather, inAddr, outAddr, count(b, loc, op.getX(), 0, dim),
         count(b, loc, op.getX(), dim, rank), zero, [&](OpBuilder &eb) {
           Value z = arith::ConstantOp::create(eb, loc, eb.getF32FloatAttr(0));
           linalg::FillOp::create(eb, loc, ValueRange{z}, ValueRange{out});
         });
    op.replaceAllUsesWith(toTensor(b, loc, outType, out));
    op.erase();
    return success();
  }

  LogicalResult lower(TPRankOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    Value r = call(b, loc, kRank, null, null, zero, zero, zero);
    op.replaceAllUsesWith(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), r).getResult());
    op.erase();
    return success();
  }

private:
  MLIRContext *ctx;
  LLVM::GlobalOp hook;
};

struct SSMLowerCollectivesPass
    : ssmc::impl::SSMLowerCollectivesBase<SSMLowerCollectivesPass> {
  void runOnOperation() final {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<AllReduceOp, AllGatherOp, TPRankOp>(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    Lowering lowering(getOperation());
    for (Operation *op : ops) {
      LogicalResult r = success();
      if (auto o = dyn_cast<AllReduceOp>(op))
        r = lowering.lower(o);
      else if (auto o = dyn_cast<AllGatherOp>(op))
        r = lowering.lower(o);
      else
        r = lowering.lower(cast<TPRankOp>(op));
      if (failed(r))
        return signalPassFailure();
      ++numCollectives;
    }
  }
};

} // namespace
