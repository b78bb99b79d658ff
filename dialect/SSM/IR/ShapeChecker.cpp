//===- ShapeChecker.cpp - symbolic shape checks for ssm verifiers ---------===//
#include "ShapeChecker.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace ssmc::ssm {

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "(";
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << ")";
  return s;
}

bool isStateElementType(Type type) { return type.isF32() || type.isF64(); }

void ShapeChecker::bind(StringRef name, int64_t size, StringRef origin) {
  bound[name] = Binding{size, origin.str()};
}

std::optional<int64_t> ShapeChecker::get(StringRef name) const {
  auto it = bound.find(name);
  if (it == bound.end())
    return std::nullopt;
  return it->second.size;
}

LogicalResult ShapeChecker::requireStatic(StringRef what, Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (tensor && tensor.hasStaticShape())
    return success();
  return op->emitOpError() << what << " must have a static shape, got "
                           << type;
}

LogicalResult ShapeChecker::check(StringRef what, Type type,
                                  ArrayRef<StringRef> dims) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::string named = "(" + llvm::join(dims, ", ") + ")";
  if (!tensor || tensor.getRank() != static_cast<int64_t>(dims.size()))
    return op->emitOpError() << what << " must be a rank-" << dims.size()
                             << " tensor " << named << ", got " << type;

  ArrayRef<int64_t> shape = tensor.getShape();
  for (auto [size, name] : llvm::zip_equal(shape, dims)) {
    if (ShapedType::isDynamic(size))
      continue;
    auto it = bound.find(name);
    if (it == bound.end() || it->second.size == size)
      continue;
    // Report the whole expected shape, with what is known of each size.
    SmallVector<int64_t> expected;
    for (StringRef d : dims)
      expected.push_back(get(d).value_or(ShapedType::kDynamic));
    return op->emitOpError()
           << what << " has shape " << formatShape(shape) << " but " << named
           << " = " << formatShape(expected) << " is expected: " << name
           << " = " << it->second.size << " from " << it->second.origin;
  }
  for (auto [size, name] : llvm::zip_equal(shape, dims))
    if (!ShapedType::isDynamic(size) && !bound.count(name))
      bind(name, size, what);
  return success();
}

} // namespace ssmc::ssm
