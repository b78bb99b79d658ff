//===- MakeCheckpoint.h - random-weight checkpoints -------------*- C++ -*-===//
//
// Writes a complete model directory (config.json and model.safetensors, or
// shards with model.safetensors.index.json) of random weights drawn as
// Mamba's initialisation draws them, in either config spelling. Tests and
// ssmc-make-checkpoint share it. The weights depend only on the seed, the
// sizes and each tensor's canonical name: the spelling, the dtype (up to
// rounding) and the sharding do not change them. No MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_MODEL_MAKECHECKPOINT_H
#define SSMC_MODEL_MAKECHECKPOINT_H

#include "ssmc/model/Config.h"
#include "ssmc/runtime/Package.h"

#include <cstdint>
#include <string>

namespace ssmc::model {

/// What to generate; the defaults make a small model that tests run fast.
struct MakeCheckpointOptions {
  ModelKind kind = ModelKind::Mamba;
  std::string outDir; ///< created when missing
  int64_t dModel = 64;
  int64_t nLayer = 2;
  int64_t vocabSize = 100;
  int64_t dState = 16;
  int64_t expand = 2;
  int64_t dConv = 4;
  int64_t dtRank = 0;     ///< Mamba: 0 = "auto" (ceil(dModel / 16))
  int64_t headDim = 16;   ///< Mamba-2
  int64_t nGroups = 1;    ///< Mamba-2
  int64_t chunkSize = 16; ///< Mamba-2
  package::DType dtype = package::DType::F32; ///< F32, F16 or BF16
  bool untied = false;   ///< write lm_head.weight, untied from the embeddings
  bool convBias = true;  ///< conv1d.bias
  bool projBias = false; ///< in_proj.bias and out_proj.bias
  /// 0: one model.safetensors; N >= 1: model-0000K-of-0000N.safetensors and
  /// model.safetensors.index.json.
  int64_t shards = 0;
  ConfigSpelling spelling = ConfigSpelling::HF;
  uint64_t seed = 0;
};

/// The config.json text that `options` imply (in their spelling).
std::string makeConfigJson(const MakeCheckpointOptions &options);

/// Writes the checkpoint; every file goes through a temporary file renamed
/// into place. Returns "" or one line saying which option or file is wrong.
std::string makeCheckpoint(const MakeCheckpointOptions &options);

} // namespace ssmc::model

#endif // SSMC_MODEL_MAKECHECKPOINT_H
