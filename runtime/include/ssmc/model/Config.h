//===- Config.h - a Mamba / Mamba-2 checkpoint's configuration --*- C++ -*-===//
//
// What ssmc needs from an HF model directory's config.json, in one spelling:
// both the HF transformers keys (hidden_size, num_hidden_layers, state_size,
// ...) and the original state-spaces keys (d_model, n_layer, ssm_cfg, ...)
// are accepted. No MLIR, no LLVM: the runtime reads it too.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_MODEL_CONFIG_H
#define SSMC_MODEL_CONFIG_H

#include <cstdint>
#include <string>

namespace ssmc::model {

enum class ModelKind { Mamba, Mamba2 };

/// Which keys a config.json uses: HF transformers (model_type, hidden_size,
/// ...) or the original state-spaces mamba_ssm (d_model, n_layer, ssm_cfg).
enum class ConfigSpelling { HF, Original };

/// "mamba" or "mamba2" (the HF model_type).
const char *modelTypeName(ModelKind kind);

/// The sizes and options of a model; every field is filled by parseConfig
/// (defaults where the checkpoint's config leaves a key out, as the
/// reference implementations do).
struct ModelConfig {
  ModelKind kind = ModelKind::Mamba;
  ConfigSpelling spelling = ConfigSpelling::HF;
  int64_t dModel = 0;      ///< hidden_size / d_model
  int64_t nLayer = 0;      ///< num_hidden_layers / n_layer
  int64_t vocabSize = 0;   ///< rows of the embedding (after padding, as stored)
  int64_t dInner = 0;      ///< expand * d_model (Mamba-2: heads * head_dim)
  int64_t dState = 0;      ///< n
  int64_t dConv = 0;       ///< k, the conv width
  int64_t dtRank = 0;      ///< Mamba: r ("auto" = ceil(d_model / 16))
  int64_t nGroups = 1;     ///< Mamba-2: g
  int64_t headDim = 0;     ///< Mamba-2: p
  int64_t nHeads = 0;      ///< Mamba-2: h = d_inner / p
  int64_t chunkSize = 256; ///< Mamba-2: chunk_size
  double eps = 1e-5;       ///< layer_norm_epsilon / norm_epsilon
  bool tieEmbeddings = true;
  bool convBias = true;  ///< use_conv_bias / conv_bias
  bool projBias = false; ///< use_bias / bias (in_proj, out_proj)
  /// Mamba-2: the gated norm over groups of d_inner / g channels (the
  /// original mamba_ssm) rather than over the whole width (HF transformers);
  /// identical when g = 1.
  bool normPerGroup = true;
  /// Mamba-2: dt clamp (time_step_limit / dt_limit); hasDtLimit is false
  /// for [0, inf), which clamps nothing (dtLimitHi is then infinity).
  double dtLimitLo = 0.0, dtLimitHi = 0.0;
  bool hasDtLimit = false;
};

/// Parses the text of config.json (`path` names the file in messages).
/// Returns "" on success, else one line naming the file and the key that
/// is missing, has the wrong type or is out of range, e.g.
///   "DIR/config.json: key 'hidden_size' must be an integer in [1, 16777216]"
/// Python's non-finite literals (Infinity, -Infinity), which json.dump
/// writes for time_step_limit, are accepted.
std::string parseConfig(const std::string &path, const std::string &text,
                        ModelConfig &out);

/// Reads and parses DIR/config.json.
std::string readConfig(const std::string &dir, ModelConfig &out);

} // namespace ssmc::model

#endif // SSMC_MODEL_CONFIG_H
