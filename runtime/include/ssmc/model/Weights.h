//===- Weights.h - the tensors of a checkpoint, memory-mapped ---*- C++ -*-===//
//
// An HF model directory's weights: model.safetensors, or the shards named by
// model.safetensors.index.json, each file memory-mapped read-only and its
// header checked before any tensor is used (dtype known, shape and byte
// range consistent, ranges inside the file and not overlapping, header
// length inside the file). No MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_MODEL_WEIGHTS_H
#define SSMC_MODEL_WEIGHTS_H

#include "ssmc/runtime/Package.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::model {

/// One tensor of a checkpoint.
struct TensorInfo {
  std::string name;
  package::DType dtype = package::DType::F32; ///< F32, F16 or BF16
  std::vector<int64_t> shape;
  std::string file; ///< the safetensors file it lives in (full path)
  uint64_t offset = 0; ///< of its first byte in `file`
  uint64_t bytes = 0;
  const void *data = nullptr; ///< into the mapping, valid while the store lives

  int64_t numel() const;
};

/// The tensors of one model directory.
class WeightStore {
public:
  /// Opens DIR/model.safetensors or, when absent, the shards listed by
  /// DIR/model.safetensors.index.json. On error returns null and sets
  /// `error` to one line naming the file (and tensor) and what is wrong.
  static std::unique_ptr<WeightStore> open(const std::string &dir,
                                           std::string &error);
  /// Opens one safetensors file.
  static std::unique_ptr<WeightStore> openFile(const std::string &path,
                                               std::string &error);
  ~WeightStore();

  /// The tensor named `name`, or null.
  const TensorInfo *find(const std::string &name) const;
  /// Every tensor, by name.
  const std::map<std::string, TensorInfo> &tensors() const { return byName; }
  /// The elements of a tensor widened to float (f16/bf16 converted).
  std::vector<float> toFloat(const TensorInfo &t) const;

private:
  WeightStore() = default;
  struct Mapping;
  std::vector<std::unique_ptr<Mapping>> mappings;
  std::map<std::string, TensorInfo> byName;
};

/// Writes a safetensors file with `tensors` (name -> dtype, shape, raw
/// little-endian bytes), through a temporary file renamed into place: a
/// failed write leaves nothing at `path`. Returns "" or the error.
struct TensorBytes {
  package::DType dtype = package::DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};
std::string writeSafetensors(const std::string &path,
                             const std::map<std::string, TensorBytes> &tensors);

} // namespace ssmc::model

#endif // SSMC_MODEL_WEIGHTS_H
