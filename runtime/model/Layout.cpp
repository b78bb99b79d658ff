//===- Layout.cpp - the named tensors of a Mamba / Mamba-2 checkpoint -----===//
//
// One table, built by layoutOf(), says which tensor goes where with which
// shape; expectedWeights() reads its names and shapes, resolveWeights() also
// its destinations, so the two cannot disagree.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Layout.h"

#include <set>

using namespace ssmc;
using namespace ssmc::model;

namespace {

/// One expected tensor and, when resolving, where its pointer goes.
struct Entry {
  WeightSpec spec;
  const TensorInfo **slot = nullptr;
};

/// The tensors of `c` in canonical order; with `out`, each entry's slot
/// points into it (out->layers is sized here).
std::vector<Entry> layoutOf(const ModelConfig &c, ModelWeights *out) {
  std::vector<Entry> entries;
  auto add = [&](std::string name, std::vector<int64_t> shape,
                 const TensorInfo **slot) {
    entries.push_back({{std::move(name), std::move(shape)}, slot});
  };
  auto at = [&](const TensorInfo *&member) { return out ? &member : nullptr; };
  ModelWeights scratch;
  ModelWeights &w = out ? *out : scratch;
  w.layers.assign(static_cast<size_t>(c.nLayer), LayerWeights());

  bool mamba2 = c.kind == ModelKind::Mamba2;
  int64_t d = c.dInner, n = c.dState, h = c.nHeads;
  int64_t gn = c.nGroups * n;
  int64_t convChannels = mamba2 ? d + 2 * gn : d;
  int64_t inProjRows = mamba2 ? 2 * d + 2 * gn + h : 2 * d;

  add("backbone.embeddings.weight", {c.vocabSize, c.dModel}, at(w.embeddings));
  for (int64_t i = 0; i < c.nLayer; ++i) {
    LayerWeights &l = w.layers[static_cast<size_t>(i)];
    std::string p = "backbone.layers." + std::to_string(i) + ".";
    add(p + "norm.weight", {c.dModel}, at(l.norm));
    add(p + "mixer.in_proj.weight", {inProjRows, c.dModel}, at(l.inProj));
    if (c.projBias)
      add(p + "mixer.in_proj.bias", {inProjRows}, at(l.inProjBias));
    add(p + "mixer.conv1d.weight", {convChannels, 1, c.dConv}, at(l.conv1d));
    if (c.convBias)
      add(p + "mixer.conv1d.bias", {convChannels}, at(l.conv1dBias));
    if (mamba2) {
      add(p + "mixer.dt_bias", {h}, at(l.dtBias));
      add(p + "mixer.A_log", {h}, at(l.aLog));
      add(p + "mixer.D", {h}, at(l.d));
      add(p + "mixer.norm.weight", {d}, at(l.mixerNorm));
    } else {
      add(p + "mixer.x_proj.weight", {c.dtRank + 2 * n, d}, at(l.xProj));
      add(p + "mixer.dt_proj.weight", {d, c.dtRank}, at(l.dtProj));
      add(p + "mixer.dt_proj.bias", {d}, at(l.dtProjBias));
      add(p + "mixer.A_log", {d, n}, at(l.aLog));
      add(p + "mixer.D", {d}, at(l.d));
    }
    add(p + "mixer.out_proj.weight", {c.dModel, d}, at(l.outProj));
    if (c.projBias)
      add(p + "mixer.out_proj.bias", {c.dModel}, at(l.outProjBias));
  }
  add("backbone.norm_f.weight", {c.dModel}, at(w.normF));
  if (!c.tieEmbeddings)
    add("lm_head.weight", {c.vocabSize, c.dModel}, at(w.lmHead));
  return entries;
}

const char *kEmbeddingsHF = "backbone.embeddings.weight";
const char *kEmbeddingsOriginal = "backbone.embedding.weight";
const char *kLmHead = "lm_head.weight";

/// Whether `got` is what `spec` asks for; conv1d weights may also drop their
/// middle dimension of 1.
bool shapeMatches(const WeightSpec &spec, const std::vector<int64_t> &got) {
  if (got == spec.shape)
    return true;
  static const std::string convSuffix = ".mixer.conv1d.weight";
  bool conv = spec.shape.size() == 3 && spec.shape[1] == 1 &&
              spec.name.size() > convSuffix.size() &&
              spec.name.compare(spec.name.size() - convSuffix.size(),
                                convSuffix.size(), convSuffix) == 0;
  return conv && got.size() == 2 && got[0] == spec.shape[0] &&
         got[1] == spec.shape[2];
}

} // namespace

std::vector<WeightSpec>
ssmc::model::expectedWeights(const ModelConfig &config) {
  std::vector<WeightSpec> specs;
  for (Entry &e : layoutOf(config, nullptr))
    specs.push_back(std::move(e.spec));
  return specs;
}

std::vector<std::string>
ssmc::model::canonicalWeightNames(const ModelConfig &config) {
  std::vector<std::string> names;
  for (Entry &e : layoutOf(config, nullptr))
    names.push_back(std::move(e.spec.name));
  return names;
}

std::string ssmc::model::resolveWeights(const ModelConfig &config,
                                        const WeightStore &store,
                                        const std::string &dir,
                                        ModelWeights &out) {
  ModelWeights w;
  std::vector<Entry> entries = layoutOf(config, &w);
  // A tied lm_head may still be stored (checkpoints saved with both names
  // for the one tensor); it is then used, and checked like any other.
  if (config.tieEmbeddings && store.find(kLmHead))
    entries.push_back(
        {{kLmHead, {config.vocabSize, config.dModel}}, &w.lmHead});

  std::set<std::string> used;
  for (Entry &e : entries) {
    std::string name = e.spec.name;
    const TensorInfo *t = store.find(name);
    if (!t && name == kEmbeddingsHF) {
      t = store.find(kEmbeddingsOriginal);
      if (t || config.spelling == ConfigSpelling::Original)
        name = kEmbeddingsOriginal;
    }
    if (!t)
      return dir + ": missing tensor '" + name + "'";
    if (!shapeMatches(e.spec, t->shape))
      return dir + ": tensor '" + name + "' has shape " + shapeText(t->shape) +
             " but the config implies " + shapeText(e.spec.shape);
    *e.slot = t;
    used.insert(name);
  }
  for (const auto &entry : store.tensors())
    if (!used.count(entry.first))
      return dir + ": unexpected tensor '" + entry.first + "'";
  if (!w.lmHead)
    w.lmHead = w.embeddings;
  out = std::move(w);
  return "";
}
