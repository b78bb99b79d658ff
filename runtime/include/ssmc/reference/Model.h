//===- Model.h - float64 reference of whole Mamba models --------*- C++ -*-===//
//
// The oracle of the model tests: a whole language model (embedding, the
// residual stack of mixer layers, the final norm and the lm head) composed of
// the ops of Reference.h, in float64 throughout, following the "The models"
// part of SEMANTICS.md. A prefill runs each prompt on its own; a decode step
// advances a batch of sequences by one token from their caches with the
// recurrent form (conv from the cached inputs, one state update).
//
// As in Reference.h, entry points return "" on success or one line naming the
// entry point and the tensor (or prompt, or config field) that is wrong, and
// validate every input before computing anything, leaving their outputs
// untouched on error.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_REFERENCE_MODEL_H
#define SSMC_REFERENCE_MODEL_H

#include "ssmc/model/Config.h"
#include "ssmc/reference/Reference.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ssmc {
namespace reference {

/// Returns the checkpoint tensor with the canonical HF name \p name (such as
/// "backbone.layers.0.mixer.in_proj.weight"), or null when it is absent.
using WeightLookup = std::function<const Tensor *(const std::string &name)>;

/// The recurrent state of one layer for a batch of b sequences.
struct LayerCache {
  /// (b,C,k-1): the last k-1 conv inputs, oldest first; C = d (Mamba) or
  /// d+2gn (Mamba-2, the conv runs over xBC).
  Tensor convState;
  /// (b,d,n) for Mamba, (b,h,p,n) for Mamba-2.
  Tensor ssmState;
};

/// The caches of every layer, in layer order.
struct ModelCache {
  std::vector<LayerCache> layers;
};

/// Runs each of \p prompts (token ids in [0, vocabSize)) on its own through
/// the model and sets \p logits to one (l, vocab) tensor per prompt (a
/// prompt may be empty: (0, vocab)). When \p cache is given it is set to the
/// caches after the prompts, with batch dimension prompts.size(), so that
/// modelDecodeStep can continue every sequence.
std::string modelPrefill(const model::ModelConfig &cfg, const WeightLookup &w,
                         const std::vector<std::vector<int64_t>> &prompts,
                         std::vector<Tensor> &logits,
                         ModelCache *cache = nullptr);

/// Advances each of the b sequences of \p cache by the one token
/// \p tokens[i] (b = tokens.size() must be the cache's batch), updating
/// \p cache in place and setting \p logits to (b, vocab).
std::string modelDecodeStep(const model::ModelConfig &cfg,
                            const WeightLookup &w,
                            const std::vector<int64_t> &tokens,
                            ModelCache &cache, Tensor &logits);

} // namespace reference
} // namespace ssmc

#endif // SSMC_REFERENCE_MODEL_H
