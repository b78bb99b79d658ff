//===- EntryPoints.cpp - the exported ssmc_entry_NAME wrappers ------------===//
//
// The runtime calls every compiled function through one C signature,
// `void ssmc_entry_NAME(void **argv)`, whatever its arity: argv[0] points to
// the results (the C interface's result pointer: one descriptor or a struct
// of descriptors) and argv[1 + i] to the descriptor of argument i, which is
// exactly what `_mlir_ciface_NAME` takes, pointer by pointer.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMMARKCPUENTRYPOINTS
#define GEN_PASS_DEF_SSMEMITCPUENTRYPOINTS
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

/// The attribute that marks the functions that get an entry wrapper.
constexpr llvm::StringLiteral kEntryAttr = "ssmc.entry";

struct SSMMarkCPUEntryPointsPass
    : ssmc::impl::SSMMarkCPUEntryPointsBase<SSMMarkCPUEntryPointsPass> {
  void runOnOperation() final {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      FunctionType type = func.getFunctionType();
      auto isRankedTensor = [](Type t) { return isa<RankedTensorType>(t); };
      if (!llvm::all_of(type.getInputs(), isRankedTensor) ||
          !llvm::all_of(type.getResults(), isRankedTensor))
        continue;
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
      func->setAttr(kEntryAttr, UnitAttr::get(&getContext()));
    }
  }
};

struct SSMEmitCPUEntryPointsPass
    : ssmc::impl::SSMEmitCPUEntryPointsBase<SSMEmitCPUEntryPointsPass> {
  void runOnOperation() final {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      // The C interface wrapper inherits the marker: skip it.
      if (func->hasAttr(kEntryAttr) && !func.isExternal() &&
          !func.getName().starts_with("_mlir_ciface_"))
        entries.push_back(func);

    OpBuilder b(ctx);
    for (LLVM::LLVMFuncOp func : entries) {
      std::string name = ("_mlir_ciface_" + func.getName()).str();
      auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      if (!ciface) {
        func.emitError("entry point without its C interface @") << name;
        return signalPassFailure();
      }
      bool hasResults =
          !isa<LLVM::LLVMVoidType>(func.getFunctionType().getReturnType());
      std::string entryName = ("ssmc_entry_" + func.getName()).str();
      if (module.lookupSymbol(entryName)) {
        func.emitError("symbol @") << entryName << " already exists";
        return signalPassFailure();
      }
      Location loc = func.getLoc();
      b.setInsertionPointAfter(ciface);
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, entryName, LLVM::LLVMFunctionType::get(voidType, {ptrType}));
      Block *body = entry.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value argv = body->getArgument(0);
      // Without results, argv[0] is not passed on.
      unsigned first = hasResults ? 0 : 1;
      SmallVector<Value> args;
      for (unsigned i = 0, e = ciface.getNumArguments(); i < e; ++i) {
        Value slot = LLVM::GEPOp::create(
            b, loc, ptrType, ptrType, argv,
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(first + i)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
      LLVM::CallOp::create(b, loc, ciface, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};

} // namespace
