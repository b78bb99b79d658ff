//===- Weights.h - the tensors of a checkpoint, memory-mapped ---*- C++ -*-===//
//
// An HF model directory's weights: model.safetensors, or the shards named by
// model.safetensors.index.json, each file memory-mapped read-only and its
// header checked before any tensor is used (dtype known, shape and byte
// range consistent, ranges inside the file and not overlapping, header
// length inside the file). No MLIR, no LLVM.
//
// The safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON {NAME: {"dtype": "F32"|"F16"|"BF16", "shape": [...],
// "data_offsets": [BEGIN, END]}, "__metadata__": {...}}, then the data, with
// offsets relative to its start. Malformed files give one-line messages
// naming the file and the tensor, never a crash. Tensor data may be
// unaligned: read it with memcpy (or toFloat).
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
  std::string file;    ///< the safetensors file it lives in (full path)
  uint64_t offset = 0; ///< of its first byte in `file`
  uint64_t bytes = 0;
  const void *data = nullptr; ///< into the mapping, valid while the store lives

  int64_t numel() const;
};

/// The safetensors spelling of a dtype: "F32", "F16", "BF16" (others "?").
const char *safetensorsDTypeName(package::DType dtype);
/// Parses "F32", "F16" or "BF16"; false for every other dtype.
bool parseSafetensorsDType(const std::string &name, package::DType &out);

/// IEEE binary16 and bfloat16 conversions (round to nearest even; NaN stays
/// NaN, overflow goes to infinity).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBF16(float value);

/// The tensors of one model directory.
class WeightStore {
public:
  /// Opens DIR/model.safetensors or, when absent, the shards listed by
  /// DIR/model.safetensors.index.json ({"weight_map": {NAME: FILE}}): every
  /// shard must exist, hold exactly the tensors the map gives it, and no
  /// tensor may be in two shards. On error returns null and sets `error` to
  /// one line naming the file (and tensor) and what is wrong.
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

/// One tensor to write: dtype, shape and raw little-endian bytes.
struct TensorBytes {
  package::DType dtype = package::DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Writes a safetensors file with `tensors` (in name order, the data start
/// aligned to 8 bytes, metadata {"format": "pt"}), through a temporary file
/// "PATH.tmp-XXXXXX" renamed into place: a failed write leaves nothing at
/// `path`. Returns "" or the error.
std::string writeSafetensors(const std::string &path,
                             const std::map<std::string, TensorBytes> &tensors);

/// `values` (row-major, one per element of `shape`) encoded in `dtype`
/// (F32, F16 or BF16; rounded to nearest even).
TensorBytes encodeTensor(package::DType dtype, std::vector<int64_t> shape,
                         const std::vector<float> &values);

/// "[2, 3]": a shape as messages print it.
std::string shapeText(const std::vector<int64_t> &shape);

} // namespace ssmc::model

#endif // SSMC_MODEL_WEIGHTS_H
