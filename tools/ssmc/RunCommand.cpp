//===- RunCommand.cpp - `ssmc run`: generate with a compiled model --------===//
//
// Loads a model package and its checkpoint, prefills the prompts (ids, or
// text through the checkpoint's tokenizer.json), decodes up to
// --max-new-tokens per sequence with the chosen sampling, and prints the
// generated ids (and text), prefill and decode speeds.
//
//===----------------------------------------------------------------------===//
#include "RunCommand.h"

#include "ssmc/runtime/Npy.h"
#include "ssmc/serve/Model.h"
#include "ssmc/tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <functional>
#include <set>
#include <thread>

using namespace llvm;

cl::SubCommand ssmcRunCmd("run", "Generate with a compiled model: ssmc run "
                                 "MODEL.ssmpkg --weights MODEL_DIR");
static cl::OptionCategory runCategory("ssmc run options");
static cl::opt<std::string> runPackage(cl::Positional,
                                       cl::desc("<MODEL.ssmpkg>"),
                                       cl::sub(ssmcRunCmd),
                                       cl::cat(runCategory));
static cl::opt<std::string>
    runWeights("weights",
               cl::desc("The model directory the package was compiled from "
                        "(config.json, safetensors, tokenizer.json)"),
               cl::value_desc("dir"), cl::sub(ssmcRunCmd), cl::cat(runCategory));
static cl::list<std::string>
    runPromptIds("prompt-ids",
                 cl::desc("A prompt as comma-separated token ids; repeat for "
                          "a batch of prompts"),
                 cl::value_desc("1,2,3"), cl::sub(ssmcRunCmd),
                 cl::cat(runCategory));
static cl::list<std::string>
    runPrompts("prompt",
               cl::desc("A prompt as text (needs tokenizer.json in the model "
                        "directory); repeat for a batch"),
               cl::value_desc("text"), cl::sub(ssmcRunCmd), cl::cat(runCategory));
static cl::opt<int64_t> runMaxNew("max-new-tokens",
                                  cl::desc("Tokens to generate per prompt"),
                                  cl::init(16), cl::sub(ssmcRunCmd),
                                  cl::cat(runCategory));
static cl::opt<std::string>
    runLogitsOut("logits-out",
                 cl::desc("Write the prefill logits (prompt tokens x vocab, "
                          "f32; the prompts' rows one after another) as .npy"),
                 cl::value_desc("file.npy"), cl::sub(ssmcRunCmd),
                 cl::cat(runCategory));
static cl::opt<std::string> runDevice("device",
                                      cl::desc("cpu (default) or cuda"),
                                      cl::init("cpu"), cl::sub(ssmcRunCmd),
                                      cl::cat(runCategory));
static cl::opt<double> runTemperature(
    "temperature", cl::desc("Sampling temperature (0: greedy, the default)"),
    cl::init(0.0), cl::sub(ssmcRunCmd), cl::cat(runCategory));
static cl::opt<int64_t> runTopK("top-k",
                                cl::desc("Sample among the k most likely "
                                         "tokens (0: all)"),
                                cl::init(0), cl::sub(ssmcRunCmd),
                                cl::cat(runCategory));
static cl::opt<double> runTopP("top-p",
                               cl::desc("Sample among the most likely tokens "
                                        "up to probability p (1: all)"),
                               cl::init(1.0), cl::sub(ssmcRunCmd),
                               cl::cat(runCategory));
static cl::opt<uint64_t> runSeed("seed", cl::desc("Sampling seed"),
                                 cl::init(0), cl::sub(ssmcRunCmd),
                                 cl::cat(runCategory));
static cl::opt<bool> runProfile(
    "profile", cl::desc("Print the time spent in each of the model's entries"),
    cl::sub(ssmcRunCmd), cl::cat(runCategory));
static cl::list<int64_t>
    runStopIds("stop-id",
               cl::desc("A token id that ends a sequence (repeatable; the "
                        "tokenizer's <|endoftext|> is one by default)"),
               cl::sub(ssmcRunCmd), cl::cat(runCategory));

static cl::opt<int64_t>
    runTP("tp",
          cl::desc("Tensor-parallel ranks: a package compiled with ssmc "
                   "compile --tp N runs as N ranks (threads of this process "
                   "on the CPU)"),
          cl::init(1), cl::sub(ssmcRunCmd), cl::cat(runCategory));

namespace {

int failRun(const std::string &msg) {
  errs() << "ssmc run: " << msg << "\n";
  return 1;
}

bool parseIds(const std::string &text, std::vector<int64_t> &out,
              std::string &error) {
  out.clear();
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    std::string item = text.substr(at, comma == std::string::npos
                                           ? std::string::npos
                                           : comma - at);
    char *end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0') {
      error = "--prompt-ids '" + text + "': '" + item + "' is not an integer";
      return false;
    }
    out.push_back(v);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return true;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// What one rank's generation produced.
struct Generation {
  std::vector<ssmc::runtime::HostTensor> logits;
  std::vector<std::vector<int64_t>> generated;
  int64_t promptTokens = 0, steps = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
};

/// Runs `fn(r)` for r in [0, ranks): on this thread for one rank, else one
/// thread each.
void onRanks(int ranks, const std::function<void(int)> &fn) {
  if (ranks == 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back(fn, r);
  for (std::thread &t : threads)
    t.join();
}

/// Prefills `prompts` and decodes up to --max-new-tokens per sequence.
std::string generate(ssmc::serve::Model &model,
                     const std::vector<std::vector<int64_t>> &prompts,
                     const std::set<int64_t> &stops, Generation &out) {
  auto t1 = std::chrono::steady_clock::now();
  std::vector<ssmc::runtime::HostTensor> &logits = out.logits;
  // All positions' logits only when they are written out.
  if (std::string err =
          model.prefill(prompts, &logits, /*lastOnly=*/runLogitsOut.empty());
      !err.empty())
    return err;
  auto t2 = std::chrono::steady_clock::now();
  for (const auto &p : prompts)
    out.promptTokens += static_cast<int64_t>(p.size());

  // Decode: the first new token of each sequence from its prompt's last
  // logits, then one step per token.
  ssmc::serve::SamplingOptions sampling;
  sampling.temperature = runTemperature;
  sampling.topK = runTopK;
  sampling.topP = runTopP;
  std::mt19937_64 rng(runSeed);
  size_t b = prompts.size();
  int64_t vocab = model.vocabSize();
  std::vector<std::vector<int64_t>> &generated = out.generated;
  generated.assign(b, {});
  std::vector<bool> done(b, runMaxNew == 0);
  std::vector<int64_t> next(b);
  for (size_t s = 0; s < b && runMaxNew > 0; ++s) {
    const auto &l = logits[s];
    int64_t rows = l.shape[0];
    std::vector<float> last(static_cast<size_t>(vocab));
    for (int64_t v = 0; v < vocab; ++v)
      last[v] = static_cast<float>(l.get((rows - 1) * vocab + v));
    next[s] = ssmc::serve::sampleToken(last.data(), vocab, sampling, rng);
    generated[s].push_back(next[s]);
    done[s] = stops.count(next[s]) || runMaxNew == 1;
  }
  auto t3 = std::chrono::steady_clock::now();
  for (int64_t k = 1; k < runMaxNew; ++k) {
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; }))
      break;
    ssmc::runtime::HostTensor stepLogits;
    if (std::string err = model.step(next, stepLogits); !err.empty())
      return err;
    ++out.steps;
    for (size_t s = 0; s < b; ++s) {
      if (done[s])
        continue;
      std::vector<float> row(static_cast<size_t>(vocab));
      for (int64_t v = 0; v < vocab; ++v)
        row[v] = static_cast<float>(
            stepLogits.get(static_cast<int64_t>(s) * vocab + v));
      next[s] = ssmc::serve::sampleToken(row.data(), vocab, sampling, rng);
      generated[s].push_back(next[s]);
      done[s] = stops.count(next[s]) ||
                static_cast<int64_t>(generated[s].size()) >= runMaxNew;
    }
    if (runMaxNew >= 64 && k % 32 == 0 && model.tensorParallelRank() == 0)
      errs() << "ssmc run: " << k << "/" << runMaxNew << " tokens\r";
  }
  auto t4 = std::chrono::steady_clock::now();
  if (runMaxNew >= 64 && model.tensorParallelRank() == 0)
    errs() << "\n";
  out.prefillSeconds = seconds(t1, t2);
  out.decodeSeconds = seconds(t3, t4);
  return "";
}

} // namespace

const cl::OptionCategory &ssmcRunCategory() { return runCategory; }

int runModelCommand() {
  if (runPackage.empty())
    return failRun("no package; usage: ssmc run MODEL.ssmpkg --weights "
                   "MODEL_DIR [--prompt-ids 1,2,3 | --prompt TEXT]");
  if (runWeights.empty())
    return failRun("--weights MODEL_DIR is required");
  if (runDevice != "cpu" && runDevice != "cuda")
    return failRun("unknown --device '" + runDevice + "' (cpu or cuda)");
  if (runMaxNew < 0)
    return failRun("--max-new-tokens must not be negative");

  std::unique_ptr<ssmc::tokenizer::Tokenizer> tok;
  std::string tokPath = runWeights + "/tokenizer.json";
  std::string error;
  if (sys::fs::exists(tokPath)) {
    tok = ssmc::tokenizer::Tokenizer::load(tokPath, error);
    if (!tok)
      return failRun(error);
  }
  std::vector<std::vector<int64_t>> prompts;
  for (const std::string &ids : runPromptIds) {
    std::vector<int64_t> p;
    if (!parseIds(ids, p, error))
      return failRun(error);
    prompts.push_back(std::move(p));
  }
  for (const std::string &text : runPrompts) {
    if (!tok)
      return failRun("--prompt needs " + tokPath +
                     "; give token ids with --prompt-ids");
    prompts.push_back(tok->encode(text));
    if (prompts.back().empty())
      return failRun("--prompt '" + text + "' encodes to no tokens");
  }
  if (prompts.empty())
    return failRun("no prompt: give --prompt-ids or --prompt");

  std::set<int64_t> stops(runStopIds.begin(), runStopIds.end());
  if (tok && runStopIds.empty())
    if (auto eos = tok->eosId())
      stops.insert(*eos);
  if (runTP < 1)
    return failRun("--tp must be positive");

  // Every rank loads its own slices, then all generate the same tokens
  // (SPMD: the logits are gathered on every rank, the sampling seeded
  // alike); rank 0 reports. Loading comes first and apart: a rank that
  // fails to load must not leave the others waiting in a collective.
  int ranks = static_cast<int>(runTP);
  std::unique_ptr<ssmc::runtime::LocalGroup> group;
  if (ranks > 1)
    group = std::make_unique<ssmc::runtime::LocalGroup>(ranks);
  std::vector<std::unique_ptr<ssmc::serve::Model>> models(ranks);
  std::vector<std::string> errors(ranks);
  std::vector<Generation> runs(ranks);
  auto t0 = std::chrono::steady_clock::now();
  onRanks(ranks, [&](int r) {
    models[r] = ssmc::serve::Model::load(runPackage, runWeights, errors[r],
                                         group ? &group->rank(r) : nullptr,
                                         runDevice);
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return failRun(e);
  auto t1 = std::chrono::steady_clock::now();
  onRanks(ranks, [&](int r) {
    errors[r] = generate(*models[r], prompts, stops, runs[r]);
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return failRun(e);
  ssmc::serve::Model *model = models[0].get();
  if (!model->notice().empty())
    errs() << "ssmc run: " << model->notice() << "\n";
  const Generation &run = runs[0];
  const std::vector<ssmc::runtime::HostTensor> &logits = run.logits;
  const std::vector<std::vector<int64_t>> &generated = run.generated;
  int64_t promptTokens = run.promptTokens, steps = run.steps;
  size_t b = prompts.size();

  // Written once the whole run has succeeded, so that a failed run leaves
  // no file.
  if (!runLogitsOut.empty()) {
    std::vector<double> rows;
    for (const auto &l : logits)
      for (int64_t i = 0; i < l.numElements(); ++i)
        rows.push_back(l.get(i));
    if (std::string err =
            ssmc::npy::writeNpy(runLogitsOut, {promptTokens, model->vocabSize()},
                                rows, ssmc::npy::DType::F32);
        !err.empty())
      return failRun(err);
  }

  for (size_t s = 0; s < b; ++s) {
    outs() << "sequence " << s << ":";
    for (int64_t id : generated[s])
      outs() << " " << id;
    outs() << "\n";
    if (tok)
      outs() << "text " << s << ": " << tok->decode(generated[s], true)
             << "\n";
  }
  double prefillS = run.prefillSeconds, decodeS = run.decodeSeconds;
  char line[256];
  std::snprintf(line, sizeof line,
                "load %.3f s; prefill %lld tokens in %.3f s (%.1f tokens/s); "
                "decode %lld steps x %zu sequences in %.3f s (%.2f ms/step)\n",
                seconds(t0, t1), static_cast<long long>(promptTokens),
                prefillS, promptTokens / std::max(prefillS, 1e-9),
                static_cast<long long>(steps), b, decodeS,
                steps ? 1e3 * decodeS / steps : 0.0);
  errs() << line;
  if (group) {
    double collective = group->rank(0).seconds();
    std::snprintf(line, sizeof line,
                  "tensor parallel: %d ranks (threads of this process); rank "
                  "0 spent %.3f s in all-reduce / all-gather (waiting for the "
                  "others included)\n",
                  ranks, collective);
    errs() << line;
  }
  if (runProfile)
    for (const auto &t : model->profile()) {
      std::snprintf(line, sizeof line,
                    "  entry %-12s %6lld calls %9.3f s (%.3f ms a call; "
                    "matrix products %.3f s, the rest %.3f s)\n",
                    t.entry.c_str(), static_cast<long long>(t.calls),
                    t.seconds, t.calls ? 1e3 * t.seconds / t.calls : 0.0,
                    t.productSeconds, t.seconds - t.productSeconds);
      errs() << line;
    }
  return 0;
}
