//===- Hook.h - function pointers a package leaves to its runtime -*- C++ -*-===//
//
// A package calls into its runtime (BLAS, collectives) through a module-level
// pointer, null until the runtime sets it with the package's exported setter.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_CPU_HOOK_H
#define SSMC_CODEGEN_CPU_HOOK_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace ssmc {

/// The pointer `global` (null) and its exported setter `setter(ptr)`, once.
inline mlir::LLVM::GlobalOp addPointerHook(mlir::ModuleOp module,
                                           llvm::StringRef global,
                                           llvm::StringRef setter) {
  using namespace mlir;
  if (auto g = module.lookupSymbol<LLVM::GlobalOp>(global))
    return g;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto g = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                  LLVM::Linkage::Internal, global, Attribute());
  {
    OpBuilder::InsertionGuard guard(b);
    Block *init = b.createBlock(&g.getInitializerRegion());
    b.setInsertionPointToStart(init);
    LLVM::ReturnOp::create(b, loc,
                           LLVM::ZeroOp::create(b, loc, ptr).getResult());
  }
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, setter, LLVM::LLVMFunctionType::get(voidType, {ptr}));
  OpBuilder::InsertionGuard guard(b);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value addr = LLVM::AddressOfOp::create(b, loc, g);
  LLVM::StoreOp::create(b, loc, entry->getArgument(0), addr);
  LLVM::ReturnOp::create(b, loc, ValueRange());
  return g;
}

} // namespace ssmc

#endif // SSMC_CODEGEN_CPU_HOOK_H
