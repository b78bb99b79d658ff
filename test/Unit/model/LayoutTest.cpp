//===- LayoutTest.cpp - tensor names and shapes, and generated checkpoints ===//
//
// The canonical tensor list of each model kind, resolveWeights on generated
// checkpoints of every kind, spelling and dtype, its exact messages for
// missing, unexpected and mis-shaped tensors, and the generator's options,
// determinism and distributions.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Layout.h"
#include "ssmc/model/MakeCheckpoint.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

using namespace ssmc;
using namespace ssmc::model;
using package::DType;

namespace {

using TensorMap = std::map<std::string, TensorBytes>;

std::string generate(MakeCheckpointOptions o, const std::string &tag) {
  o.outDir = modeltest::makeTempDir(tag);
  std::string err = makeCheckpoint(o);
  EXPECT_EQ(err, "");
  return o.outDir;
}

/// The config and weights of the checkpoint in `dir`.
struct Loaded {
  ModelConfig config;
  std::unique_ptr<WeightStore> store;
};

Loaded load(const std::string &dir) {
  Loaded l;
  EXPECT_EQ(readConfig(dir, l.config), "");
  std::string error;
  l.store = WeightStore::open(dir, error);
  EXPECT_NE(l.store, nullptr) << error;
  return l;
}

/// Copies the checkpoint in `dir` into a fresh directory with its tensors
/// changed by `edit`; returns the new directory.
std::string rewrite(const std::string &dir,
                    const std::function<void(TensorMap &)> &edit) {
  Loaded l = load(dir);
  TensorMap tensors;
  for (const auto &[name, t] : l.store->tensors()) {
    TensorBytes b;
    b.dtype = t.dtype;
    b.shape = t.shape;
    const uint8_t *p = static_cast<const uint8_t *>(t.data);
    b.bytes.assign(p, p + t.bytes);
    tensors[name] = std::move(b);
  }
  edit(tensors);
  std::string out = modeltest::makeTempDir("rewrite");
  EXPECT_EQ(writeSafetensors(out + "/model.safetensors", tensors), "");
  std::string configText;
  {
    std::FILE *f = std::fopen((dir + "/config.json").c_str(), "rb");
    char buf[8192];
    size_t n = f ? std::fread(buf, 1, sizeof(buf), f) : 0;
    if (f)
      std::fclose(f);
    configText.assign(buf, n);
  }
  modeltest::writeBytes(out + "/config.json", configText);
  return out;
}

std::string resolveError(const std::string &dir) {
  Loaded l = load(dir);
  if (!l.store)
    return "no store";
  ModelWeights w;
  return resolveWeights(l.config, *l.store, dir, w);
}

ModelConfig smallConfig(ModelKind kind) {
  ModelConfig c;
  c.kind = kind;
  c.dModel = 8;
  c.nLayer = 1;
  c.vocabSize = 11;
  c.dInner = 16;
  c.dState = 4;
  c.dConv = 3;
  c.dtRank = 2;
  c.headDim = 4;
  c.nHeads = 4;
  c.nGroups = 2;
  return c;
}

TEST(LayoutTest, ListsMambaTensors) {
  ModelConfig c = smallConfig(ModelKind::Mamba);
  EXPECT_EQ(canonicalWeightNames(c),
            (std::vector<std::string>{
                "backbone.embeddings.weight", "backbone.layers.0.norm.weight",
                "backbone.layers.0.mixer.in_proj.weight",
                "backbone.layers.0.mixer.conv1d.weight",
                "backbone.layers.0.mixer.conv1d.bias",
                "backbone.layers.0.mixer.x_proj.weight",
                "backbone.layers.0.mixer.dt_proj.weight",
                "backbone.layers.0.mixer.dt_proj.bias",
                "backbone.layers.0.mixer.A_log", "backbone.layers.0.mixer.D",
                "backbone.layers.0.mixer.out_proj.weight",
                "backbone.norm_f.weight"}));
  std::vector<WeightSpec> specs = expectedWeights(c);
  EXPECT_EQ(specs[2].shape, (std::vector<int64_t>{32, 8}));    // in_proj
  EXPECT_EQ(specs[3].shape, (std::vector<int64_t>{16, 1, 3})); // conv1d
  EXPECT_EQ(specs[5].shape, (std::vector<int64_t>{10, 16}));   // x_proj
  EXPECT_EQ(specs[6].shape, (std::vector<int64_t>{16, 2}));    // dt_proj
  EXPECT_EQ(specs[8].shape, (std::vector<int64_t>{16, 4}));    // A_log
  EXPECT_EQ(specs[10].shape, (std::vector<int64_t>{8, 16}));   // out_proj

  c.tieEmbeddings = false;
  c.projBias = true;
  c.convBias = false;
  std::vector<std::string> names = canonicalWeightNames(c);
  EXPECT_EQ(names.back(), "lm_head.weight");
  EXPECT_EQ(names[3], "backbone.layers.0.mixer.in_proj.bias");
  EXPECT_EQ(std::count(names.begin(), names.end(),
                       "backbone.layers.0.mixer.conv1d.bias"),
            0);
  EXPECT_EQ(std::count(names.begin(), names.end(),
                       "backbone.layers.0.mixer.out_proj.bias"),
            1);
}

TEST(LayoutTest, ListsMamba2Tensors) {
  ModelConfig c = smallConfig(ModelKind::Mamba2);
  c.nLayer = 2;
  std::vector<WeightSpec> specs = expectedWeights(c);
  ASSERT_EQ(specs.size(), 2u + 2 * 9);
  EXPECT_EQ(specs[1].name, "backbone.layers.0.norm.weight");
  // in_proj: 2d + 2gn + h = 32 + 16 + 4.
  EXPECT_EQ(specs[2].name, "backbone.layers.0.mixer.in_proj.weight");
  EXPECT_EQ(specs[2].shape, (std::vector<int64_t>{52, 8}));
  EXPECT_EQ(specs[3].shape, (std::vector<int64_t>{32, 1, 3}));
  EXPECT_EQ(specs[4].shape, (std::vector<int64_t>{32}));
  EXPECT_EQ(specs[5].name, "backbone.layers.0.mixer.dt_bias");
  EXPECT_EQ(specs[6].name, "backbone.layers.0.mixer.A_log");
  EXPECT_EQ(specs[6].shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(specs[7].name, "backbone.layers.0.mixer.D");
  EXPECT_EQ(specs[8].name, "backbone.layers.0.mixer.norm.weight");
  EXPECT_EQ(specs[8].shape, (std::vector<int64_t>{16}));
  EXPECT_EQ(specs[9].name, "backbone.layers.0.mixer.out_proj.weight");
  EXPECT_EQ(specs.back().name, "backbone.norm_f.weight");
}

TEST(LayoutTest, ResolvesGeneratedCheckpoints) {
  for (ModelKind kind : {ModelKind::Mamba, ModelKind::Mamba2})
    for (ConfigSpelling spelling :
         {ConfigSpelling::HF, ConfigSpelling::Original})
      for (DType dtype : {DType::F32, DType::F16, DType::BF16})
        for (bool untied : {false, true}) {
          SCOPED_TRACE(std::string(modelTypeName(kind)) + " " +
                       (spelling == ConfigSpelling::HF ? "hf" : "original") +
                       " " + package::dtypeName(dtype) +
                       (untied ? " untied" : " tied"));
          MakeCheckpointOptions o;
          o.kind = kind;
          o.spelling = spelling;
          o.dtype = dtype;
          o.untied = untied;
          o.nLayer = 3;
          o.dModel = 24;
          o.headDim = 12;
          o.nGroups = 2;
          o.projBias = untied; // both bias settings get covered
          std::string dir = generate(o, "resolve");
          Loaded l = load(dir);
          ASSERT_NE(l.store, nullptr);
          EXPECT_EQ(l.config.spelling, spelling);
          ModelWeights w;
          ASSERT_EQ(resolveWeights(l.config, *l.store, dir, w), "");
          ASSERT_EQ(w.layers.size(), 3u);
          EXPECT_EQ(w.embeddings->name, spelling == ConfigSpelling::HF
                                            ? "backbone.embeddings.weight"
                                            : "backbone.embedding.weight");
          EXPECT_EQ(w.embeddings->dtype, dtype);
          EXPECT_EQ(w.lmHead == w.embeddings, !untied);
          EXPECT_NE(w.normF, nullptr);
          for (const LayerWeights &layer : w.layers) {
            EXPECT_TRUE(layer.norm && layer.inProj && layer.conv1d &&
                        layer.conv1dBias && layer.aLog && layer.d &&
                        layer.outProj);
            EXPECT_EQ(layer.inProjBias != nullptr, untied);
            EXPECT_EQ(layer.outProjBias != nullptr, untied);
            bool mamba2 = kind == ModelKind::Mamba2;
            EXPECT_EQ(layer.xProj != nullptr, !mamba2);
            EXPECT_EQ(layer.dtProj != nullptr, !mamba2);
            EXPECT_EQ(layer.dtProjBias != nullptr, !mamba2);
            EXPECT_EQ(layer.dtBias != nullptr, mamba2);
            EXPECT_EQ(layer.mixerNorm != nullptr, mamba2);
          }
          EXPECT_EQ(w.layers[2].d->name, "backbone.layers.2.mixer.D");
        }
}

TEST(LayoutTest, ReportsMissingTensor) {
  MakeCheckpointOptions o;
  o.dModel = 24;
  std::string dir = rewrite(generate(o, "missing"), [](TensorMap &t) {
    t.erase("backbone.layers.1.mixer.D");
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": missing tensor 'backbone.layers.1.mixer.D'");

  o.spelling = ConfigSpelling::Original;
  dir = rewrite(generate(o, "missing-emb"),
                [](TensorMap &t) { t.erase("backbone.embedding.weight"); });
  EXPECT_EQ(resolveError(dir),
            dir + ": missing tensor 'backbone.embedding.weight'");

  o.untied = true;
  dir = rewrite(generate(o, "missing-head"),
                [](TensorMap &t) { t.erase("lm_head.weight"); });
  EXPECT_EQ(resolveError(dir), dir + ": missing tensor 'lm_head.weight'");
}

TEST(LayoutTest, ReportsUnexpectedTensor) {
  MakeCheckpointOptions o;
  std::string dir = rewrite(generate(o, "extra"), [](TensorMap &t) {
    t["backbone.layers.2.norm.weight"] = t.at("backbone.layers.1.norm.weight");
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": unexpected tensor 'backbone.layers.2.norm.weight'");
  // Both spellings of the embeddings: the HF one is used.
  dir = rewrite(generate(o, "two-emb"), [](TensorMap &t) {
    t["backbone.embedding.weight"] = t.at("backbone.embeddings.weight");
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": unexpected tensor 'backbone.embedding.weight'");
}

TEST(LayoutTest, ReportsWrongShape) {
  MakeCheckpointOptions o;
  o.dModel = 24; // dInner 48
  o.nLayer = 4;
  std::string dir = rewrite(generate(o, "shape"), [](TensorMap &t) {
    t["backbone.layers.3.mixer.D"] =
        encodeTensor(DType::F32, {24}, std::vector<float>(24, 1.0f));
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": tensor 'backbone.layers.3.mixer.D' has shape [24] but "
                  "the config implies [48]");
  // Fewer stored embedding rows than the config's vocabulary.
  dir = rewrite(generate(o, "vocab"), [](TensorMap &t) {
    t["backbone.embeddings.weight"] =
        encodeTensor(DType::F32, {96, 24}, std::vector<float>(96 * 24));
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": tensor 'backbone.embeddings.weight' has shape [96, 24] "
                  "but the config implies [100, 24]");
  dir = rewrite(generate(o, "conv"), [](TensorMap &t) {
    t["backbone.layers.0.mixer.conv1d.weight"] =
        encodeTensor(DType::F32, {48, 1, 3}, std::vector<float>(48 * 3));
  });
  EXPECT_EQ(resolveError(dir),
            dir + ": tensor 'backbone.layers.0.mixer.conv1d.weight' has "
                  "shape [48, 1, 3] but the config implies [48, 1, 4]");
}

TEST(LayoutTest, AcceptsVariants) {
  MakeCheckpointOptions o;
  o.kind = ModelKind::Mamba2;
  o.dtype = DType::BF16;
  // conv1d as (C, k), mixed dtypes, and a stored lm_head while tied.
  std::string dir = rewrite(generate(o, "variants"), [](TensorMap &t) {
    TensorBytes &conv = t.at("backbone.layers.0.mixer.conv1d.weight");
    conv.shape = {conv.shape[0], conv.shape[2]};
    t["backbone.layers.1.mixer.A_log"] =
        encodeTensor(DType::F32, {8}, std::vector<float>(8, 0.5f));
    t["backbone.layers.1.mixer.D"] =
        encodeTensor(DType::F16, {8}, std::vector<float>(8, 1.0f));
    t["lm_head.weight"] = t.at("backbone.embeddings.weight");
  });
  Loaded l = load(dir);
  ASSERT_NE(l.store, nullptr);
  ModelWeights w;
  ASSERT_EQ(resolveWeights(l.config, *l.store, dir, w), "");
  EXPECT_EQ(w.layers[0].conv1d->shape, (std::vector<int64_t>{160, 4}));
  EXPECT_EQ(w.layers[1].aLog->dtype, DType::F32);
  EXPECT_EQ(w.layers[1].d->dtype, DType::F16);
  EXPECT_EQ(w.layers[0].d->dtype, DType::BF16);
  EXPECT_EQ(w.lmHead->name, "lm_head.weight");
}

TEST(LayoutTest, GeneratorIsDeterministic) {
  MakeCheckpointOptions o;
  o.kind = ModelKind::Mamba2;
  o.seed = 7;
  Loaded a = load(generate(o, "det-a"));
  Loaded b = load(generate(o, "det-b"));
  o.spelling = ConfigSpelling::Original;
  Loaded c = load(generate(o, "det-c"));
  o.seed = 8;
  Loaded d = load(generate(o, "det-d"));
  const std::string name = "backbone.layers.1.mixer.in_proj.weight";
  std::vector<float> va = a.store->toFloat(*a.store->find(name));
  EXPECT_EQ(va, b.store->toFloat(*b.store->find(name)));
  EXPECT_EQ(va, c.store->toFloat(*c.store->find(name)));
  EXPECT_NE(va, d.store->toFloat(*d.store->find(name)));
  EXPECT_EQ(a.store->toFloat(*a.store->find("backbone.embeddings.weight")),
            c.store->toFloat(*c.store->find("backbone.embedding.weight")));
}

TEST(LayoutTest, GeneratorDrawsMambaInitialisation) {
  MakeCheckpointOptions o;
  o.dModel = 128;
  Loaded m = load(generate(o, "init-mamba"));
  auto values = [&](const Loaded &l, const std::string &name) {
    return l.store->toFloat(*l.store->find(name));
  };
  auto softplus = [](double x) { return std::log1p(std::exp(x)); };
  for (float a : values(m, "backbone.layers.0.mixer.A_log")) {
    EXPECT_GE(a, 0.0f);
    EXPECT_LT(a, std::log(16.0f) + 1e-6f);
  }
  for (float d : values(m, "backbone.layers.0.mixer.D"))
    EXPECT_EQ(d, 1.0f);
  for (float b : values(m, "backbone.layers.0.mixer.dt_proj.bias")) {
    EXPECT_GE(softplus(b), 1e-3 * 0.999);
    EXPECT_LE(softplus(b), 1e-1 * 1.001);
  }
  for (float n : values(m, "backbone.norm_f.weight"))
    EXPECT_NEAR(n, 1.0f, 0.15f);
  // in_proj (512, 128): std 1/sqrt(128).
  std::vector<float> w = values(m, "backbone.layers.1.mixer.in_proj.weight");
  double sum = 0, sq = 0;
  for (float x : w) {
    sum += x;
    sq += double(x) * x;
  }
  double mean = sum / w.size(), sd = std::sqrt(sq / w.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sd, 1.0 / std::sqrt(128.0), 0.005);
  std::vector<float> e = values(m, "backbone.embeddings.weight");
  sq = 0;
  for (float x : e)
    sq += double(x) * x;
  EXPECT_NEAR(std::sqrt(sq / e.size()), 0.02, 0.003);

  o.kind = ModelKind::Mamba2;
  Loaded m2 = load(generate(o, "init-mamba2"));
  for (float b : values(m2, "backbone.layers.0.mixer.dt_bias")) {
    EXPECT_GE(softplus(b), 1e-3 * 0.999);
    EXPECT_LE(softplus(b), 1e-1 * 1.001);
  }
  for (float a : values(m2, "backbone.layers.1.mixer.A_log")) {
    EXPECT_GE(a, 0.0f);
    EXPECT_LT(a, std::log(16.0f) + 1e-6f);
  }
}

TEST(LayoutTest, GeneratorWritesConfigsBothSpellingsRead) {
  MakeCheckpointOptions o;
  o.kind = ModelKind::Mamba;
  o.dModel = 40;
  o.dtRank = 5;
  o.untied = true;
  o.projBias = true;
  o.convBias = false;
  for (ConfigSpelling s : {ConfigSpelling::HF, ConfigSpelling::Original}) {
    o.spelling = s;
    ModelConfig c;
    ASSERT_EQ(parseConfig("c.json", makeConfigJson(o), c), "");
    EXPECT_EQ(c.spelling, s);
    EXPECT_EQ(c.dModel, 40);
    EXPECT_EQ(c.dInner, 80);
    EXPECT_EQ(c.dtRank, 5);
    EXPECT_EQ(c.vocabSize, 100);
    EXPECT_FALSE(c.tieEmbeddings);
    EXPECT_TRUE(c.projBias);
    EXPECT_FALSE(c.convBias);
  }
  o.kind = ModelKind::Mamba2;
  o.headDim = 10;
  o.nGroups = 4;
  o.chunkSize = 32;
  for (ConfigSpelling s : {ConfigSpelling::HF, ConfigSpelling::Original}) {
    o.spelling = s;
    ModelConfig c;
    ASSERT_EQ(parseConfig("c.json", makeConfigJson(o), c), "");
    EXPECT_EQ(c.kind, ModelKind::Mamba2);
    EXPECT_EQ(c.nHeads, 8);
    EXPECT_EQ(c.nGroups, 4);
    EXPECT_EQ(c.headDim, 10);
    EXPECT_EQ(c.chunkSize, 32);
  }
}

TEST(LayoutTest, GeneratorRefusesBadOptions) {
  MakeCheckpointOptions o;
  EXPECT_EQ(makeCheckpoint(o), "--out is required");
  o.outDir = modeltest::makeTempDir("badopts");
  o.dModel = 0;
  EXPECT_EQ(makeCheckpoint(o),
            "--d-model must be an integer in [1, 16777216] (got 0)");
  o.dModel = 64;
  o.kind = ModelKind::Mamba2;
  o.headDim = 48;
  EXPECT_EQ(makeCheckpoint(o), "--head-dim 48 does not divide d_inner 128 "
                               "(--expand * --d-model)");
  o.headDim = 16;
  o.nGroups = 3;
  EXPECT_EQ(makeCheckpoint(o), "--n-groups 3 does not divide the number of "
                               "heads 8 (d_inner / --head-dim)");
  o.nGroups = 1;
  o.dtype = DType::F64;
  EXPECT_EQ(makeCheckpoint(o), "--dtype must be f32, f16 or bf16 (got f64)");
  o.dtype = DType::F32;
  o.shards = 100;
  EXPECT_EQ(makeCheckpoint(o),
            "--shards 100 is more than the number of tensors (20)");
  o.shards = 0;
  o.dModel = 1 << 20;
  o.vocabSize = 1 << 20;
  EXPECT_EQ(makeCheckpoint(o),
            "the options ask for more than 4294967296 parameters");
  // Nothing was written by the refused runs.
  EXPECT_TRUE(modeltest::listDir(o.outDir).empty());
}

TEST(LayoutTest, GeneratorLeavesNoTemporaryFiles) {
  MakeCheckpointOptions o;
  o.shards = 2;
  std::string dir = generate(o, "tmpfiles");
  for (const std::string &name : modeltest::listDir(dir))
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
  EXPECT_EQ(modeltest::listDir(dir).size(), 4u);
}

} // namespace
