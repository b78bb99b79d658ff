//===- MakeCheckpoint.cpp - random-weight Mamba / Mamba-2 checkpoints -----===//
//
// The distributions follow mamba_ssm's initialisation so that generated
// models behave like trained ones numerically (decaying states, dt in
// [1e-3, 1e-1], unit-scale activations): A_log = log(U(1, 16)), dt biases the
// inverse softplus of log-uniform dt, D = 1, norms near 1, projections
// N(0, 1/sqrt(fan_in)), embeddings N(0, 0.02). Each tensor draws from its
// own stream, seeded by the seed and its canonical name, with a portable
// generator (splitmix64, Box-Muller): the same options give the same bytes
// on every platform.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/MakeCheckpoint.h"

#include "Files.h"
#include "ssmc/model/Layout.h"
#include "ssmc/model/Weights.h"
#include "ssmc/runtime/Json.h"
#include "ssmc/runtime/SplitMix64.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <unistd.h>

using namespace ssmc;
using namespace ssmc::model;
using package::DType;

namespace {

constexpr int64_t kMaxSize = int64_t(1) << 24;
/// More parameters than this is a mistake in the options, not a test model.
constexpr int64_t kMaxParameters = int64_t(1) << 32;

using Rng = SplitMix64;

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The values of the tensor `spec` (canonical name) of a model.
std::vector<float> initTensor(const WeightSpec &spec, uint64_t seed) {
  int64_t numel = 1;
  for (int64_t s : spec.shape)
    numel *= s;
  std::vector<float> v(static_cast<size_t>(numel));
  Rng rng(seed ^ fnv1a(spec.name));
  rng.next();
  const std::string &name = spec.name;
  auto fill = [&](auto draw) {
    for (float &x : v)
      x = static_cast<float>(draw());
  };
  if (endsWith(name, "embeddings.weight")) {
    fill([&] { return 0.02 * rng.normal(); });
  } else if (endsWith(name, "norm.weight") || endsWith(name, "norm_f.weight")) {
    fill([&] { return 1.0 + 0.02 * rng.normal(); });
  } else if (endsWith(name, "mixer.A_log")) {
    fill([&] { return std::log(rng.uniform(1.0, 16.0)); });
  } else if (endsWith(name, "mixer.D")) {
    fill([] { return 1.0; });
  } else if (endsWith(name, "dt_bias") || endsWith(name, "dt_proj.bias")) {
    // dt log-uniform in [1e-3, 1e-1], floored at 1e-4, stored as the inverse
    // of softplus: dt + log(1 - exp(-dt)).
    fill([&] {
      double dt = std::exp(rng.uniform(std::log(1e-3), std::log(1e-1)));
      dt = std::max(dt, 1e-4);
      return dt + std::log(-std::expm1(-dt));
    });
  } else if (endsWith(name, "dt_proj.weight")) {
    double bound = 1.0 / std::sqrt(double(spec.shape[1]));
    fill([&] { return rng.uniform(-bound, bound); });
  } else if (endsWith(name, "conv1d.weight") || endsWith(name, "conv1d.bias")) {
    // PyTorch's Conv1d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = k.
    double bound =
        1.0 / std::sqrt(double(spec.shape.size() == 3 ? spec.shape[2]
                                                      : spec.shape.back()));
    fill([&] { return rng.uniform(-bound, bound); });
  } else if (endsWith(name, ".bias")) {
    fill([&] { return 0.02 * rng.normal(); });
  } else {
    // in_proj, x_proj, out_proj, lm_head: (out, in) matrices.
    double scale = 1.0 / std::sqrt(double(spec.shape[1]));
    fill([&] { return scale * rng.normal(); });
  }
  return v;
}

std::string checkRange(const char *flag, int64_t value, int64_t lo,
                       int64_t hi) {
  if (value >= lo && value <= hi)
    return "";
  return std::string(flag) + " must be an integer in [" + std::to_string(lo) +
         ", " + std::to_string(hi) + "] (got " + std::to_string(value) + ")";
}

std::string checkOptions(const MakeCheckpointOptions &o) {
  if (o.outDir.empty())
    return "--out is required";
  const struct {
    const char *flag;
    int64_t value, lo, hi;
  } ranges[] = {{"--d-model", o.dModel, 1, kMaxSize},
                {"--n-layer", o.nLayer, 1, 65536},
                {"--vocab", o.vocabSize, 1, kMaxSize},
                {"--d-state", o.dState, 1, kMaxSize},
                {"--expand", o.expand, 1, 1024},
                {"--d-conv", o.dConv, 1, 1024},
                {"--dt-rank", o.dtRank, 0, kMaxSize},
                {"--head-dim", o.headDim, 1, kMaxSize},
                {"--n-groups", o.nGroups, 1, kMaxSize},
                {"--chunk-size", o.chunkSize, 1, kMaxSize},
                {"--shards", o.shards, 0, 99999}};
  for (const auto &r : ranges)
    if (std::string err = checkRange(r.flag, r.value, r.lo, r.hi); !err.empty())
      return err;
  if (o.dtype != DType::F32 && o.dtype != DType::F16 && o.dtype != DType::BF16)
    return std::string("--dtype must be f32, f16 or bf16 (got ") +
           package::dtypeName(o.dtype) + ")";
  if (o.kind == ModelKind::Mamba2) {
    int64_t dInner = o.expand * o.dModel;
    if (dInner % o.headDim != 0)
      return "--head-dim " + std::to_string(o.headDim) +
             " does not divide d_inner " + std::to_string(dInner) +
             " (--expand * --d-model)";
    int64_t heads = dInner / o.headDim;
    if (heads % o.nGroups != 0)
      return "--n-groups " + std::to_string(o.nGroups) +
             " does not divide the number of heads " + std::to_string(heads) +
             " (d_inner / --head-dim)";
  }
  return "";
}

const char *torchDtype(DType dtype) {
  return dtype == DType::F16    ? "float16"
         : dtype == DType::BF16 ? "bfloat16"
                                : "float32";
}

} // namespace

std::string ssmc::model::makeConfigJson(const MakeCheckpointOptions &o) {
  bool mamba2 = o.kind == ModelKind::Mamba2;
  int64_t dInner = o.expand * o.dModel;
  json::Value c = json::Value::object();
  if (o.spelling == ConfigSpelling::HF) {
    json::Value arch = json::Value::array();
    arch.push(mamba2 ? "Mamba2ForCausalLM" : "MambaForCausalLM");
    c.set("architectures", std::move(arch));
    c.set("model_type", modelTypeName(o.kind));
    c.set("hidden_size", o.dModel);
    c.set("num_hidden_layers", o.nLayer);
    c.set("vocab_size", o.vocabSize);
    c.set("state_size", o.dState);
    c.set("expand", o.expand);
    c.set("conv_kernel", o.dConv);
    c.set("intermediate_size", dInner);
    if (mamba2) {
      c.set("n_groups", o.nGroups);
      c.set("head_dim", o.headDim);
      c.set("num_heads", dInner / o.headDim);
      c.set("chunk_size", o.chunkSize);
      c.set("rms_norm", true);
    } else {
      c.set("time_step_rank", o.dtRank ? o.dtRank : (o.dModel + 15) / 16);
    }
    c.set("use_conv_bias", o.convBias);
    c.set("use_bias", o.projBias);
    c.set("layer_norm_epsilon", 1e-5);
    c.set("residual_in_fp32", true);
    c.set("tie_word_embeddings", !o.untied);
    c.set("torch_dtype", torchDtype(o.dtype));
  } else {
    json::Value ssm = json::Value::object();
    ssm.set("layer", mamba2 ? "Mamba2" : "Mamba1");
    ssm.set("d_state", o.dState);
    ssm.set("d_conv", o.dConv);
    ssm.set("expand", o.expand);
    if (mamba2) {
      ssm.set("headdim", o.headDim);
      ssm.set("ngroups", o.nGroups);
      ssm.set("chunk_size", o.chunkSize);
    } else {
      ssm.set("dt_rank",
              o.dtRank ? json::Value(o.dtRank) : json::Value("auto"));
    }
    ssm.set("conv_bias", o.convBias);
    ssm.set("bias", o.projBias);
    c.set("d_model", o.dModel);
    c.set("d_intermediate", 0);
    c.set("n_layer", o.nLayer);
    c.set("vocab_size", o.vocabSize);
    c.set("ssm_cfg", std::move(ssm));
    c.set("attn_layer_idx", json::Value::array());
    c.set("attn_cfg", json::Value::object());
    c.set("rms_norm", true);
    c.set("residual_in_fp32", true);
    c.set("fused_add_norm", true);
    // 1 keeps the stored vocabulary at --vocab rows.
    c.set("pad_vocab_size_multiple", 1);
    c.set("tie_embeddings", !o.untied);
  }
  return json::write(c, 2) + "\n";
}

std::string ssmc::model::makeCheckpoint(const MakeCheckpointOptions &o) {
  if (std::string err = checkOptions(o); !err.empty())
    return err;
  std::string configText = makeConfigJson(o);
  std::string configPath = detail::joinPath(o.outDir, "config.json");
  ModelConfig config;
  if (std::string err = parseConfig(configPath, configText, config);
      !err.empty())
    return "generated an invalid config: " + err;
  std::vector<WeightSpec> specs = expectedWeights(config);
  int64_t parameters = 0;
  for (const WeightSpec &s : specs) {
    int64_t n = 1;
    for (int64_t d : s.shape)
      n *= d;
    parameters += n;
    if (parameters > kMaxParameters)
      return "the options ask for more than " + std::to_string(kMaxParameters) +
             " parameters";
  }
  if (o.shards > static_cast<int64_t>(specs.size()))
    return "--shards " + std::to_string(o.shards) +
           " is more than the number of tensors (" +
           std::to_string(specs.size()) + ")";
  if (std::string err = detail::makeDirectories(o.outDir); !err.empty())
    return err;

  // Shard k (0-based) gets the tensors, in canonical order, up to the k+1-th
  // N-th of the bytes; every shard gets at least one.
  int64_t shardCount = std::max<int64_t>(o.shards, 1);
  int64_t elem = package::dtypeSize(o.dtype);
  std::vector<int64_t> shardOf(specs.size());
  int64_t totalBytes = parameters * elem, cumulative = 0, shard = 0;
  int64_t count = static_cast<int64_t>(specs.size());
  for (int64_t i = 0; i < count; ++i) {
    shardOf[static_cast<size_t>(i)] = shard;
    int64_t n = 1;
    for (int64_t d : specs[static_cast<size_t>(i)].shape)
      n *= d;
    cumulative += n * elem;
    int64_t tensorsLeft = count - i - 1, shardsLeft = shardCount - 1 - shard;
    bool pastShare = cumulative * shardCount >= totalBytes * (shard + 1);
    if (shardsLeft > 0 && tensorsLeft >= shardsLeft &&
        (pastShare || tensorsLeft == shardsLeft))
      ++shard;
  }

  std::vector<std::map<std::string, TensorBytes>> files(
      static_cast<size_t>(shardCount));
  for (size_t i = 0; i < specs.size(); ++i) {
    const WeightSpec &spec = specs[i];
    std::string name = spec.name;
    if (o.spelling == ConfigSpelling::Original &&
        name == "backbone.embeddings.weight")
      name = "backbone.embedding.weight";
    files[static_cast<size_t>(shardOf[i])].emplace(
        name, encodeTensor(o.dtype, spec.shape, initTensor(spec, o.seed)));
  }

  std::string single = detail::joinPath(o.outDir, "model.safetensors");
  std::string indexPath =
      detail::joinPath(o.outDir, "model.safetensors.index.json");
  if (o.shards == 0) {
    if (std::string err = writeSafetensors(single, files[0]); !err.empty())
      return err;
    // A stale index of an earlier sharded run would only confuse readers.
    ::unlink(indexPath.c_str());
  } else {
    std::map<std::string, std::string> sortedMap;
    for (int64_t k = 0; k < shardCount; ++k) {
      char fileName[64];
      std::snprintf(
          fileName, sizeof(fileName), "model-%05lld-of-%05lld.safetensors",
          static_cast<long long>(k + 1), static_cast<long long>(shardCount));
      const auto &tensors = files[static_cast<size_t>(k)];
      if (std::string err =
              writeSafetensors(detail::joinPath(o.outDir, fileName), tensors);
          !err.empty())
        return err;
      for (const auto &entry : tensors)
        sortedMap.emplace(entry.first, fileName);
    }
    json::Value weightMap = json::Value::object();
    for (const auto &[name, file] : sortedMap)
      weightMap.getObject().emplace_back(name, json::Value(file));
    json::Value metadata = json::Value::object();
    metadata.set("total_size", totalBytes);
    json::Value index = json::Value::object();
    index.set("metadata", std::move(metadata));
    index.set("weight_map", std::move(weightMap));
    std::string text = json::write(index, 2) + "\n";
    if (std::string err =
            detail::writeFileAtomic(indexPath, text.data(), text.size());
        !err.empty())
      return err;
    // model.safetensors, when present, takes precedence over the index.
    ::unlink(single.c_str());
  }
  return detail::writeFileAtomic(configPath, configText.data(),
                                 configText.size());
}
