//===- Model.cpp - float64 reference of whole Mamba / Mamba-2 models ------===//
//
// Written for clarity, not speed: every tensor is looked up and its shape
// checked against the config first, then the layers run as compositions of
// the ops of Reference.h (linear, causalConv1d, selectiveScan / ssdRecurrent
// for a prompt, stateUpdate for a decode step, rmsNorm, gatedRmsNorm).
//
//===----------------------------------------------------------------------===//

#include "ssmc/reference/Model.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

using namespace ssmc::reference;
using ssmc::model::ModelConfig;
using ssmc::model::ModelKind;

namespace {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + ")";
}

/// Keeps the first error of an entry point; later checks are no-ops.
class Checker {
public:
  explicit Checker(const char *op) : op(op) {}

  bool failed() const { return !msg.empty(); }
  const std::string &message() const { return msg; }

  void require(bool cond, const std::string &what) {
    if (!failed() && !cond)
      msg = std::string(op) + ": " + what;
  }

  /// Fails unless \p t (named \p name in the message) has a data size that
  /// matches its shape: Tensor's fields are public, so it may not.
  bool wellFormed(const std::string &name, const Tensor &t) {
    bool nonNegative = true;
    for (int64_t s : t.shape)
      nonNegative &= s >= 0;
    require(nonNegative, "'" + name + "' has shape " + shapeString(t.shape) +
                             " with a negative dimension");
    require(!nonNegative || static_cast<int64_t>(t.data.size()) == t.numel(),
            "'" + name + "' has shape " + shapeString(t.shape) + " but " +
                std::to_string(t.data.size()) + " elements");
    return !failed();
  }

  /// Fails unless \p t has exactly the shape \p expected.
  void shape(const std::string &name, const Tensor &t,
             const std::vector<int64_t> &expected) {
    if (failed() || !wellFormed(name, t))
      return;
    require(t.shape == expected, "'" + name + "' has shape " +
                                     shapeString(t.shape) + ", expected " +
                                     shapeString(expected));
  }

private:
  const char *op;
  std::string msg;
};

//===----------------------------------------------------------------------===//
// The config and the checkpoint tensors
//===----------------------------------------------------------------------===//

/// Fails unless \p value > \p min for the config field \p field.
void requireAbove(Checker &check, const char *field, int64_t value,
                  int64_t min) {
  check.require(value > min, "config field '" + std::string(field) + "' is " +
                                 std::to_string(value) + ", expected > " +
                                 std::to_string(min));
}

void checkConfig(Checker &check, const ModelConfig &cfg) {
  requireAbove(check, "dModel", cfg.dModel, 0);
  requireAbove(check, "nLayer", cfg.nLayer, -1);
  requireAbove(check, "vocabSize", cfg.vocabSize, 0);
  requireAbove(check, "dInner", cfg.dInner, 0);
  requireAbove(check, "dState", cfg.dState, 0);
  requireAbove(check, "dConv", cfg.dConv, 0);
  if (cfg.kind == ModelKind::Mamba) {
    requireAbove(check, "dtRank", cfg.dtRank, 0);
    return;
  }
  requireAbove(check, "nGroups", cfg.nGroups, 0);
  requireAbove(check, "headDim", cfg.headDim, 0);
  requireAbove(check, "nHeads", cfg.nHeads, 0);
  if (check.failed())
    return;
  check.require(cfg.nHeads * cfg.headDim == cfg.dInner,
                "config has nHeads=" + std::to_string(cfg.nHeads) +
                    " and headDim=" + std::to_string(cfg.headDim) +
                    ", expected their product to be dInner=" +
                    std::to_string(cfg.dInner));
  check.require(
      cfg.nHeads % cfg.nGroups == 0,
      "config has nGroups=" + std::to_string(cfg.nGroups) +
          ", which does not divide nHeads=" + std::to_string(cfg.nHeads));
  check.require(!cfg.hasDtLimit || !(cfg.dtLimitLo > cfg.dtLimitHi),
                "config has dtLimitLo=" + std::to_string(cfg.dtLimitLo) +
                    " > dtLimitHi=" + std::to_string(cfg.dtLimitHi));
}

/// Width of the conv: d (Mamba) or d + 2gn (Mamba-2, over xBC).
int64_t convChannels(const ModelConfig &cfg) {
  return cfg.kind == ModelKind::Mamba
             ? cfg.dInner
             : cfg.dInner + 2 * cfg.nGroups * cfg.dState;
}

/// The checked tensors of one layer; null where an optional tensor is not
/// used by the config, and where a tensor belongs to the other model kind.
struct LayerTensors {
  const Tensor *norm = nullptr;
  const Tensor *inProj = nullptr, *inProjBias = nullptr;
  Tensor convW; ///< (C,k): a copy, checkpoints store (C,1,k)
  const Tensor *convB = nullptr;
  const Tensor *xProj = nullptr, *dtProjW = nullptr, *dtProjB = nullptr;
  const Tensor *dtBias = nullptr, *normW = nullptr;
  const Tensor *ALog = nullptr, *D = nullptr;
  const Tensor *outProj = nullptr, *outProjBias = nullptr;
};

struct ModelTensors {
  const Tensor *embeddings = nullptr, *normF = nullptr, *lmHead = nullptr;
  std::vector<LayerTensors> layers;
};

/// Looks tensors up by name and checks their shapes.
class Loader {
public:
  Loader(Checker &check, const WeightLookup &lookup)
      : check(check), lookup(lookup) {}

  /// The tensor \p name of shape \p expected; null (and an error) when it
  /// is absent or misshapen.
  const Tensor *get(const std::string &name,
                    const std::vector<int64_t> &expected) {
    const Tensor *t = find(name);
    check.require(t != nullptr, "missing tensor '" + name + "'");
    if (t)
      check.shape(name, *t, expected);
    return check.failed() ? nullptr : t;
  }

  /// get() when \p wanted, else null without looking.
  const Tensor *getIf(bool wanted, const std::string &name,
                      const std::vector<int64_t> &expected) {
    return wanted ? get(name, expected) : nullptr;
  }

  /// The conv weight, stored (C,1,k) by checkpoints or (C,k), as (C,k).
  Tensor getConv(const std::string &name, int64_t c, int64_t k) {
    const Tensor *t = find(name);
    check.require(t != nullptr, "missing tensor '" + name + "'");
    if (!t || !check.wellFormed(name, *t))
      return Tensor();
    check.require(t->shape == std::vector<int64_t>{c, 1, k} ||
                      t->shape == std::vector<int64_t>{c, k},
                  "'" + name + "' has shape " + shapeString(t->shape) +
                      ", expected " + shapeString({c, 1, k}) + " or " +
                      shapeString({c, k}));
    if (check.failed())
      return Tensor();
    Tensor w = *t;
    w.shape = {c, k};
    return w;
  }

  const Tensor *find(const std::string &name) {
    return check.failed() ? nullptr : lookup(name);
  }

private:
  Checker &check;
  const WeightLookup &lookup;
};

void loadLayer(Loader &load, const ModelConfig &cfg, int64_t i,
               LayerTensors &t) {
  const std::string layer = "backbone.layers." + std::to_string(i) + ".";
  const std::string mixer = layer + "mixer.";
  int64_t dm = cfg.dModel, d = cfg.dInner, n = cfg.dState, k = cfg.dConv;
  int64_t c = convChannels(cfg);
  // Rows of in_proj: [x, z] (Mamba) or [z, xBC, dt] (Mamba-2).
  int64_t inRows = cfg.kind == ModelKind::Mamba ? 2 * d : d + c + cfg.nHeads;

  t.norm = load.get(layer + "norm.weight", {dm});
  t.inProj = load.get(mixer + "in_proj.weight", {inRows, dm});
  t.inProjBias = load.getIf(cfg.projBias, mixer + "in_proj.bias", {inRows});
  t.convW = load.getConv(mixer + "conv1d.weight", c, k);
  t.convB = load.getIf(cfg.convBias, mixer + "conv1d.bias", {c});
  if (cfg.kind == ModelKind::Mamba) {
    int64_t r = cfg.dtRank;
    t.xProj = load.get(mixer + "x_proj.weight", {r + 2 * n, d});
    t.dtProjW = load.get(mixer + "dt_proj.weight", {d, r});
    t.dtProjB = load.get(mixer + "dt_proj.bias", {d});
    t.ALog = load.get(mixer + "A_log", {d, n});
    t.D = load.get(mixer + "D", {d});
  } else {
    int64_t h = cfg.nHeads;
    t.dtBias = load.get(mixer + "dt_bias", {h});
    t.ALog = load.get(mixer + "A_log", {h});
    t.D = load.get(mixer + "D", {h});
    t.normW = load.get(mixer + "norm.weight", {d});
  }
  t.outProj = load.get(mixer + "out_proj.weight", {dm, d});
  t.outProjBias = load.getIf(cfg.projBias, mixer + "out_proj.bias", {dm});
}

/// Checks the config and looks up and checks every tensor of the model.
void loadModel(Checker &check, const ModelConfig &cfg, const WeightLookup &w,
               ModelTensors &m) {
  check.require(static_cast<bool>(w), "no weight lookup");
  checkConfig(check, cfg);
  if (check.failed())
    return;
  Loader load(check, w);
  int64_t dm = cfg.dModel, vocab = cfg.vocabSize;
  m.embeddings = load.get("backbone.embeddings.weight", {vocab, dm});
  m.layers.resize(static_cast<size_t>(cfg.nLayer));
  for (int64_t i = 0; i < cfg.nLayer; ++i)
    loadLayer(load, cfg, i, m.layers[static_cast<size_t>(i)]);
  m.normF = load.get("backbone.norm_f.weight", {dm});
  // A tied checkpoint usually leaves lm_head out; when it is present anyway
  // it is what the logits use.
  const Tensor *head = load.find("lm_head.weight");
  check.require(head || cfg.tieEmbeddings,
                "missing tensor 'lm_head.weight' (tieEmbeddings is false)");
  m.lmHead = head ? load.get("lm_head.weight", {vocab, dm}) : m.embeddings;
}

//===----------------------------------------------------------------------===//
// Small tensor helpers
//===----------------------------------------------------------------------===//

/// A copy of an optional tensor (the ops take biases by value).
std::optional<Tensor> copyOf(const Tensor *t) {
  return t ? std::optional<Tensor>(*t) : std::nullopt;
}

Tensor reshaped(Tensor t, std::vector<int64_t> shape) {
  t.shape = std::move(shape);
  return t;
}

/// A = -exp(A_log).
Tensor negExp(const Tensor &aLog) {
  Tensor a = aLog;
  for (double &v : a.data)
    v = -std::exp(v);
  return a;
}

/// Rows \p tokens of the embedding, shaped (..., dm) by \p shape.
Tensor embed(const Tensor &embeddings, const std::vector<int64_t> &tokens,
             std::vector<int64_t> shape) {
  int64_t dm = embeddings.dim(1);
  Tensor x(std::move(shape));
  for (size_t t = 0; t < tokens.size(); ++t)
    for (int64_t j = 0; j < dm; ++j)
      x.data[t * dm + j] = embeddings.at({tokens[t], j});
  return x;
}

/// Copies \p row (one sequence, batch 1) into batch row \p i of \p batch.
void setRow(Tensor &batch, int64_t i, const Tensor &row) {
  std::copy(row.data.begin(), row.data.end(),
            batch.data.begin() + i * row.numel());
}

std::optional<DtLimit> dtLimit(const ModelConfig &cfg) {
  if (!cfg.hasDtLimit)
    return std::nullopt;
  return DtLimit{cfg.dtLimitLo, cfg.dtLimitHi};
}

/// mamba_ssm normalises y * silu(z) over groups of d/g channels, HF
/// transformers over the whole width.
int64_t normGroupSize(const ModelConfig &cfg) {
  return cfg.normPerGroup ? cfg.dInner / cfg.nGroups : cfg.dInner;
}

//===----------------------------------------------------------------------===//
// The mixers: a whole sequence (prefill) and one token (decode)
//===----------------------------------------------------------------------===//

// Prefill runs one sequence, x (1,l,dm) -> out (1,l,dm), from zero state and
// sets the batch-1 cache to the state after it. Decode runs one token of b
// sequences, x (b,dm) -> out (b,dm), from and into `cache`.

std::string mambaPrefill(const ModelConfig &cfg, const LayerTensors &t,
                         const Tensor &x, Tensor &out, LayerCache &cache) {
  int64_t l = x.dim(1), d = cfg.dInner, n = cfg.dState, r = cfg.dtRank;
  Tensor xz, xdbl, dt;
  std::string err = linear(x, *t.inProj, copyOf(t.inProjBias), xz);
  CausalConv1dOutputs conv;
  if (err.empty())
    err = causalConv1d({transpose12(sliceLast(xz, 0, d)), t.convW,
                        copyOf(t.convB), std::nullopt, /*silu=*/true},
                       conv);
  if (err.empty())
    err = linear(transpose12(conv.y), *t.xProj, std::nullopt, xdbl);
  if (err.empty())
    err = linear(sliceLast(xdbl, 0, r), *t.dtProjW, std::nullopt, dt);
  if (!err.empty())
    return err;

  SelectiveScanInputs s;
  s.u = conv.y;
  s.delta = transpose12(dt);
  s.A = negExp(*t.ALog);
  s.B = reshaped(transpose12(sliceLast(xdbl, r, r + n)), {1, 1, n, l});
  s.C = reshaped(transpose12(sliceLast(xdbl, r + n, r + 2 * n)), {1, 1, n, l});
  s.D = *t.D;
  s.z = transpose12(sliceLast(xz, d, 2 * d));
  s.deltaBias = *t.dtProjB;
  s.deltaSoftplus = true;
  SelectiveScanOutputs scan;
  err = selectiveScan(s, scan);
  if (err.empty())
    err = linear(transpose12(scan.out), *t.outProj, copyOf(t.outProjBias), out);
  if (err.empty())
    cache = {std::move(conv.newConvState), std::move(scan.finalState)};
  return err;
}

std::string mambaDecode(const ModelConfig &cfg, const LayerTensors &t,
                        const Tensor &x, Tensor &out, LayerCache &cache) {
  int64_t b = x.dim(0), d = cfg.dInner, n = cfg.dState, r = cfg.dtRank;
  Tensor xz, xdbl, dt;
  std::string err = linear(x, *t.inProj, copyOf(t.inProjBias), xz);
  // The conv shifts the new input into the cached k-1 previous ones.
  CausalConv1dOutputs conv;
  if (err.empty())
    err = causalConv1d({reshaped(sliceLast(xz, 0, d), {b, d, 1}), t.convW,
                        copyOf(t.convB), cache.convState, /*silu=*/true},
                       conv);
  Tensor u = reshaped(conv.y, {b, d});
  if (err.empty())
    err = linear(u, *t.xProj, std::nullopt, xdbl);
  if (err.empty())
    err = linear(sliceLast(xdbl, 0, r), *t.dtProjW, std::nullopt, dt);
  if (!err.empty())
    return err;

  StateUpdateInputs s;
  s.state = cache.ssmState;
  s.x = u;
  s.dt = dt;
  s.A = negExp(*t.ALog);
  s.B = reshaped(sliceLast(xdbl, r, r + n), {b, 1, n});
  s.C = reshaped(sliceLast(xdbl, r + n, r + 2 * n), {b, 1, n});
  s.D = *t.D;
  s.z = sliceLast(xz, d, 2 * d);
  s.dtBias = *t.dtProjB;
  s.dtSoftplus = true;
  StateUpdateOutputs step;
  err = stateUpdate(s, step);
  if (err.empty())
    err = linear(step.y, *t.outProj, copyOf(t.outProjBias), out);
  if (err.empty())
    cache = {std::move(conv.newConvState), std::move(step.newState)};
  return err;
}

// Mamba-2 runs the SSD in its recurrent form, the definition; ssdChunked
// agrees with it to rounding (the mixer tests compare against mamba2Mixer,
// which is chunked).
std::string mamba2Prefill(const ModelConfig &cfg, const LayerTensors &t,
                          const Tensor &x, Tensor &out, LayerCache &cache) {
  int64_t l = x.dim(1), d = cfg.dInner, n = cfg.dState, h = cfg.nHeads;
  int64_t p = cfg.headDim, g = cfg.nGroups, c = convChannels(cfg);
  Tensor zxbcdt;
  std::string err = linear(x, *t.inProj, copyOf(t.inProjBias), zxbcdt);
  CausalConv1dOutputs conv;
  if (err.empty())
    err = causalConv1d({transpose12(sliceLast(zxbcdt, d, d + c)), t.convW,
                        copyOf(t.convB), std::nullopt, /*silu=*/true},
                       conv);
  if (!err.empty())
    return err;
  Tensor xBC = transpose12(conv.y);

  SsdInputs s;
  s.x = reshaped(sliceLast(xBC, 0, d), {1, l, h, p});
  s.dt = sliceLast(zxbcdt, d + c, d + c + h);
  s.A = negExp(*t.ALog);
  s.B = reshaped(sliceLast(xBC, d, d + g * n), {1, l, g, n});
  s.C = reshaped(sliceLast(xBC, d + g * n, c), {1, l, g, n});
  s.D = *t.D;
  s.dtBias = *t.dtBias;
  s.dtSoftplus = true;
  s.dtLimit = dtLimit(cfg);
  SsdOutputs ssd;
  err = ssdRecurrent(s, ssd);
  Tensor normed;
  if (err.empty())
    err = gatedRmsNorm(reshaped(ssd.out, {1, l, d}), sliceLast(zxbcdt, 0, d),
                       *t.normW, cfg.eps, normGroupSize(cfg), normed);
  if (err.empty())
    err = linear(normed, *t.outProj, copyOf(t.outProjBias), out);
  if (err.empty())
    cache = {std::move(conv.newConvState), std::move(ssd.finalStates)};
  return err;
}

std::string mamba2Decode(const ModelConfig &cfg, const LayerTensors &t,
                         const Tensor &x, Tensor &out, LayerCache &cache) {
  int64_t b = x.dim(0), d = cfg.dInner, n = cfg.dState, h = cfg.nHeads;
  int64_t p = cfg.headDim, g = cfg.nGroups, c = convChannels(cfg);
  Tensor zxbcdt;
  std::string err = linear(x, *t.inProj, copyOf(t.inProjBias), zxbcdt);
  CausalConv1dOutputs conv;
  if (err.empty())
    err = causalConv1d({reshaped(sliceLast(zxbcdt, d, d + c), {b, c, 1}),
                        t.convW, copyOf(t.convB), cache.convState,
                        /*silu=*/true},
                       conv);
  if (!err.empty())
    return err;
  Tensor xBC = reshaped(conv.y, {b, c});

  StateUpdateInputs s;
  s.state = cache.ssmState;
  s.x = reshaped(sliceLast(xBC, 0, d), {b, h, p});
  s.dt = sliceLast(zxbcdt, d + c, d + c + h);
  s.A = negExp(*t.ALog);
  s.B = reshaped(sliceLast(xBC, d, d + g * n), {b, g, n});
  s.C = reshaped(sliceLast(xBC, d + g * n, c), {b, g, n});
  s.D = *t.D;
  s.dtBias = *t.dtBias;
  s.dtSoftplus = true;
  s.dtLimit = dtLimit(cfg);
  StateUpdateOutputs step;
  err = stateUpdate(s, step);
  Tensor normed;
  if (err.empty())
    err = gatedRmsNorm(reshaped(step.y, {b, d}), sliceLast(zxbcdt, 0, d),
                       *t.normW, cfg.eps, normGroupSize(cfg), normed);
  if (err.empty())
    err = linear(normed, *t.outProj, copyOf(t.outProjBias), out);
  if (err.empty())
    cache = {std::move(conv.newConvState), std::move(step.newState)};
  return err;
}

/// The cache shapes of one layer for a batch of \p b sequences.
LayerCache emptyLayerCache(const ModelConfig &cfg, int64_t b) {
  std::vector<int64_t> ssm =
      cfg.kind == ModelKind::Mamba
          ? std::vector<int64_t>{b, cfg.dInner, cfg.dState}
          : std::vector<int64_t>{b, cfg.nHeads, cfg.headDim, cfg.dState};
  return {Tensor({b, convChannels(cfg), cfg.dConv - 1}), Tensor(ssm)};
}

/// hidden (..., dm) -> logits (..., vocab): norm_f, then the lm head.
std::string lmHead(const ModelConfig &cfg, const ModelTensors &m,
                   const Tensor &hidden, Tensor &logits) {
  Tensor normed;
  std::string err = rmsNorm(hidden, *m.normF, cfg.eps, normed);
  if (err.empty())
    err = linear(normed, *m.lmHead, std::nullopt, logits);
  return err;
}

void addInPlace(Tensor &acc, const Tensor &t) {
  for (size_t i = 0; i < acc.data.size(); ++i)
    acc.data[i] += t.data[i];
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::string
ssmc::reference::modelPrefill(const ModelConfig &cfg, const WeightLookup &w,
                              const std::vector<std::vector<int64_t>> &prompts,
                              std::vector<Tensor> &logits, ModelCache *cache) {
  Checker check("model_prefill");
  ModelTensors m;
  loadModel(check, cfg, w, m);
  for (size_t i = 0; i < prompts.size(); ++i)
    for (size_t t = 0; t < prompts[i].size(); ++t) {
      int64_t id = prompts[i][t];
      check.require(id >= 0 && id < cfg.vocabSize,
                    "prompt " + std::to_string(i) + " position " +
                        std::to_string(t) + ": token id " + std::to_string(id) +
                        " is out of range [0," + std::to_string(cfg.vocabSize) +
                        ")");
    }
  if (check.failed())
    return check.message();

  int64_t b = static_cast<int64_t>(prompts.size());
  std::vector<Tensor> result;
  ModelCache caches;
  for (int64_t i = 0; i < cfg.nLayer; ++i)
    caches.layers.push_back(emptyLayerCache(cfg, b));
  for (int64_t i = 0; i < b; ++i) {
    const std::vector<int64_t> &prompt = prompts[static_cast<size_t>(i)];
    int64_t l = static_cast<int64_t>(prompt.size());
    // The residual stream: x += mixer(rmsnorm(x)) per layer.
    Tensor x = embed(*m.embeddings, prompt, {1, l, cfg.dModel});
    for (int64_t layer = 0; layer < cfg.nLayer; ++layer) {
      const LayerTensors &t = m.layers[static_cast<size_t>(layer)];
      Tensor normed, mixed;
      LayerCache state;
      std::string err = rmsNorm(x, *t.norm, cfg.eps, normed);
      if (err.empty())
        err = cfg.kind == ModelKind::Mamba
                  ? mambaPrefill(cfg, t, normed, mixed, state)
                  : mamba2Prefill(cfg, t, normed, mixed, state);
      if (!err.empty())
        return "model_prefill: prompt " + std::to_string(i) + " layer " +
               std::to_string(layer) + ": " + err;
      addInPlace(x, mixed);
      LayerCache &batch = caches.layers[static_cast<size_t>(layer)];
      setRow(batch.convState, i, state.convState);
      setRow(batch.ssmState, i, state.ssmState);
    }
    Tensor out;
    std::string err = lmHead(cfg, m, x, out);
    if (!err.empty())
      return "model_prefill: prompt " + std::to_string(i) + ": " + err;
    result.push_back(reshaped(std::move(out), {l, cfg.vocabSize}));
  }
  logits = std::move(result);
  if (cache)
    *cache = std::move(caches);
  return "";
}

std::string ssmc::reference::modelDecodeStep(const ModelConfig &cfg,
                                             const WeightLookup &w,
                                             const std::vector<int64_t> &tokens,
                                             ModelCache &cache,
                                             Tensor &logits) {
  Checker check("model_decode_step");
  ModelTensors m;
  loadModel(check, cfg, w, m);
  for (size_t i = 0; i < tokens.size(); ++i)
    check.require(tokens[i] >= 0 && tokens[i] < cfg.vocabSize,
                  "sequence " + std::to_string(i) + ": token id " +
                      std::to_string(tokens[i]) + " is out of range [0," +
                      std::to_string(cfg.vocabSize) + ")");
  int64_t b = static_cast<int64_t>(tokens.size());
  check.require(static_cast<int64_t>(cache.layers.size()) == cfg.nLayer,
                "the cache has " + std::to_string(cache.layers.size()) +
                    " layers, expected nLayer=" + std::to_string(cfg.nLayer));
  for (size_t i = 0; i < cache.layers.size() && !check.failed(); ++i) {
    LayerCache expected = emptyLayerCache(cfg, b);
    std::string layer = "cache.layers[" + std::to_string(i) + "].";
    check.shape(layer + "convState", cache.layers[i].convState,
                expected.convState.shape);
    check.shape(layer + "ssmState", cache.layers[i].ssmState,
                expected.ssmState.shape);
  }
  if (check.failed())
    return check.message();

  ModelCache next = cache;
  Tensor x = embed(*m.embeddings, tokens, {b, cfg.dModel});
  for (int64_t layer = 0; layer < cfg.nLayer; ++layer) {
    const LayerTensors &t = m.layers[static_cast<size_t>(layer)];
    LayerCache &state = next.layers[static_cast<size_t>(layer)];
    Tensor normed, mixed;
    std::string err = rmsNorm(x, *t.norm, cfg.eps, normed);
    if (err.empty())
      err = cfg.kind == ModelKind::Mamba
                ? mambaDecode(cfg, t, normed, mixed, state)
                : mamba2Decode(cfg, t, normed, mixed, state);
    if (!err.empty())
      return "model_decode_step: layer " + std::to_string(layer) + ": " + err;
    addInPlace(x, mixed);
  }
  Tensor out;
  std::string err = lmHead(cfg, m, x, out);
  if (!err.empty())
    return "model_decode_step: " + err;
  logits = std::move(out);
  cache = std::move(next);
  return "";
}
