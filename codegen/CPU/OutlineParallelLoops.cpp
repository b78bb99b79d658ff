//===- OutlineParallelLoops.cpp - scf.parallel through the runtime's pool -===//
//
// The compiled package carries no threading of its own (no OpenMP, no MLIR
// runtime library): each outermost scf.parallel becomes a function over a
// range of its linearised iterations, called through the function pointer
// @ssmc_parallel_for, which is a serial loop until the runtime installs its
// thread pool with ssmc_set_parallel_for (runtime/cpu/CPURuntime.cpp).
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMOUTLINEPARALLELLOOPS
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelFor = "ssmc_parallel_for";
constexpr llvm::StringLiteral kSerialFor = "ssmc_serial_parallel_for";
constexpr llvm::StringLiteral kSetParallelFor = "ssmc_set_parallel_for";

/// Adds, once per module, the serial `ssmc_serial_parallel_for(body, ctx, n)`,
/// the pointer `@ssmc_parallel_for` initialised to it, and the exported
/// setter `ssmc_set_parallel_for(ptr)`.
void addRuntimeHooks(ModuleOp module) {
  if (module.lookupSymbol(kParallelFor))
    return;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto bodyType = LLVM::LLVMFunctionType::get(voidType, {ptr, i64, i64});

  auto serial = LLVM::LLVMFuncOp::create(
      b, loc, kSerialFor, LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64}),
      LLVM::Linkage::Internal);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = serial.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
    LLVM::CallOp::create(b, loc, bodyType,
                         ValueRange{entry->getArgument(0),
                                    entry->getArgument(1), zero,
                                    entry->getArgument(2)});
    LLVM::ReturnOp::create(b, loc, ValueRange());
  }

  auto global = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::Internal, kParallelFor,
                                       Attribute());
  {
    OpBuilder::InsertionGuard guard(b);
    Block *init = b.createBlock(&global.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value addr = LLVM::AddressOfOp::create(b, loc, serial);
    LLVM::ReturnOp::create(b, loc, addr);
  }

  auto setter = LLVM::LLVMFuncOp::create(
      b, loc, kSetParallelFor, LLVM::LLVMFunctionType::get(voidType, {ptr}));
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = setter.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    Value addr = LLVM::AddressOfOp::create(b, loc, global);
    LLVM::StoreOp::create(b, loc, entry->getArgument(0), addr);
    LLVM::ReturnOp::create(b, loc, ValueRange());
  }
}

/// The type a captured value has in the context struct, or null if it
/// cannot be captured.
Type fieldType(const LLVMTypeConverter &converter, Type type) {
  if (isa<IndexType>(type))
    return IntegerType::get(type.getContext(), 64);
  if (isa<IntegerType, FloatType, VectorType>(type))
    return type;
  if (isa<MemRefType>(type))
    return converter.convertType(type);
  return Type();
}

struct OutlineParallelLoopsPass
    : ssmc::impl::SSMOutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          loop->getParentOfType<func::FuncOp>() && loop.getNumResults() == 0)
        loops.push_back(loop);
    });
    if (loops.empty())
      return;
    addRuntimeHooks(module);
    LLVMTypeConverter converter(&getContext());
    SymbolTable symbols(module);
    for (scf::ParallelOp loop : loops) {
      if (failed(outline(loop, converter, symbols)))
        return signalPassFailure();
      ++numOutlined;
    }
  }

  LogicalResult outline(scf::ParallelOp loop,
                        const LLVMTypeConverter &converter,
                        SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto parent = loop->getParentOfType<func::FuncOp>();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b(loop);
    auto i64 = b.getI64Type();

    // Trip counts of each dimension and in all.
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> counts;
    Value total = one;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = arith::MaxSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, ub, lb), zero);
      Value count = arith::CeilDivUIOp::create(b, loc, span, step);
      counts.push_back(count);
      total = arith::MulIOp::create(b, loc, total, count);
    }

    // What the body needs from above, then the loop's bounds.
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(loop.getRegion(), captured);
    SmallVector<Value> constants;
    for (Value v : captured)
      if (Operation *def = v.getDefiningOp();
          def && def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(v);
    for (Value v : constants)
      captured.remove(v);
    for (auto [lb, step, count] :
         llvm::zip(loop.getLowerBound(), loop.getStep(), counts)) {
      captured.insert(lb);
      captured.insert(step);
      captured.insert(count);
    }
    SmallVector<Type> fields;
    for (Value v : captured) {
      Type t = fieldType(converter, v.getType());
      if (!t)
        return loop.emitOpError("cannot pass a value of type ")
               << v.getType() << " to an outlined loop body";
      fields.push_back(t);
    }
    auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);

    // The outlined body: @F_parallel(ctx, begin, end).
    OpBuilder mb(parent);
    mb.setInsertionPointAfter(parent);
    auto fnType = mb.getFunctionType({ptr, i64, i64}, {});
    auto fn = func::FuncOp::create(mb, loc,
                                   (parent.getName() + "_parallel").str(),
                                   fnType);
    fn.setPrivate();
    symbols.insert(fn);
    Block *entry = fn.addEntryBlock();
    OpBuilder fb = OpBuilder::atBlockBegin(entry);
    Value packed = LLVM::LoadOp::create(fb, loc, structType, entry->getArgument(0));
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value field = LLVM::ExtractValueOp::create(fb, loc, packed, i);
      Type type = v.getType();
      if (isa<IndexType>(type))
        field = arith::IndexCastOp::create(fb, loc, type, field);
      else if (isa<MemRefType>(type))
        field = UnrealizedConversionCastOp::create(fb, loc, type, field)
                    .getResult(0);
      map.map(v, field);
    }
    for (Value v : constants)
      map.map(v, fb.clone(*v.getDefiningOp())->getResult(0));
    auto toIndex = [&](Value v) {
      return arith::IndexCastOp::create(fb, loc, fb.getIndexType(), v);
    };
    Value begin = toIndex(entry->getArgument(1));
    Value end = toIndex(entry->getArgument(2));
    Value fOne = arith::ConstantIndexOp::create(fb, loc, 1);
    auto forOp = scf::ForOp::create(fb, loc, begin, end, fOne);
    func::ReturnOp::create(fb, loc);
    {
      OpBuilder::InsertionGuard guard(fb);
      fb.setInsertionPoint(forOp.getBody()->getTerminator());
      // Delinearise, innermost dimension fastest.
      Value rem = forOp.getInductionVar();
      int64_t rank = loop.getNumLoops();
      SmallVector<Value> ivs(rank);
      for (int64_t d = rank - 1; d >= 0; --d) {
        Value count = map.lookup(counts[d]);
        Value pos = d == 0 ? rem : arith::RemUIOp::create(fb, loc, rem, count);
        if (d > 0)
          rem = arith::DivUIOp::create(fb, loc, rem, count);
        Value scaled = arith::MulIOp::create(
            fb, loc, pos, map.lookup(loop.getStep()[d]));
        ivs[d] = arith::AddIOp::create(fb, loc, map.lookup(loop.getLowerBound()[d]),
                                       scaled);
      }
      for (auto [iv, v] : llvm::zip(loop.getInductionVars(), ivs))
        map.map(iv, v);
      for (Operation &op : loop.getBody()->without_terminator())
        fb.clone(op, map);
    }
    // Per-thread scratch, allocated once per call rather than per iteration.
    for (Operation &op : llvm::make_early_inc_range(*forOp.getBody()))
      if (auto alloca = dyn_cast<memref::AllocaOp>(op))
        if (alloca->getNumOperands() == 0)
          alloca->moveBefore(forOp);

    // The caller packs the captured values and calls through the pointer.
    Value structValue = LLVM::PoisonOp::create(b, loc, structType);
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value field = v;
      if (isa<IndexType>(v.getType()))
        field = arith::IndexCastOp::create(b, loc, i64, v);
      else if (isa<MemRefType>(v.getType()))
        field = UnrealizedConversionCastOp::create(b, loc, fields[i], v)
                    .getResult(0);
      structValue = LLVM::InsertValueOp::create(b, loc, structValue, field, i);
    }
    Value slot;
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&parent.getBody().front());
      Value size = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
      slot = LLVM::AllocaOp::create(b, loc, ptr, structType, size);
    }
    LLVM::StoreOp::create(b, loc, structValue, slot);
    Value fnValue = func::ConstantOp::create(b, loc, fnType, fn.getName());
    Value fnPtr =
        UnrealizedConversionCastOp::create(b, loc, ptr, fnValue).getResult(0);
    Value global = LLVM::AddressOfOp::create(b, loc, ptr, kParallelFor);
    Value parallelFor = LLVM::LoadOp::create(b, loc, ptr, global);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    LLVM::CallOp::create(
        b, loc, LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64}),
        ValueRange{parallelFor, fnPtr, slot,
                   arith::IndexCastOp::create(b, loc, i64, total)});
    loop.erase();
    return success();
  }
};

} // namespace
