//===- ConfigFuzzer.cpp - fuzzes parseConfig and the layout it implies ----===//
//
// The input is a config.json. A config that parses must satisfy what
// ModelConfig documents (sizes in range, heads dividing the width), must
// give the same sizes when written back by makeConfigJson and read again,
// and its tensor layout is built and resolved against a small checkpoint
// (where a hostile layer count or size would show as a hang or huge
// allocation).
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/model/Config.h"
#include "ssmc/model/Layout.h"
#include "ssmc/model/MakeCheckpoint.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

using namespace ssmc;
using namespace ssmc::model;

namespace {

/// A tiny Mamba checkpoint written once, for resolveWeights.
const WeightStore &smallStore() {
  static const std::unique_ptr<WeightStore> store = [] {
    MakeCheckpointOptions options;
    options.outDir = fuzz::scratchDirectory();
    options.dModel = 8;
    options.nLayer = 1;
    options.vocabSize = 16;
    options.dState = 4;
    std::string err = makeCheckpoint(options);
    SSMC_FUZZ_CHECK(err.empty(), err);
    std::unique_ptr<WeightStore> s = WeightStore::open(options.outDir, err);
    SSMC_FUZZ_CHECK(s, err);
    return s;
  }();
  return *store;
}

void checkInvariants(const ModelConfig &c) {
  constexpr int64_t maxSize = int64_t(1) << 24;
  SSMC_FUZZ_CHECK(c.dModel >= 1 && c.dModel <= maxSize, "dModel");
  SSMC_FUZZ_CHECK(c.nLayer >= 1 && c.nLayer <= 65536, "nLayer");
  SSMC_FUZZ_CHECK(c.vocabSize >= 1, "vocabSize");
  SSMC_FUZZ_CHECK(c.dInner >= c.dModel && c.dInner % c.dModel == 0, "dInner");
  SSMC_FUZZ_CHECK(c.dState >= 1 && c.dConv >= 1, "dState/dConv");
  SSMC_FUZZ_CHECK(std::isfinite(c.eps) && c.eps > 0, "eps");
  if (c.kind == ModelKind::Mamba) {
    SSMC_FUZZ_CHECK(c.dtRank >= 1, "dtRank");
  } else {
    SSMC_FUZZ_CHECK(c.headDim >= 1 && c.nGroups >= 1 && c.chunkSize >= 1,
                    "mamba2 sizes");
    SSMC_FUZZ_CHECK(c.nHeads * c.headDim == c.dInner, "heads");
    SSMC_FUZZ_CHECK(c.nHeads % c.nGroups == 0, "groups");
  }
  if (c.hasDtLimit)
    SSMC_FUZZ_CHECK(std::isfinite(c.dtLimitLo) && c.dtLimitLo >= 0 &&
                        c.dtLimitLo < c.dtLimitHi,
                    "dt limit");
}

/// makeConfigJson of the sizes `c` holds must read back to them.
void checkRoundTrip(const ModelConfig &c) {
  MakeCheckpointOptions o;
  o.kind = c.kind;
  o.spelling = c.spelling;
  o.dModel = c.dModel;
  o.nLayer = c.nLayer;
  o.vocabSize = c.vocabSize;
  o.dState = c.dState;
  o.expand = c.dInner / c.dModel;
  o.dConv = c.dConv;
  o.dtRank = c.kind == ModelKind::Mamba ? c.dtRank : 0;
  o.headDim = c.headDim;
  o.nGroups = c.nGroups;
  o.chunkSize = c.chunkSize;
  o.untied = !c.tieEmbeddings;
  o.convBias = c.convBias;
  o.projBias = c.projBias;
  std::string text = makeConfigJson(o);
  ModelConfig back;
  std::string err = parseConfig("config.json", text, back);
  // expand is read back only up to 1024; anything else must round-trip.
  if (o.expand > 1024 || o.vocabSize > (int64_t(1) << 24))
    return;
  SSMC_FUZZ_CHECK(err.empty(), err + "\n" + text);
  SSMC_FUZZ_CHECK(
      back.kind == c.kind && back.spelling == c.spelling &&
          back.dModel == c.dModel && back.nLayer == c.nLayer &&
          back.vocabSize == c.vocabSize && back.dInner == c.dInner &&
          back.dState == c.dState && back.dConv == c.dConv &&
          back.dtRank == c.dtRank && back.tieEmbeddings == c.tieEmbeddings &&
          back.convBias == c.convBias && back.projBias == c.projBias,
      text);
  if (c.kind == ModelKind::Mamba2)
    SSMC_FUZZ_CHECK(back.nGroups == c.nGroups && back.headDim == c.headDim &&
                        back.nHeads == c.nHeads &&
                        back.chunkSize == c.chunkSize,
                    text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const WeightStore &store = smallStore();
  std::string text(reinterpret_cast<const char *>(data), size);
  ModelConfig config;
  std::string err = parseConfig("config.json", text, config);
  if (!err.empty())
    return 0;
  checkInvariants(config);
  checkRoundTrip(config);
  std::vector<WeightSpec> specs = expectedWeights(config);
  for (const WeightSpec &spec : specs)
    for (int64_t d : spec.shape)
      SSMC_FUZZ_CHECK(d >= 1, spec.name + " " + shapeText(spec.shape));
  ModelWeights weights;
  err = resolveWeights(config, store, "dir", weights);
  if (err.empty())
    SSMC_FUZZ_CHECK(weights.embeddings && weights.lmHead && weights.normF &&
                        weights.layers.size() ==
                            static_cast<size_t>(config.nLayer),
                    "resolved weights");
  return 0;
}
