//===- make-seeds.cpp - writes the seed corpora of the fuzz targets -------===//
//
// Usage: make-seeds CORPUS_DIR
//
// Writes small valid inputs into CORPUS_DIR/<target>/, made with the
// repository's own writers (writeSafetensors, makeCheckpoint,
// makeConfigJson, writeToyTokenizer, writeManifest, serialize) so that the
// seeds follow the formats as ssmc writes them. Deterministic: rerunning it
// rewrites the same bytes. Regression inputs (crashes found and fixed) are
// kept in the same folders under names starting "regress-" and are not
// touched here.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/model/MakeCheckpoint.h"
#include "ssmc/runtime/Json.h"
#include "ssmc/runtime/Package.h"
#include "ssmc/tokenizer/Tokenizer.h"

#include <sys/stat.h>

using namespace ssmc;
using package::DType;

namespace {

std::string root;

/// Aborts with `err` unless it is empty.
void check(const std::string &err) {
  if (!err.empty()) {
    std::fprintf(stderr, "make-seeds: %s\n", err.c_str());
    std::exit(1);
  }
}

std::string folder(const std::string &target) {
  std::string dir = root + "/" + target;
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    check(dir + ": cannot create: " + std::strerror(errno));
  return dir;
}

void put(const std::string &target, const std::string &name,
         const std::string &bytes) {
  fuzz::writeWholeFile(folder(target) + "/" + name, bytes.data(), bytes.size());
}

std::string readFile(const std::string &path) {
  std::string text;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    check(path + ": cannot open");
  char buffer[4096];
  for (size_t got; (got = std::fread(buffer, 1, sizeof(buffer), file)) > 0;)
    text.append(buffer, got);
  std::fclose(file);
  return text;
}

/// A tiny Mamba (or Mamba-2) checkpoint in a scratch subfolder.
std::string tinyCheckpoint(const std::string &name, model::ModelKind kind,
                           DType dtype, int64_t shards) {
  model::MakeCheckpointOptions o;
  o.outDir = fuzz::scratchDirectory() + "-" + name;
  o.kind = kind;
  o.dModel = 8;
  o.nLayer = 1;
  o.vocabSize = 16;
  o.dState = 4;
  o.headDim = 4;
  o.chunkSize = 4;
  o.dtype = dtype;
  o.shards = shards;
  check(model::makeCheckpoint(o));
  return o.outDir;
}

void safetensorsSeeds() {
  std::string scratch = fuzz::scratchDirectory();
  std::map<std::string, model::TensorBytes> tensors = {
      {"f32", model::encodeTensor(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6})},
      {"f16", model::encodeTensor(DType::F16, {4}, {0.5f, -2, 65504, 1e-7f})},
      {"bf16", model::encodeTensor(DType::BF16, {2, 2}, {1, -1, 3e38f, 0})},
      {"empty", model::encodeTensor(DType::F32, {0, 5}, {})},
      {"scalar", model::encodeTensor(DType::F32, {}, {42})},
  };
  check(model::writeSafetensors(scratch + "/tiny", tensors));
  put("safetensors", "tiny.safetensors", readFile(scratch + "/tiny"));
  check(model::writeSafetensors(scratch + "/none", {}));
  put("safetensors", "no-tensors.safetensors", readFile(scratch + "/none"));
  std::string dir =
      tinyCheckpoint("st", model::ModelKind::Mamba, DType::BF16, 0);
  put("safetensors", "mamba-bf16.safetensors",
      readFile(dir + "/model.safetensors"));
  fuzz::removeFlatDirectory(dir);
}

void configSeeds() {
  using model::ConfigSpelling;
  using model::ModelKind;
  for (ModelKind kind : {ModelKind::Mamba, ModelKind::Mamba2})
    for (ConfigSpelling spelling :
         {ConfigSpelling::HF, ConfigSpelling::Original}) {
      model::MakeCheckpointOptions o;
      o.kind = kind;
      o.spelling = spelling;
      o.nGroups = 2;
      o.projBias = true;
      std::string name = std::string(model::modelTypeName(kind)) +
                         (spelling == ConfigSpelling::HF ? "-hf" : "-original");
      std::string text = model::makeConfigJson(o);
      // The non-finite dt limit Python's json.dump writes, and the original
      // spelling's dt_limit.
      if (kind == ModelKind::Mamba2 && spelling == ConfigSpelling::HF)
        text.insert(2, "  \"time_step_limit\": [0.0, Infinity],\n");
      if (kind == ModelKind::Mamba2 && spelling == ConfigSpelling::Original) {
        std::string key = "\"ssm_cfg\": {";
        text.insert(text.find(key) + key.size(),
                    "\"dt_limit\": [0.001, 0.1], \"d_ssm\": 128,");
      }
      put("config", name + ".json", text);
    }
  // The checkpoint ConfigFuzzer resolves against: a config that resolves.
  model::MakeCheckpointOptions o;
  o.dModel = 8;
  o.nLayer = 1;
  o.vocabSize = 16;
  o.dState = 4;
  put("config", "resolves.json", model::makeConfigJson(o));
}

void indexSeeds() {
  json::Value map = json::Value::object();
  json::Value metadata = json::Value::object();
  metadata.set("total_size", 34);
  for (const auto &[file, tensors] : fuzz::fixedShards())
    if (file != "dup.safetensors")
      for (const auto &entry : tensors)
        map.set(entry.first, file);
  json::Value index = json::Value::object();
  index.set("metadata", std::move(metadata));
  index.set("weight_map", std::move(map));
  put("index", "opens.json", json::write(index, 2) + "\n");
  // The index makeCheckpoint writes (its tensors are not in the fixed
  // shards: the target reports them missing).
  std::string dir =
      tinyCheckpoint("index", model::ModelKind::Mamba2, DType::F32, 2);
  put("index", "mamba2-2-shards.json",
      readFile(dir + "/model.safetensors.index.json"));
  fuzz::removeFlatDirectory(dir);
}

/// A tokenizer.json with every option the reader knows about.
constexpr const char *handmadeTokenizer = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<|endoftext|>", "special": true},
    {"id": 9, "content": "<|pad|>", "special": false}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}]},
  "post_processor": null,
  "decoder": {"type": "ByteLevel"},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": "<unk>",
    "continuing_subword_prefix": "", "end_of_word_suffix": null,
    "ignore_merges": true,
    "vocab": {"<|endoftext|>": 0, "<unk>": 1, "a": 2, "b": 3, "\u0120": 4,
              "ab": 5, "\u0120a": 6, "\u0120ab": 7, "abab": 8},
    "merges": ["a b", ["\u0120", "a"], "\u0120a b", "ab ab"]
  }
}
)";

void tokenizerSeeds() {
  std::string scratch = fuzz::scratchDirectory();
  for (int64_t size : {257, 300}) {
    std::string path = scratch + "/toy.json";
    check(tokenizer::writeToyTokenizer(path, size));
    put("tokenizer", "toy-" + std::to_string(size) + ".json", readFile(path));
  }
  put("tokenizer", "handmade.json", handmadeTokenizer);
}

void encodeSeeds() {
  put("encode", "english.txt",
      "The selective scan lets the model decide, for every token, how much "
      "of the past to keep. It's 130 million parameters; we're proud!\n");
  put("encode", "added.txt", "<|endoftext|>a<|pad|><|pad|><|pad|>  b   \n");
  put("encode", "unicode.txt",
      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8"
      "\xd8\xa7 \xf0\x9f\x98\x80\xe2\x80\x83\xc2\xa0x \xe2\x85\xa7");
  static const char invalid[] =
      "\xff\xfe\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80\xe0\x80 a\0b";
  put("encode", "invalid-utf8.bin", std::string(invalid, sizeof(invalid) - 1));
}

package::Manifest sampleManifest() {
  package::Manifest m;
  package::EntrySpec e;
  e.name = "forward";
  e.symbol = "ssmc_entry_forward";
  e.arguments.push_back({DType::F32, {-1, 16}});
  e.arguments.push_back({DType::BF16, {}});
  e.results.push_back({DType::I64, {3}});
  m.entries.push_back(e);
  package::Object cpu;
  cpu.target = package::cpuTarget;
  cpu.arch = "x86_64";
  cpu.cpu = "znver4";
  cpu.cpuFeatures = {"+avx2", "+fma", "-avx512f"};
  package::Object cuda;
  cuda.target = package::cudaTarget;
  cuda.arch = "x86_64";
  cuda.gpuArch = "sm_90a";
  m.objects = {cpu, cuda};
  return m;
}

void packageSeeds() {
  package::Manifest m = sampleManifest();
  put("package", "cpu-cuda.ssmpkg",
      package::serialize(m, {"\177ELF cpu object", "\177ELF cuda"}));
  package::Manifest withModel = m;
  withModel.objects.resize(1);
  withModel.model = R"({"config":{"d_model":8},"stages":["prefill","step"]})";
  put("package", "model.ssmpkg", package::serialize(withModel, {"\177ELF"}));
  put("package", "manifest.json", package::writeManifest(m));
}

void jsonSeeds() {
  put("json", "manifest.json", package::writeManifest(sampleManifest()));
  model::MakeCheckpointOptions o;
  put("json", "config.json", model::makeConfigJson(o));
  put("json", "scalars.json",
      R"({"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "i": -9223372036854775808,)"
      R"( "big": 18446744073709551616, "f": -0.0e+12, "e": 1E-400,)"
      R"( "t": true, "n": null, "a": [[], {}, [1, [2, [3]]]], "s": "dup"})");
  // 64 levels, arrays and objects alternating, around one number.
  std::string nested = "0";
  for (int i = 0; i < 64; ++i)
    nested = i % 2 ? "{\"k\": " + nested + "}" : "[" + nested + "]";
  put("json", "nested.json", nested);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make-seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  if (::mkdir(root.c_str(), 0777) != 0 && errno != EEXIST)
    check(root + ": cannot create: " + std::strerror(errno));
  safetensorsSeeds();
  configSeeds();
  indexSeeds();
  tokenizerSeeds();
  encodeSeeds();
  packageSeeds();
  jsonSeeds();
  return 0;
}
