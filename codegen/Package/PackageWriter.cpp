//===- PackageWriter.cpp - writing .ssmpkg packages -----------------------===//

#include "ssmc/Codegen/Package/PackageWriter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace ssmc {

namespace {

std::optional<package::DType> dtypeOf(Type elem) {
  if (elem.isF32())
    return package::DType::F32;
  if (elem.isF16())
    return package::DType::F16;
  if (elem.isBF16())
    return package::DType::BF16;
  if (elem.isF64())
    return package::DType::F64;
  if (elem.isInteger(32))
    return package::DType::I32;
  // index lowers to i64 on the 64-bit hosts the CPU target supports.
  if (elem.isInteger(64) || elem.isIndex())
    return package::DType::I64;
  return std::nullopt;
}

bool isEntryCandidate(func::FuncOp func) {
  if (func.isDeclaration() || !func.isPublic())
    return false;
  auto ranked = [](Type t) { return isa<RankedTensorType>(t); };
  return llvm::all_of(func.getArgumentTypes(), ranked) &&
         llvm::all_of(func.getResultTypes(), ranked);
}

} // namespace

FailureOr<package::EntrySpec> entrySpecFor(func::FuncOp func) {
  package::EntrySpec entry;
  entry.name = func.getName().str();
  entry.symbol = "ssmc_entry_" + entry.name;
  auto convert = [&](Type type, StringRef what, unsigned i,
                     std::vector<package::TensorSpec> &out) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::optional<package::DType> dtype =
        tensor ? dtypeOf(tensor.getElementType()) : std::nullopt;
    if (!dtype)
      return func.emitError() << what << " " << i << " of @" << func.getName()
                              << " has type " << type
                              << ", which a package entry cannot take; "
                                 "expected a ranked tensor of f32, f16, "
                                 "bf16, f64, i32, i64 or index";
    package::TensorSpec spec;
    spec.dtype = *dtype;
    for (int64_t size : tensor.getShape())
      spec.shape.push_back(ShapedType::isDynamic(size) ? -1 : size);
    out.push_back(std::move(spec));
    return success();
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(convert(type, "argument", i, entry.arguments)))
      return failure();
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(convert(type, "result", i, entry.results)))
      return failure();
  return entry;
}

LogicalResult collectEntries(ModuleOp module,
                             std::vector<package::EntrySpec> &entries) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!isEntryCandidate(func))
      continue;
    FailureOr<package::EntrySpec> entry = entrySpecFor(func);
    if (failed(entry))
      return failure();
    entries.push_back(std::move(*entry));
  }
  return success();
}

llvm::Error writePackage(llvm::StringRef path,
                         const package::Manifest &manifest,
                         const std::vector<std::string> &objects) {
  if (objects.size() != manifest.objects.size())
    return llvm::createStringError(
        "cannot write '" + path + "': the manifest describes " +
        llvm::Twine(manifest.objects.size()) + " objects but " +
        llvm::Twine(objects.size()) + " were given");
  std::string bytes = package::serialize(manifest, objects);
  std::string tmp = (path + ".tmp").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_None);
    if (ec)
      return llvm::createStringError(ec, "cannot write '" + tmp +
                                             "': " + ec.message());
    os << bytes;
    os.close();
    if (os.has_error()) {
      llvm::sys::fs::remove(tmp);
      return llvm::createStringError(os.error(), "cannot write '" + tmp +
                                                     "': " +
                                                     os.error().message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError(ec, "cannot rename '" + tmp + "' to '" +
                                           path + "': " + ec.message());
  }
  return llvm::Error::success();
}

} // namespace ssmc
