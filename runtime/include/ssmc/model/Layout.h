//===- Layout.h - the named tensors of Mamba models -------------*- C++ -*-===//
//
// Which tensors a model with a given config has, with their exact shapes, and
// their resolution in a WeightStore under either spelling in use (HF
// transformers' `backbone.embeddings.weight`, the original state-spaces
// `backbone.embedding.weight`). Every tensor is checked for presence and
// shape, and tensors the model does not use are refused, before anything
// reads them. No MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_MODEL_LAYOUT_H
#define SSMC_MODEL_LAYOUT_H

#include "ssmc/model/Config.h"
#include "ssmc/model/Weights.h"

#include <string>
#include <vector>

namespace ssmc::model {

/// The weights of one layer, `backbone.layers.{i}.`; null where the model
/// has no such tensor (biases that the config turns off, the Mamba-only and
/// Mamba-2-only tensors of the other kind).
struct LayerWeights {
  const TensorInfo *norm = nullptr;       ///< norm.weight (dModel)
  const TensorInfo *inProj = nullptr;     ///< mixer.in_proj.weight
  const TensorInfo *inProjBias = nullptr; ///< mixer.in_proj.bias (projBias)
  /// mixer.conv1d.weight, (C, 1, k) or (C, k): C = dInner (Mamba) or
  /// dInner + 2 * nGroups * dState (Mamba-2).
  const TensorInfo *conv1d = nullptr;
  const TensorInfo *conv1dBias = nullptr; ///< mixer.conv1d.bias (C) (convBias)
  const TensorInfo *xProj = nullptr;      ///< Mamba: (dtRank + 2n, dInner)
  const TensorInfo *dtProj = nullptr;     ///< Mamba: (dInner, dtRank)
  const TensorInfo *dtProjBias = nullptr; ///< Mamba: (dInner)
  const TensorInfo *dtBias = nullptr;     ///< Mamba-2: mixer.dt_bias (h)
  const TensorInfo *aLog = nullptr;       ///< Mamba: (dInner, n); Mamba-2: (h)
  const TensorInfo *d = nullptr; ///< mixer.D: Mamba (dInner); Mamba-2 (h)
  const TensorInfo *mixerNorm =
      nullptr; ///< Mamba-2: mixer.norm.weight (dInner)
  const TensorInfo *outProj =
      nullptr; ///< mixer.out_proj.weight (dModel, dInner)
  const TensorInfo *outProjBias = nullptr; ///< mixer.out_proj.bias (projBias)
};

/// Every weight of a model, pointing into the WeightStore it was resolved in
/// (valid while the store lives).
struct ModelWeights {
  const TensorInfo *embeddings = nullptr; ///< (vocabSize, dModel)
  std::vector<LayerWeights> layers;
  const TensorInfo *normF = nullptr; ///< backbone.norm_f.weight (dModel)
  /// lm_head.weight (vocabSize, dModel), or the embeddings when tied and the
  /// checkpoint leaves lm_head out.
  const TensorInfo *lmHead = nullptr;
};

/// One tensor a config implies: its canonical (HF) name and exact shape.
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
};

/// The tensors of a model with `config`, in canonical order (embeddings,
/// then each layer's tensors in dataflow order, norm_f, lm_head when
/// untied), HF spelling, conv1d as (C, 1, k).
std::vector<WeightSpec> expectedWeights(const ModelConfig &config);

/// The names of expectedWeights(config), in order.
std::vector<std::string> canonicalWeightNames(const ModelConfig &config);

/// Resolves every weight of `config` in `store` (under either spelling) into
/// `out`. Returns "" or one line naming `dir` and the first problem:
///   "DIR: missing tensor 'backbone.layers.0.mixer.D'"
///   "DIR: tensor 'backbone.layers.3.mixer.D' has shape [24] but the config
///    implies [48]"
///   "DIR: unexpected tensor 'backbone.layers.9.norm.weight'"
/// Tensors may mix dtypes (f32, f16, bf16).
std::string resolveWeights(const ModelConfig &config, const WeightStore &store,
                           const std::string &dir, ModelWeights &out);

} // namespace ssmc::model

#endif // SSMC_MODEL_LAYOUT_H
