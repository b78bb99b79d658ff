//===- ssmc-make-checkpoint.cpp - write a random-weight model directory ---===//
//
// Test models for the HF frontend, the reference model and the benchmarks:
// config.json and safetensors (single or sharded) of a Mamba or Mamba-2
// model with random weights, in either config spelling. The work is
// makeCheckpoint() of the model library; this is its command line.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/MakeCheckpoint.h"
#include "ssmc/tokenizer/Tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace ssmc;
using namespace ssmc::model;

namespace {

const char *usage =
    "usage: ssmc-make-checkpoint --type mamba|mamba2 --out DIR [options]\n"
    "\n"
    "Writes DIR/config.json and DIR/model.safetensors (or shards and\n"
    "model.safetensors.index.json) of a model with random weights drawn as\n"
    "Mamba's initialisation draws them.\n"
    "\n"
    "  --type mamba|mamba2     the model (required)\n"
    "  --out DIR               the model directory, created when missing\n"
    "                          (required)\n"
    "  --d-model N             hidden size (64)\n"
    "  --n-layer N             layers (2)\n"
    "  --vocab N               vocabulary size (100)\n"
    "  --d-state N             state size n (16)\n"
    "  --expand N              d_inner = N * d_model (2)\n"
    "  --d-conv N              conv width k (4)\n"
    "  --dt-rank N             mamba: dt rank, 0 = ceil(d_model / 16) (0)\n"
    "  --head-dim N            mamba2: head dim p (16)\n"
    "  --n-groups N            mamba2: groups of B and C (1)\n"
    "  --chunk-size N          mamba2: chunk size (16)\n"
    "  --dtype f32|f16|bf16    dtype of every tensor (f32)\n"
    "  --untied                write lm_head.weight apart from the embeddings\n"
    "  --proj-bias             give in_proj and out_proj a bias\n"
    "  --no-conv-bias          leave out conv1d.bias\n"
    "  --shards N              N shard files and an index instead of one file\n"
    "  --spelling hf|original  config keys and embedding name: HF "
    "transformers\n"
    "                          (default) or the original state-spaces ones\n"
    "  --seed S                random seed (0)\n"
    "  --tokenizer             also write a small byte-level BPE tokenizer.json\n"
    "                          of exactly --vocab tokens (needs --vocab >= 257)\n"
    "  --help                  print this\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ssmc-make-checkpoint: %s\n", message.c_str());
  return 1;
}

/// Parses a whole decimal integer in [lo, hi].
bool parseInt(const std::string &text, int64_t lo, int64_t hi, int64_t &out) {
  if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

bool parseSeed(const std::string &text, uint64_t &out) {
  if (text.empty() || text[0] < '0' || text[0] > '9')
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = v;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  MakeCheckpointOptions options;
  bool withTokenizer = false;
  bool haveType = false;
  struct IntFlag {
    const char *flag;
    int64_t *value;
  } intFlags[] = {
      {"--d-model", &options.dModel},   {"--n-layer", &options.nLayer},
      {"--vocab", &options.vocabSize},  {"--d-state", &options.dState},
      {"--expand", &options.expand},    {"--d-conv", &options.dConv},
      {"--dt-rank", &options.dtRank},   {"--head-dim", &options.headDim},
      {"--n-groups", &options.nGroups}, {"--chunk-size", &options.chunkSize},
      {"--shards", &options.shards}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg == "--untied") {
      options.untied = true;
      continue;
    }
    if (arg == "--proj-bias") {
      options.projBias = true;
      continue;
    }
    if (arg == "--no-conv-bias") {
      options.convBias = false;
      continue;
    }
    if (arg == "--tokenizer") {
      withTokenizer = true;
      continue;
    }
    // Every other option takes a value, as "--flag VALUE" or "--flag=VALUE".
    std::string value;
    if (size_t eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg.rfind("--", 0) == 0 && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      return fail(arg + " needs a value (see --help)");
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
    bool known = false;
    for (IntFlag &f : intFlags)
      if (arg == f.flag) {
        known = true;
        // Range checks with their messages are makeCheckpoint's; here only
        // the syntax.
        if (!parseInt(value, -(int64_t(1) << 62), int64_t(1) << 62, *f.value))
          return fail(arg + " expects an integer (got '" + value + "')");
      }
    if (known)
      continue;
    if (arg == "--type") {
      if (value == "mamba")
        options.kind = ModelKind::Mamba;
      else if (value == "mamba2")
        options.kind = ModelKind::Mamba2;
      else
        return fail("--type must be mamba or mamba2 (got '" + value + "')");
      haveType = true;
    } else if (arg == "--out") {
      options.outDir = value;
    } else if (arg == "--dtype") {
      if (!package::parseDType(value, options.dtype) ||
          (options.dtype != package::DType::F32 &&
           options.dtype != package::DType::F16 &&
           options.dtype != package::DType::BF16))
        return fail("--dtype must be f32, f16 or bf16 (got '" + value + "')");
    } else if (arg == "--spelling") {
      if (value == "hf")
        options.spelling = ConfigSpelling::HF;
      else if (value == "original")
        options.spelling = ConfigSpelling::Original;
      else
        return fail("--spelling must be hf or original (got '" + value + "')");
    } else if (arg == "--seed") {
      if (!parseSeed(value, options.seed))
        return fail("--seed expects a non-negative integer (got '" + value +
                    "')");
    } else {
      return fail("unknown option '" + arg + "' (see --help)");
    }
  }
  if (!haveType)
    return fail("--type is required (mamba or mamba2; see --help)");
  if (options.outDir.empty())
    return fail("--out is required (see --help)");
  if (withTokenizer && options.vocabSize < 257)
    return fail("--tokenizer needs --vocab >= 257 (the 256 bytes and "
                "<|endoftext|>)");
  if (std::string err = makeCheckpoint(options); !err.empty())
    return fail(err);
  if (withTokenizer)
    if (std::string err = ssmc::tokenizer::writeToyTokenizer(
            options.outDir + "/tokenizer.json", options.vocabSize);
        !err.empty())
      return fail(err);
  std::printf("wrote %s: %s, %s spelling, %s%s\n", options.outDir.c_str(),
              modelTypeName(options.kind),
              options.spelling == ConfigSpelling::HF ? "hf" : "original",
              package::dtypeName(options.dtype),
              options.shards
                  ? (", " + std::to_string(options.shards) + " shards").c_str()
                  : "");
  return 0;
}
