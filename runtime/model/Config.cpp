//===- Config.cpp - config.json of Mamba / Mamba-2 checkpoints ------------===//
//
// HF transformers configs (model_type "mamba" / "mamba2", hidden_size, ...)
// and original state-spaces configs (d_model, n_layer, ssm_cfg {...}) are
// read into one ModelConfig. Keys that are absent take the defaults of the
// implementation that wrote the spelling (MambaConfig / Mamba2Config of
// transformers, mamba_ssm's MambaConfig and Mamba / Mamba2 modules); keys
// that are present are checked for type and range, and variants that ssmc
// does not implement (MLP or attention blocks, LayerNorm, norm before gate)
// are refused by name rather than silently misread.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Config.h"

#include "Files.h"
#include "ssmc/runtime/Json.h"

#include <cmath>
#include <limits>

using namespace ssmc;
using namespace ssmc::model;

namespace {

/// The largest size accepted for any dimension: far above every released
/// model, small enough that products of sizes cannot overflow int64.
constexpr int64_t kMaxSize = int64_t(1) << 24;
/// Released models have at most 64 layers; the bound keeps a hostile config
/// from making the layout tables of Layout.cpp huge.
constexpr int64_t kMaxLayers = 65536;

/// Python's json.dump writes inf as the bare word Infinity, which RFC 8259
/// does not allow; transformers writes time_step_limit that way. Outside
/// strings, the word becomes a number of the same width that strtod reads as
/// infinity, so that line:column positions of parse errors stay right.
std::string replaceInfinity(const std::string &text) {
  static const char word[] = "Infinity";
  static const char number[] = "1e999   ";
  static_assert(sizeof(word) == sizeof(number), "same width");
  std::string out = text;
  bool inString = false;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (out.compare(i, sizeof(word) - 1, word) == 0) {
      out.replace(i, sizeof(word) - 1, number);
      i += sizeof(word) - 2;
    }
  }
  return out;
}

/// A number, or a float transformers' JSON encoder tagged because JSON has
/// no word for it: {"__float__": "Infinity"} (also "-Infinity", "NaN").
bool numberOf(const json::Value &v, double &out) {
  if (v.isNumber()) {
    out = v.getNumber();
    return true;
  }
  const json::Value *tagged = v.isObject() ? v.find("__float__") : nullptr;
  if (!tagged || !tagged->isString() || v.getObject().size() != 1)
    return false;
  const std::string &word = tagged->getString();
  if (word == "Infinity" || word == "inf")
    out = std::numeric_limits<double>::infinity();
  else if (word == "-Infinity" || word == "-inf")
    out = -std::numeric_limits<double>::infinity();
  else if (word == "NaN" || word == "nan")
    out = std::numeric_limits<double>::quiet_NaN();
  else
    return false;
  return true;
}

/// Reads typed keys of one JSON object, recording the first error.
class KeyReader {
public:
  KeyReader(const std::string &path, const json::Value &object,
            std::string prefix)
      : path(path), object(object), prefix(std::move(prefix)) {}

  bool has(const char *key) const { return object.find(key) != nullptr; }

  /// An integer in [lo, hi]; `required` keys must be present, others keep
  /// `out` as the default.
  bool getInt(const char *key, int64_t lo, int64_t hi, int64_t &out,
              bool required = false) {
    const json::Value *v = lookup(key);
    if (!v)
      return ok(key, required);
    int64_t value = 0;
    if (!integerOf(*v, value) || value < lo || value > hi)
      return fail(key,
                  "must be an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]",
                  *v);
    out = value;
    return true;
  }

  bool getBool(const char *key, bool &out) {
    const json::Value *v = lookup(key);
    if (!v)
      return true;
    if (!v->isBool())
      return fail(key, "must be true or false", *v);
    out = v->getBool();
    return true;
  }

  /// A finite number > 0.
  bool getPositive(const char *key, double &out) {
    const json::Value *v = lookup(key);
    if (!v)
      return true;
    if (!v->isNumber() || !std::isfinite(v->getNumber()) || v->getNumber() <= 0)
      return fail(key, "must be a positive number", *v);
    out = v->getNumber();
    return true;
  }

  /// A string; absent keys leave `out` unchanged.
  bool getString(const char *key, std::string &out, bool required = false) {
    const json::Value *v = lookup(key);
    if (!v)
      return ok(key, required);
    if (!v->isString())
      return fail(key, "must be a string", *v);
    out = v->getString();
    return true;
  }

  /// "auto" (ceil(dModel / 16)) or an integer.
  bool getRank(const char *key, int64_t dModel, int64_t &out) {
    const json::Value *v = lookup(key);
    if (!v || (v->isString() && v->getString() == "auto")) {
      out = (dModel + 15) / 16;
      return true;
    }
    int64_t value = 0;
    if (!integerOf(*v, value) || value < 1 || value > kMaxSize)
      return fail(key,
                  "must be \"auto\" or an integer in [1, " +
                      std::to_string(kMaxSize) + "]",
                  *v);
    out = value;
    return true;
  }

  /// [lo, hi] with 0 <= lo < hi (hi may be Infinity).
  bool getLimit(const char *key, double &lo, double &hi, bool &has) {
    const json::Value *v = lookup(key);
    if (!v)
      return true;
    bool good = v->isArray() && v->getArray().size() == 2 &&
                numberOf(v->getArray()[0], lo) &&
                numberOf(v->getArray()[1], hi);
    if (good)
      good = std::isfinite(lo) && lo >= 0 && !std::isnan(hi) && hi > lo;
    if (!good)
      return fail(key, "must be [lo, hi] with 0 <= lo < hi", *v);
    has = !(lo == 0 && std::isinf(hi));
    return true;
  }

  /// Refuses a key whose value is not `expected` (a variant ssmc does not
  /// implement), explaining with `why`.
  bool requireValue(const char *key, const json::Value &expected,
                    const char *why) {
    const json::Value *v = lookup(key);
    if (!v || json::write(*v) == json::write(expected))
      return true;
    return failWith("key '" + prefix + key + "' is " + json::write(*v) + ": " +
                    why);
  }

  const std::string &error() const { return firstError; }

  bool failWith(const std::string &message) {
    if (firstError.empty())
      firstError = path + ": " + message;
    return false;
  }

private:
  const std::string &path;
  const json::Value &object;
  std::string prefix;
  std::string firstError;

  const json::Value *lookup(const char *key) const { return object.find(key); }

  bool ok(const char *key, bool required) {
    if (!required)
      return true;
    return failWith("missing key '" + prefix + key + "'");
  }

  bool fail(const char *key, const std::string &what, const json::Value &v) {
    return failWith("key '" + prefix + key + "' " + what + " (got " +
                    json::write(v) + ")");
  }

  static bool integerOf(const json::Value &v, int64_t &out) {
    if (v.isInteger()) {
      out = v.getInteger();
      return true;
    }
    // 768.0 is an integer too; the bounds keep the cast defined.
    if (v.isNumber() && std::isfinite(v.getNumber()) &&
        v.getNumber() == std::floor(v.getNumber()) &&
        std::fabs(v.getNumber()) < 9.0e18) {
      out = static_cast<int64_t>(v.getNumber());
      return true;
    }
    return false;
  }
};

/// The Mamba-2 head layout checks shared by both spellings.
bool checkHeads(KeyReader &keys, ModelConfig &c, const char *dInnerText,
                const char *headDimKey, const char *nGroupsKey) {
  if (c.dInner % c.headDim != 0)
    return keys.failWith("d_inner " + std::to_string(c.dInner) + " (" +
                         dInnerText + ") is not a multiple of " + headDimKey +
                         " " + std::to_string(c.headDim));
  c.nHeads = c.dInner / c.headDim;
  if (c.nHeads % c.nGroups != 0)
    return keys.failWith("the number of heads " + std::to_string(c.nHeads) +
                         " (" + dInnerText + " / " + headDimKey +
                         ") is not a multiple of " + nGroupsKey + " " +
                         std::to_string(c.nGroups));
  return true;
}

/// transformers' MambaConfig / Mamba2Config.
std::string parseHF(const std::string &path, const json::Value &root,
                    ModelConfig &c) {
  KeyReader keys(path, root, "");
  std::string type;
  if (!keys.getString("model_type", type, true))
    return keys.error();
  if (type == "mamba")
    c.kind = ModelKind::Mamba;
  else if (type == "mamba2")
    c.kind = ModelKind::Mamba2;
  else
    return path + ": unknown model_type '" + type +
           "' (expected mamba or mamba2)";
  bool mamba2 = c.kind == ModelKind::Mamba2;
  c.spelling = ConfigSpelling::HF;
  // transformers normalises the gated output over the whole width.
  c.normPerGroup = false;
  int64_t expand = 2;
  c.dState = mamba2 ? 128 : 16;
  c.dConv = 4;
  c.tieEmbeddings = !mamba2;
  // Each getter records the first error; && stops at it.
  keys.getInt("hidden_size", 1, kMaxSize, c.dModel, true) &&
      keys.getInt("num_hidden_layers", 1, kMaxLayers, c.nLayer, true) &&
      keys.getInt("vocab_size", 1, kMaxSize, c.vocabSize, true) &&
      keys.getInt("state_size", 1, kMaxSize, c.dState) &&
      keys.getInt("expand", 1, 1024, expand) &&
      keys.getInt("conv_kernel", 1, 1024, c.dConv) &&
      keys.getBool("use_conv_bias", c.convBias) &&
      keys.getBool("use_bias", c.projBias) &&
      keys.getPositive("layer_norm_epsilon", c.eps) &&
      keys.getBool("tie_word_embeddings", c.tieEmbeddings);
  if (!keys.error().empty())
    return keys.error();
  c.dInner = expand * c.dModel;
  int64_t intermediate = c.dInner;
  if (!keys.getInt("intermediate_size", 1, kMaxSize * 1024, intermediate))
    return keys.error();
  if (intermediate != c.dInner)
    return path + ": key 'intermediate_size' is " +
           std::to_string(intermediate) + " but expand * hidden_size is " +
           std::to_string(c.dInner);
  if (!mamba2) {
    keys.getRank("time_step_rank", c.dModel, c.dtRank);
    return keys.error();
  }
  c.dtRank = 0;
  c.nGroups = 8;
  c.headDim = 64;
  c.chunkSize = 256;
  int64_t numHeads = 0;
  bool rmsNorm = true;
  keys.getInt("n_groups", 1, kMaxSize, c.nGroups) &&
      keys.getInt("head_dim", 1, kMaxSize, c.headDim) &&
      keys.getInt("num_heads", 1, kMaxSize, numHeads) &&
      keys.getInt("chunk_size", 1, kMaxSize, c.chunkSize) &&
      keys.getLimit("time_step_limit", c.dtLimitLo, c.dtLimitHi,
                    c.hasDtLimit) &&
      keys.getBool("rms_norm", rmsNorm) &&
      (rmsNorm || keys.failWith("key 'rms_norm' is false: only the gated "
                                "RMSNorm variant is supported")) &&
      checkHeads(keys, c, "expand * hidden_size", "head_dim", "n_groups");
  if (!keys.error().empty())
    return keys.error();
  if (keys.has("num_heads") && numHeads != c.nHeads)
    return path + ": key 'num_heads' is " + std::to_string(numHeads) +
           " but expand * hidden_size / head_dim is " +
           std::to_string(c.nHeads);
  return "";
}

/// mamba_ssm's MambaConfig with ssm_cfg for its Mamba / Mamba2 mixer.
std::string parseOriginal(const std::string &path, const json::Value &root,
                          ModelConfig &c) {
  KeyReader keys(path, root, "");
  c.spelling = ConfigSpelling::Original;
  c.normPerGroup = true;
  int64_t padMultiple = 8;
  bool rmsNorm = true;
  keys.getInt("d_model", 1, kMaxSize, c.dModel, true) &&
      keys.getInt("n_layer", 1, kMaxLayers, c.nLayer, true) &&
      keys.getInt("vocab_size", 1, kMaxSize, c.vocabSize, true) &&
      keys.getInt("pad_vocab_size_multiple", 1, kMaxSize, padMultiple) &&
      keys.getBool("tie_embeddings", c.tieEmbeddings) &&
      keys.getPositive("norm_epsilon", c.eps) &&
      keys.getBool("rms_norm", rmsNorm) &&
      (rmsNorm || keys.failWith("key 'rms_norm' is false: only RMSNorm "
                                "models are supported")) &&
      keys.requireValue("d_intermediate", json::Value(0),
                        "MLP blocks are not supported (expected 0)") &&
      keys.requireValue("attn_layer_idx", json::Value::array(),
                        "attention layers are not supported (expected [])");
  if (!keys.error().empty())
    return keys.error();
  c.vocabSize = (c.vocabSize + padMultiple - 1) / padMultiple * padMultiple;

  static const json::Value emptyObject = json::Value::object();
  const json::Value *ssmCfg = root.find("ssm_cfg");
  if (ssmCfg && !ssmCfg->isObject())
    return path + ": key 'ssm_cfg' must be an object (got " +
           json::write(*ssmCfg) + ")";
  KeyReader ssm(path, ssmCfg ? *ssmCfg : emptyObject, "ssm_cfg.");
  std::string layer = "Mamba1";
  if (!ssm.getString("layer", layer))
    return ssm.error();
  if (layer == "Mamba1")
    c.kind = ModelKind::Mamba;
  else if (layer == "Mamba2")
    c.kind = ModelKind::Mamba2;
  else
    return path + ": key 'ssm_cfg.layer' is '" + layer +
           "' (expected Mamba1 or Mamba2)";
  bool mamba2 = c.kind == ModelKind::Mamba2;
  int64_t expand = 2;
  c.dState = mamba2 ? 128 : 16;
  c.dConv = 4;
  ssm.getInt("d_state", 1, kMaxSize, c.dState) &&
      ssm.getInt("d_conv", 1, 1024, c.dConv) &&
      ssm.getInt("expand", 1, 1024, expand) &&
      ssm.getBool("conv_bias", c.convBias) && ssm.getBool("bias", c.projBias);
  if (!ssm.error().empty())
    return ssm.error();
  c.dInner = expand * c.dModel;
  if (!mamba2) {
    ssm.getRank("dt_rank", c.dModel, c.dtRank);
    return ssm.error();
  }
  c.dtRank = 0;
  c.nGroups = 1;
  c.headDim = 64;
  c.chunkSize = 256;
  bool gatedNorm = true, normBeforeGate = false, dHasHeadDim = false;
  int64_t dSsm = c.dInner;
  ssm.getInt("headdim", 1, kMaxSize, c.headDim) &&
      ssm.getInt("ngroups", 1, kMaxSize, c.nGroups) &&
      ssm.getInt("chunk_size", 1, kMaxSize, c.chunkSize) &&
      ssm.getLimit("dt_limit", c.dtLimitLo, c.dtLimitHi, c.hasDtLimit) &&
      ssm.getBool("rmsnorm", gatedNorm) &&
      (gatedNorm || ssm.failWith("key 'ssm_cfg.rmsnorm' is false: only the "
                                 "gated RMSNorm variant is supported")) &&
      ssm.getBool("norm_before_gate", normBeforeGate) &&
      (!normBeforeGate ||
       ssm.failWith("key 'ssm_cfg.norm_before_gate' is true: only the gate "
                    "before the norm is supported")) &&
      ssm.getBool("D_has_hdim", dHasHeadDim) &&
      (!dHasHeadDim || ssm.failWith("key 'ssm_cfg.D_has_hdim' is true: only "
                                    "one D per head is supported")) &&
      ssm.getInt("d_ssm", 1, kMaxSize * 1024, dSsm) &&
      (dSsm == c.dInner ||
       ssm.failWith("key 'ssm_cfg.d_ssm' is " + std::to_string(dSsm) +
                    ": only d_ssm = expand * d_model (" +
                    std::to_string(c.dInner) + ") is supported")) &&
      checkHeads(ssm, c, "ssm_cfg.expand * d_model", "ssm_cfg.headdim",
                 "ssm_cfg.ngroups");
  return ssm.error();
}

} // namespace

const char *ssmc::model::modelTypeName(ModelKind kind) {
  return kind == ModelKind::Mamba2 ? "mamba2" : "mamba";
}

std::string ssmc::model::parseConfig(const std::string &path,
                                     const std::string &text,
                                     ModelConfig &out) {
  json::Value root;
  if (std::string err = json::parse(replaceInfinity(text), root); !err.empty())
    return path + ":" + err;
  if (!root.isObject())
    return path + ": expected a JSON object";
  ModelConfig config;
  config.dtLimitHi = std::numeric_limits<double>::infinity();
  std::string err;
  if (root.find("model_type"))
    err = parseHF(path, root, config);
  else if (root.find("d_model"))
    err = parseOriginal(path, root, config);
  else
    err = path + ": missing key 'model_type' (or 'd_model' for a "
                 "state-spaces config)";
  if (!err.empty())
    return err;
  out = config;
  return "";
}

std::string ssmc::model::readConfig(const std::string &dir, ModelConfig &out) {
  std::string path = detail::joinPath(dir, "config.json");
  std::string text;
  if (std::string err = detail::readWholeFile(path, text); !err.empty())
    return err;
  return parseConfig(path, text, out);
}
