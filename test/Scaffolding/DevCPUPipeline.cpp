//===- DevCPUPipeline.cpp - stand-in CPU pipeline for runtime tests -------===//
//
// TEST SCAFFOLDING: see DevCPUPipeline.h.
//
//===----------------------------------------------------------------------===//

#include "DevCPUPipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"

#include <memory>

using namespace mlir;

namespace ssmc {
namespace dev {

namespace {

/// An entry seen before lowering.
struct EntryInfo {
  std::string name;
  unsigned numArgs;
  bool hasResults;
};
using EntryList = std::shared_ptr<std::vector<EntryInfo>>;

/// Records the entries (public functions on ranked tensors) and asks
/// func-to-llvm for their C interface.
struct MarkEntriesPass
    : PassWrapper<MarkEntriesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MarkEntriesPass)
  explicit MarkEntriesPass(EntryList entries) : entries(std::move(entries)) {}
  void runOnOperation() final {
    entries->clear();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      auto ranked = [](Type t) { return isa<RankedTensorType>(t); };
      if (func.isDeclaration() || !func.isPublic() ||
          !llvm::all_of(func.getArgumentTypes(), ranked) ||
          !llvm::all_of(func.getResultTypes(), ranked))
        continue;
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
      entries->push_back({func.getName().str(), func.getNumArguments(),
                          func.getNumResults() > 0});
    }
  }
  EntryList entries;
};

/// Adds `void ssmc_entry_NAME(void **argv)` calling `_mlir_ciface_NAME`.
struct AddEntryWrappersPass
    : PassWrapper<AddEntryWrappersPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(AddEntryWrappersPass)
  explicit AddEntryWrappersPass(EntryList entries)
      : entries(std::move(entries)) {}
  void runOnOperation() final {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto voidTy = LLVM::LLVMVoidType::get(ctx);
    OpBuilder builder(ctx);
    for (const EntryInfo &e : *entries) {
      std::string target = "_mlir_ciface_" + e.name;
      auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(target);
      if (!callee) {
        module.emitError() << "no " << target << " after lowering";
        return signalPassFailure();
      }
      builder.setInsertionPointToEnd(module.getBody());
      Location loc = callee.getLoc();
      auto wrapper = LLVM::LLVMFuncOp::create(
          builder, loc, "ssmc_entry_" + e.name,
          LLVM::LLVMFunctionType::get(voidTy, {ptr}));
      Block *body = wrapper.addEntryBlock(builder);
      builder.setInsertionPointToStart(body);
      Value argv = body->getArgument(0);
      SmallVector<Value> operands;
      unsigned first = e.hasResults ? 0 : 1;
      for (unsigned k = first; k <= e.numArgs; ++k) {
        Value slot = LLVM::GEPOp::create(builder, loc, ptr, ptr, argv,
                                         ArrayRef<LLVM::GEPArg>{int32_t(k)});
        operands.push_back(LLVM::LoadOp::create(builder, loc, ptr, slot));
      }
      LLVM::CallOp::create(builder, loc, callee, operands);
      LLVM::ReturnOp::create(builder, loc, ValueRange());
    }
  }
  EntryList entries;
};

} // namespace

void buildDevCPUPipeline(OpPassManager &pm) {
  static const bool registered = (registerAllPasses(), true);
  (void)registered;
  auto entries = std::make_shared<std::vector<EntryInfo>>();
  pm.addPass(std::make_unique<MarkEntriesPass>(entries));
  if (failed(parsePassPipeline(
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map},"
          "func.func(convert-linalg-to-loops),lower-affine,convert-scf-to-cf,"
          "expand-strided-metadata,lower-affine,convert-math-to-llvm,"
          "convert-math-to-libm,convert-arith-to-llvm,convert-cf-to-llvm,"
          "finalize-memref-to-llvm,convert-func-to-llvm,convert-arith-to-llvm,"
          "convert-cf-to-llvm,reconcile-unrealized-casts",
          pm)))
    llvm::report_fatal_error("the dev CPU pipeline does not parse");
  pm.addPass(std::make_unique<AddEntryWrappersPass>(entries));
}

} // namespace dev
} // namespace ssmc
