//===- RefModelTest.cpp - Tests of the float64 whole-model reference ------===//
//
// Tiny random models (d_model 8, 2 layers, vocab 11) checked three ways: the
// prefill against a chain of the mixer references of Reference.h, decode
// steps against the prefill at the same positions, and every error message.
//
//===----------------------------------------------------------------------===//

#include "ssmc/reference/Model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

using namespace ssmc::reference;
using ssmc::model::ModelConfig;
using ssmc::model::ModelKind;

namespace {

ModelConfig mambaConfig() {
  ModelConfig cfg;
  cfg.kind = ModelKind::Mamba;
  cfg.dModel = 8;
  cfg.nLayer = 2;
  cfg.vocabSize = 11;
  cfg.dInner = 16;
  cfg.dState = 4;
  cfg.dConv = 4;
  cfg.dtRank = 2;
  return cfg;
}

/// Mamba-2 with h = 4 heads of p = 4 and \p groups groups of B/C; a chunk
/// size of 3 makes mamba2Mixer's chunked SSD cross chunk boundaries.
ModelConfig mamba2Config(int64_t groups) {
  ModelConfig cfg;
  cfg.kind = ModelKind::Mamba2;
  cfg.dModel = 8;
  cfg.nLayer = 2;
  cfg.vocabSize = 11;
  cfg.dInner = 16;
  cfg.dState = 4;
  cfg.dConv = 4;
  cfg.nGroups = groups;
  cfg.headDim = 4;
  cfg.nHeads = 4;
  cfg.chunkSize = 3;
  return cfg;
}

/// A checkpoint in memory, by canonical HF name.
struct Checkpoint {
  std::map<std::string, Tensor> tensors;

  WeightLookup lookup() const {
    return [this](const std::string &name) -> const Tensor * {
      auto it = tensors.find(name);
      return it == tensors.end() ? nullptr : &it->second;
    };
  }
  const Tensor &operator[](const std::string &name) const {
    return tensors.at(name);
  }
  bool has(const std::string &name) const { return tensors.count(name) != 0; }
};

std::string layerName(int64_t i, const std::string &rest) {
  return "backbone.layers." + std::to_string(i) + "." + rest;
}

/// Random weights of the shapes \p cfg asks for, in ranges that keep dt,
/// the decays and the activations moderate. lm_head is left out (tied).
Checkpoint randomCheckpoint(const ModelConfig &cfg, uint64_t seed) {
  Checkpoint ck;
  auto add = [&](const std::string &name, std::vector<int64_t> shape, double lo,
                 double hi) {
    ck.tensors[name] = randomTensor(std::move(shape), seed++, lo, hi);
  };
  int64_t dm = cfg.dModel, d = cfg.dInner, n = cfg.dState, k = cfg.dConv;
  bool mamba = cfg.kind == ModelKind::Mamba;
  int64_t c = mamba ? d : d + 2 * cfg.nGroups * n;
  int64_t inRows = mamba ? 2 * d : d + c + cfg.nHeads;
  add("backbone.embeddings.weight", {cfg.vocabSize, dm}, -1.0, 1.0);
  for (int64_t i = 0; i < cfg.nLayer; ++i) {
    add(layerName(i, "norm.weight"), {dm}, 0.5, 1.5);
    add(layerName(i, "mixer.in_proj.weight"), {inRows, dm}, -0.5, 0.5);
    if (cfg.projBias)
      add(layerName(i, "mixer.in_proj.bias"), {inRows}, -0.2, 0.2);
    add(layerName(i, "mixer.conv1d.weight"), {c, 1, k}, -0.5, 0.5);
    if (cfg.convBias)
      add(layerName(i, "mixer.conv1d.bias"), {c}, -0.2, 0.2);
    if (mamba) {
      int64_t r = cfg.dtRank;
      add(layerName(i, "mixer.x_proj.weight"), {r + 2 * n, d}, -0.5, 0.5);
      add(layerName(i, "mixer.dt_proj.weight"), {d, r}, -0.5, 0.5);
      add(layerName(i, "mixer.dt_proj.bias"), {d}, -2.0, 0.5);
      add(layerName(i, "mixer.A_log"), {d, n}, -1.0, 1.5);
      add(layerName(i, "mixer.D"), {d}, 0.5, 1.5);
    } else {
      int64_t h = cfg.nHeads;
      add(layerName(i, "mixer.dt_bias"), {h}, -2.0, 0.5);
      add(layerName(i, "mixer.A_log"), {h}, -1.0, 1.5);
      add(layerName(i, "mixer.D"), {h}, 0.5, 1.5);
      add(layerName(i, "mixer.norm.weight"), {d}, 0.5, 1.5);
    }
    add(layerName(i, "mixer.out_proj.weight"), {dm, d}, -0.5, 0.5);
    if (cfg.projBias)
      add(layerName(i, "mixer.out_proj.bias"), {dm}, -0.2, 0.2);
  }
  add("backbone.norm_f.weight", {dm}, 0.5, 1.5);
  return ck;
}

std::optional<Tensor> optionalTensor(const Checkpoint &ck,
                                     const std::string &name) {
  return ck.has(name) ? std::optional<Tensor>(ck[name]) : std::nullopt;
}

/// The conv weight of layer \p i as the mixers take it, (C,k).
Tensor convWeight(const Checkpoint &ck, int64_t i) {
  Tensor w = ck[layerName(i, "mixer.conv1d.weight")];
  w.shape = {w.dim(0), w.dim(2)};
  return w;
}

MambaMixerWeights mambaLayer(const Checkpoint &ck, int64_t i) {
  MambaMixerWeights w;
  w.inProj = ck[layerName(i, "mixer.in_proj.weight")];
  w.convW = convWeight(ck, i);
  w.xProj = ck[layerName(i, "mixer.x_proj.weight")];
  w.dtProjW = ck[layerName(i, "mixer.dt_proj.weight")];
  w.dtProjB = ck[layerName(i, "mixer.dt_proj.bias")];
  w.ALog = ck[layerName(i, "mixer.A_log")];
  w.D = ck[layerName(i, "mixer.D")];
  w.outProj = ck[layerName(i, "mixer.out_proj.weight")];
  w.inProjBias = optionalTensor(ck, layerName(i, "mixer.in_proj.bias"));
  w.convB = optionalTensor(ck, layerName(i, "mixer.conv1d.bias"));
  w.outProjBias = optionalTensor(ck, layerName(i, "mixer.out_proj.bias"));
  return w;
}

Mamba2MixerWeights mamba2Layer(const Checkpoint &ck, int64_t i) {
  Mamba2MixerWeights w;
  w.inProj = ck[layerName(i, "mixer.in_proj.weight")];
  w.convW = convWeight(ck, i);
  w.convB = optionalTensor(ck, layerName(i, "mixer.conv1d.bias"));
  w.dtBias = ck[layerName(i, "mixer.dt_bias")];
  w.ALog = ck[layerName(i, "mixer.A_log")];
  w.D = ck[layerName(i, "mixer.D")];
  w.normW = ck[layerName(i, "mixer.norm.weight")];
  w.outProj = ck[layerName(i, "mixer.out_proj.weight")];
  w.inProjBias = optionalTensor(ck, layerName(i, "mixer.in_proj.bias"));
  w.outProjBias = optionalTensor(ck, layerName(i, "mixer.out_proj.bias"));
  return w;
}

/// The logits of one prompt from the mixer references of Reference.h:
/// x += mambaMixer / mamba2Mixer(rmsNorm(x)) per layer, then norm_f and the
/// lm head (the embeddings when lm_head is absent). mamba2Mixer normalises
/// per group, so \p cfg must ask for that.
Tensor mixerChainLogits(const ModelConfig &cfg, const Checkpoint &ck,
                        const std::vector<int64_t> &prompt) {
  int64_t l = static_cast<int64_t>(prompt.size()), dm = cfg.dModel;
  const Tensor &emb = ck["backbone.embeddings.weight"];
  Tensor x({1, l, dm});
  for (int64_t t = 0; t < l; ++t)
    for (int64_t j = 0; j < dm; ++j)
      x.at({0, t, j}) = emb.at({prompt[t], j});
  Mamba2MixerConfig m2;
  m2.nGroups = cfg.nGroups;
  m2.headDim = cfg.headDim;
  m2.chunkSize = cfg.chunkSize;
  m2.eps = cfg.eps;
  if (cfg.hasDtLimit)
    m2.dtLimit = DtLimit{cfg.dtLimitLo, cfg.dtLimitHi};
  for (int64_t i = 0; i < cfg.nLayer; ++i) {
    Tensor normed, mixed;
    EXPECT_EQ(rmsNorm(x, ck[layerName(i, "norm.weight")], cfg.eps, normed), "");
    std::string err = cfg.kind == ModelKind::Mamba
                          ? mambaMixer(mambaLayer(ck, i), normed, mixed)
                          : mamba2Mixer(mamba2Layer(ck, i), m2, normed, mixed);
    EXPECT_EQ(err, "");
    for (size_t e = 0; e < x.data.size(); ++e)
      x.data[e] += mixed.data[e];
  }
  Tensor normed, logits;
  EXPECT_EQ(rmsNorm(x, ck["backbone.norm_f.weight"], cfg.eps, normed), "");
  const Tensor &head = ck.has("lm_head.weight") ? ck["lm_head.weight"] : emb;
  EXPECT_EQ(linear(normed, head, std::nullopt, logits), "");
  logits.shape = {l, cfg.vocabSize};
  return logits;
}

double maxAbsDiff(const Tensor &a, const Tensor &b) {
  if (a.shape != b.shape)
    return INFINITY;
  double m = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i)
    m = std::max(m, std::abs(a.data[i] - b.data[i]));
  return m;
}

/// Row \p t of an (l, vocab) tensor, as (vocab).
std::vector<double> row(const Tensor &t, int64_t r) {
  int64_t v = t.dim(1);
  return {t.data.begin() + r * v, t.data.begin() + (r + 1) * v};
}

std::vector<int64_t> randomTokens(int64_t length, int64_t vocab,
                                  uint64_t seed) {
  Tensor u = randomTensor({length}, seed, 0.0, static_cast<double>(vocab));
  std::vector<int64_t> tokens;
  for (double v : u.data)
    tokens.push_back(static_cast<int64_t>(v));
  return tokens;
}

Tensor prefillOne(const ModelConfig &cfg, const Checkpoint &ck,
                  const std::vector<int64_t> &prompt) {
  std::vector<Tensor> logits;
  EXPECT_EQ(modelPrefill(cfg, ck.lookup(), {prompt}, logits), "");
  return logits.empty() ? Tensor() : logits[0];
}

/// The configurations every numeric test runs on.
struct Variant {
  const char *name;
  ModelConfig cfg;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  v.push_back({"mamba", mambaConfig()});
  ModelConfig biased = mambaConfig();
  biased.projBias = true;
  biased.convBias = false;
  biased.dtRank = 3;
  v.push_back({"mamba-proj-bias-no-conv-bias", biased});
  v.push_back({"mamba2-g1", mamba2Config(1)});
  v.push_back({"mamba2-g2", mamba2Config(2)});
  ModelConfig limited = mamba2Config(2);
  limited.hasDtLimit = true;
  limited.dtLimitLo = 0.2;
  limited.dtLimitHi = 0.6;
  limited.projBias = true;
  v.push_back({"mamba2-g2-dt-limit-proj-bias", limited});
  ModelConfig hfNorm = mamba2Config(2);
  hfNorm.normPerGroup = false;
  hfNorm.dConv = 2;
  v.push_back({"mamba2-g2-whole-width-norm-k2", hfNorm});
  return v;
}

//===----------------------------------------------------------------------===//
// (a) The prefill is the chain of mixer references plus the residual
//===----------------------------------------------------------------------===//

TEST(RefModel, PrefillMatchesMixerReferences) {
  for (const Variant &v : variants()) {
    if (v.cfg.kind == ModelKind::Mamba2 && !v.cfg.normPerGroup)
      continue; // mamba2Mixer normalises per group
    SCOPED_TRACE(v.name);
    Checkpoint ck = randomCheckpoint(v.cfg, 100);
    std::vector<std::vector<int64_t>> prompts = {randomTokens(7, 11, 1),
                                                 randomTokens(1, 11, 2),
                                                 randomTokens(12, 11, 3)};
    std::vector<Tensor> logits;
    ASSERT_EQ(modelPrefill(v.cfg, ck.lookup(), prompts, logits), "");
    ASSERT_EQ(logits.size(), prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      Tensor expected = mixerChainLogits(v.cfg, ck, prompts[i]);
      ASSERT_EQ(logits[i].shape, expected.shape);
      // Mamba-2: recurrent SSD in the model, chunked in mamba2Mixer.
      EXPECT_LE(maxAbsDiff(logits[i], expected), 1e-12) << "prompt " << i;
    }
  }
}

TEST(RefModel, SingleLayerIsEmbeddingPlusMixer) {
  // One layer written out by hand: the residual is the embedding itself.
  ModelConfig cfg = mambaConfig();
  cfg.nLayer = 1;
  Checkpoint ck = randomCheckpoint(cfg, 7);
  std::vector<int64_t> prompt = {3, 0, 10, 5, 5};
  Tensor x({1, 5, 8});
  for (int64_t t = 0; t < 5; ++t)
    for (int64_t j = 0; j < 8; ++j)
      x.at({0, t, j}) = ck["backbone.embeddings.weight"].at({prompt[t], j});
  Tensor normed, mixed, finalNormed, expected;
  ASSERT_EQ(rmsNorm(x, ck[layerName(0, "norm.weight")], cfg.eps, normed), "");
  ASSERT_EQ(mambaMixer(mambaLayer(ck, 0), normed, mixed), "");
  for (size_t e = 0; e < x.data.size(); ++e)
    x.data[e] += mixed.data[e];
  ASSERT_EQ(rmsNorm(x, ck["backbone.norm_f.weight"], cfg.eps, finalNormed), "");
  ASSERT_EQ(linear(finalNormed, ck["backbone.embeddings.weight"], std::nullopt,
                   expected),
            "");
  expected.shape = {5, 11};
  EXPECT_LE(maxAbsDiff(prefillOne(cfg, ck, prompt), expected), 1e-12);
}

TEST(RefModel, WholeWidthNormMattersOnlyWithGroups) {
  std::vector<int64_t> prompt = randomTokens(9, 11, 5);
  for (int64_t g : {1, 2}) {
    ModelConfig perGroup = mamba2Config(g), whole = mamba2Config(g);
    whole.normPerGroup = false;
    Checkpoint ck = randomCheckpoint(perGroup, 11);
    double diff = maxAbsDiff(prefillOne(perGroup, ck, prompt),
                             prefillOne(whole, ck, prompt));
    if (g == 1)
      EXPECT_EQ(diff, 0.0);
    else
      EXPECT_GT(diff, 1e-6);
  }
}

TEST(RefModel, DtLimitClamps) {
  ModelConfig cfg = mamba2Config(1), limited = mamba2Config(1);
  limited.hasDtLimit = true;
  limited.dtLimitLo = 0.2;
  limited.dtLimitHi = 0.6;
  Checkpoint ck = randomCheckpoint(cfg, 13);
  std::vector<int64_t> prompt = randomTokens(9, 11, 6);
  EXPECT_GT(
      maxAbsDiff(prefillOne(cfg, ck, prompt), prefillOne(limited, ck, prompt)),
      1e-6);
}

TEST(RefModel, ConvWeightMayBeStoredWithoutItsMiddleDimension) {
  for (ModelConfig cfg : {mambaConfig(), mamba2Config(2)}) {
    Checkpoint ck = randomCheckpoint(cfg, 17);
    std::vector<int64_t> prompt = randomTokens(6, 11, 7);
    Tensor stored = prefillOne(cfg, ck, prompt);
    for (int64_t i = 0; i < cfg.nLayer; ++i)
      ck.tensors[layerName(i, "mixer.conv1d.weight")] = convWeight(ck, i);
    EXPECT_EQ(maxAbsDiff(prefillOne(cfg, ck, prompt), stored), 0.0);
  }
}

//===----------------------------------------------------------------------===//
// (b) Decode steps continue the prefill exactly
//===----------------------------------------------------------------------===//

// Sequence i is prefilled up to prefix[i] (0 to 8 tokens: shorter and
// longer than the conv window), then advanced by kSteps decode steps in one
// batch; every step's logits must equal the prefill of the whole sequence
// at that position, and the final caches the prefill caches of the whole
// sequences.
TEST(RefModel, DecodeStepsMatchPrefillPositions) {
  const std::vector<int64_t> prefix = {0, 1, 2, 3, 5, 8};
  const int64_t kSteps = 4;
  for (const Variant &v : variants()) {
    SCOPED_TRACE(v.name);
    Checkpoint ck = randomCheckpoint(v.cfg, 200);
    std::vector<std::vector<int64_t>> full, prompts;
    for (size_t i = 0; i < prefix.size(); ++i) {
      full.push_back(randomTokens(prefix[i] + kSteps, 11, 300 + i));
      prompts.emplace_back(full[i].begin(), full[i].begin() + prefix[i]);
    }
    std::vector<Tensor> fullLogits, promptLogits;
    ModelCache fullCache, cache;
    ASSERT_EQ(modelPrefill(v.cfg, ck.lookup(), full, fullLogits, &fullCache),
              "");
    ASSERT_EQ(modelPrefill(v.cfg, ck.lookup(), prompts, promptLogits, &cache),
              "");
    // The prefill of a prefix is the prefix of the prefill.
    for (size_t i = 0; i < prefix.size(); ++i)
      for (int64_t t = 0; t < prefix[i]; ++t)
        EXPECT_EQ(row(promptLogits[i], t), row(fullLogits[i], t));

    for (int64_t s = 0; s < kSteps; ++s) {
      std::vector<int64_t> tokens;
      for (size_t i = 0; i < prefix.size(); ++i)
        tokens.push_back(full[i][prefix[i] + s]);
      Tensor logits;
      ASSERT_EQ(modelDecodeStep(v.cfg, ck.lookup(), tokens, cache, logits), "");
      ASSERT_EQ(logits.shape, (std::vector<int64_t>{
                                  static_cast<int64_t>(prefix.size()), 11}));
      for (size_t i = 0; i < prefix.size(); ++i) {
        std::vector<double> got = row(logits, i),
                            want = row(fullLogits[i], prefix[i] + s);
        for (size_t j = 0; j < got.size(); ++j)
          EXPECT_NEAR(got[j], want[j], 1e-10)
              << "sequence " << i << " step " << s << " logit " << j;
      }
    }
    ASSERT_EQ(cache.layers.size(), fullCache.layers.size());
    for (size_t l = 0; l < cache.layers.size(); ++l) {
      EXPECT_LE(
          maxAbsDiff(cache.layers[l].convState, fullCache.layers[l].convState),
          1e-10);
      EXPECT_LE(
          maxAbsDiff(cache.layers[l].ssmState, fullCache.layers[l].ssmState),
          1e-10);
    }
  }
}

TEST(RefModel, CacheShapes) {
  std::vector<std::vector<int64_t>> prompts = {{1, 2, 3}, {4}};
  std::vector<Tensor> logits;
  ModelCache cache;
  Checkpoint mamba = randomCheckpoint(mambaConfig(), 1);
  ASSERT_EQ(
      modelPrefill(mambaConfig(), mamba.lookup(), prompts, logits, &cache), "");
  ASSERT_EQ(cache.layers.size(), 2u);
  EXPECT_EQ(cache.layers[1].convState.shape, (std::vector<int64_t>{2, 16, 3}));
  EXPECT_EQ(cache.layers[1].ssmState.shape, (std::vector<int64_t>{2, 16, 4}));
  EXPECT_EQ(logits[0].shape, (std::vector<int64_t>{3, 11}));
  EXPECT_EQ(logits[1].shape, (std::vector<int64_t>{1, 11}));

  ModelConfig cfg = mamba2Config(2);
  Checkpoint ck = randomCheckpoint(cfg, 1);
  ASSERT_EQ(modelPrefill(cfg, ck.lookup(), prompts, logits, &cache), "");
  EXPECT_EQ(cache.layers[0].convState.shape, (std::vector<int64_t>{2, 32, 3}));
  EXPECT_EQ(cache.layers[0].ssmState.shape, (std::vector<int64_t>{2, 4, 4, 4}));
}

//===----------------------------------------------------------------------===//
// (c) Tied and untied lm heads
//===----------------------------------------------------------------------===//

TEST(RefModel, TiedAndUntiedLmHead) {
  for (ModelConfig tied : {mambaConfig(), mamba2Config(2)}) {
    ModelConfig untied = tied;
    untied.tieEmbeddings = false;
    Checkpoint ck = randomCheckpoint(tied, 23);
    std::vector<int64_t> prompt = randomTokens(6, 11, 8);
    Tensor tiedLogits = prefillOne(tied, ck, prompt);

    // Untied with a copy of the embeddings: the same logits.
    Checkpoint copy = ck;
    copy.tensors["lm_head.weight"] = ck["backbone.embeddings.weight"];
    EXPECT_EQ(maxAbsDiff(prefillOne(untied, copy, prompt), tiedLogits), 0.0);

    // A distinct lm_head is used whether or not the config ties, and is
    // what the mixer chain with that head gives.
    Checkpoint own = ck;
    own.tensors["lm_head.weight"] = randomTensor({11, 8}, 99, -1.0, 1.0);
    Tensor ownLogits = prefillOne(untied, own, prompt);
    EXPECT_GT(maxAbsDiff(ownLogits, tiedLogits), 1e-6);
    EXPECT_EQ(maxAbsDiff(prefillOne(tied, own, prompt), ownLogits), 0.0);
    EXPECT_LE(maxAbsDiff(ownLogits, mixerChainLogits(untied, own, prompt)),
              1e-12);

    // Untied without lm_head is an error.
    std::vector<Tensor> logits;
    EXPECT_EQ(modelPrefill(untied, ck.lookup(), {prompt}, logits),
              "model_prefill: missing tensor 'lm_head.weight' (tieEmbeddings "
              "is false)");
  }
}

//===----------------------------------------------------------------------===//
// (d) Errors
//===----------------------------------------------------------------------===//

TEST(RefModel, MissingTensor) {
  ModelConfig cfg = mambaConfig();
  Checkpoint ck = randomCheckpoint(cfg, 1);
  ck.tensors.erase("backbone.layers.1.mixer.D");
  std::vector<Tensor> logits = {Tensor({2}, 5.0)};
  EXPECT_EQ(modelPrefill(cfg, ck.lookup(), {{1, 2}}, logits),
            "model_prefill: missing tensor 'backbone.layers.1.mixer.D'");
  // Outputs are left untouched on error.
  ASSERT_EQ(logits.size(), 1u);
  EXPECT_EQ(logits[0].data, (std::vector<double>{5.0, 5.0}));

  ModelConfig biased = mamba2Config(1);
  biased.projBias = true;
  Checkpoint noBias = randomCheckpoint(mamba2Config(1), 1);
  EXPECT_EQ(
      modelPrefill(biased, noBias.lookup(), {{1}}, logits),
      "model_prefill: missing tensor 'backbone.layers.0.mixer.in_proj.bias'");
}

TEST(RefModel, WrongShape) {
  ModelConfig cfg = mambaConfig();
  Checkpoint ck = randomCheckpoint(cfg, 1);
  ck.tensors["backbone.layers.0.mixer.x_proj.weight"] = Tensor({9, 16});
  std::vector<Tensor> logits;
  EXPECT_EQ(modelPrefill(cfg, ck.lookup(), {{1, 2}}, logits),
            "model_prefill: 'backbone.layers.0.mixer.x_proj.weight' has "
            "shape (9,16), expected (10,16)");

  ModelConfig cfg2 = mamba2Config(2);
  Checkpoint ck2 = randomCheckpoint(cfg2, 1);
  ck2.tensors["backbone.layers.1.mixer.in_proj.weight"] = Tensor({44, 8});
  EXPECT_EQ(modelPrefill(cfg2, ck2.lookup(), {{1, 2}}, logits),
            "model_prefill: 'backbone.layers.1.mixer.in_proj.weight' has "
            "shape (44,8), expected (52,8)");

  Checkpoint ck3 = randomCheckpoint(cfg2, 1);
  ck3.tensors["backbone.layers.0.mixer.conv1d.weight"] = Tensor({32, 1, 3});
  EXPECT_EQ(modelPrefill(cfg2, ck3.lookup(), {{1, 2}}, logits),
            "model_prefill: 'backbone.layers.0.mixer.conv1d.weight' has "
            "shape (32,1,3), expected (32,1,4) or (32,4)");

  Checkpoint ck4 = randomCheckpoint(cfg, 1);
  ck4.tensors["backbone.norm_f.weight"].data.pop_back();
  EXPECT_EQ(modelPrefill(cfg, ck4.lookup(), {{1, 2}}, logits),
            "model_prefill: 'backbone.norm_f.weight' has shape (8) but 7 "
            "elements");
}

TEST(RefModel, BadConfig) {
  ModelConfig cfg = mamba2Config(2);
  cfg.nHeads = 3;
  std::vector<Tensor> logits;
  EXPECT_EQ(modelPrefill(cfg, randomCheckpoint(mamba2Config(2), 1).lookup(),
                         {{1}}, logits),
            "model_prefill: config has nHeads=3 and headDim=4, expected their "
            "product to be dInner=16");
  ModelConfig noRank = mambaConfig();
  noRank.dtRank = 0;
  EXPECT_EQ(modelPrefill(noRank, randomCheckpoint(mambaConfig(), 1).lookup(),
                         {{1}}, logits),
            "model_prefill: config field 'dtRank' is 0, expected > 0");
  EXPECT_EQ(modelPrefill(mambaConfig(), WeightLookup(), {{1}}, logits),
            "model_prefill: no weight lookup");
}

TEST(RefModel, TokenOutOfRange) {
  ModelConfig cfg = mamba2Config(1);
  Checkpoint ck = randomCheckpoint(cfg, 1);
  std::vector<Tensor> logits;
  EXPECT_EQ(modelPrefill(cfg, ck.lookup(), {{1, 2}, {3, 11, 4}}, logits),
            "model_prefill: prompt 1 position 1: token id 11 is out of range "
            "[0,11)");
  EXPECT_EQ(modelPrefill(cfg, ck.lookup(), {{-1}}, logits),
            "model_prefill: prompt 0 position 0: token id -1 is out of range "
            "[0,11)");

  ModelCache cache;
  ASSERT_EQ(modelPrefill(cfg, ck.lookup(), {{1, 2}, {3}}, logits, &cache), "");
  ModelCache before = cache;
  Tensor step({1}, 7.0);
  EXPECT_EQ(modelDecodeStep(cfg, ck.lookup(), {4, -1}, cache, step),
            "model_decode_step: sequence 1: token id -1 is out of range "
            "[0,11)");
  // Neither the cache nor the logits change on error.
  EXPECT_EQ(step.data, (std::vector<double>{7.0}));
  EXPECT_EQ(cache.layers[0].ssmState.data, before.layers[0].ssmState.data);
  EXPECT_EQ(cache.layers[1].convState.data, before.layers[1].convState.data);
}

TEST(RefModel, CacheMismatch) {
  ModelConfig cfg = mambaConfig();
  Checkpoint ck = randomCheckpoint(cfg, 1);
  std::vector<Tensor> logits;
  ModelCache cache;
  ASSERT_EQ(modelPrefill(cfg, ck.lookup(), {{1, 2}, {3}}, logits, &cache), "");
  Tensor step;
  EXPECT_EQ(modelDecodeStep(cfg, ck.lookup(), {1, 2, 3}, cache, step),
            "model_decode_step: 'cache.layers[0].convState' has shape "
            "(2,16,3), expected (3,16,3)");
  cache.layers[1].ssmState = Tensor({2, 16, 5});
  EXPECT_EQ(modelDecodeStep(cfg, ck.lookup(), {1, 2}, cache, step),
            "model_decode_step: 'cache.layers[1].ssmState' has shape "
            "(2,16,5), expected (2,16,4)");
  cache.layers.pop_back();
  EXPECT_EQ(modelDecodeStep(cfg, ck.lookup(), {1, 2}, cache, step),
            "model_decode_step: the cache has 1 layers, expected nLayer=2");
}

} // namespace
