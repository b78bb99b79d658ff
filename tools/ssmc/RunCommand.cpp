//===- RunCommand.cpp - `ssmc run`: generate with a compiled model --------===//
//
// Loads a model package and its checkpoint, prefills the prompts (ids, or
// text through the checkpoint's tokenizer.json), decodes up to
// --max-new-tokens per sequence with the chosen sampling, and prints the
// generated ids (and text), prefill and decode speeds.
//
//===----------------------------------------------------------------------===//
#include "RunCommand.h"

#include "ssmc/runtime/CUDARuntime.h"
#include "ssmc/runtime/Collective.h"
#include "ssmc/runtime/Nccl.h"
#include "ssmc/runtime/Npy.h"
#include "ssmc/serve/Model.h"
#include "ssmc/tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

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
                   "on the CPU; with --device cuda one process per GPU, "
                   "over NCCL)"),
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

/// With --profile on several ranks: the median time of an all-reduce of
/// one decode step's residual (sequences x d_model f32), every rank taking
/// part; 0 otherwise.
double allReduceLatency(ssmc::runtime::Communicator &comm,
                        const ssmc::serve::Model &model, size_t sequences) {
  if (!runProfile || comm.world() < 2)
    return 0.0;
  double median = 0.0;
  if (std::string err = comm.timeAllReduce(
          static_cast<int64_t>(sequences) * model.modelWidth(), 50, median);
      !err.empty()) {
    errs() << "ssmc run: rank " << comm.rank()
           << ": the all-reduce timing failed: " << err << "\n";
    return 0.0;
  }
  return median;
}

/// Rank 0's output: the generated ids (and text), the logits file, the
/// speeds, the collectives' share and with --profile the entries' times.
int report(ssmc::serve::Model &model, const Generation &run,
           const std::vector<std::vector<int64_t>> &prompts,
           const ssmc::tokenizer::Tokenizer *tok, double loadSeconds,
           ssmc::runtime::Communicator *comm, double allReduceSeconds,
           const char *ranksAre) {
  if (!model.notice().empty())
    errs() << "ssmc run: " << model.notice() << "\n";
  if (runProfile && !model.projections().empty())
    errs() << "ssmc run: projections on the GPU: " << model.projections()
           << "\n";
  if (runProfile && !model.decodePath().empty())
    errs() << "ssmc run: decode steps on the GPU: " << model.decodePath()
           << "\n";
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
            ssmc::npy::writeNpy(runLogitsOut, {promptTokens, model.vocabSize()},
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
  outs().flush();
  double prefillS = run.prefillSeconds, decodeS = run.decodeSeconds;
  char line[320];
  std::snprintf(line, sizeof line,
                "load %.3f s; prefill %lld tokens in %.3f s (%.1f tokens/s); "
                "decode %lld steps x %zu sequences in %.3f s (%.2f ms/step)\n",
                loadSeconds, static_cast<long long>(promptTokens), prefillS,
                promptTokens / std::max(prefillS, 1e-9),
                static_cast<long long>(steps), b, decodeS,
                steps ? 1e3 * decodeS / steps : 0.0);
  errs() << line;
  if (comm && comm->world() > 1) {
    double collective = comm->seconds();
    if (collective > 0 || runDevice == "cpu")
      std::snprintf(line, sizeof line,
                    "tensor parallel: %d ranks (%s); rank 0 spent %.3f s in "
                    "all-reduce / all-gather (waiting for the others "
                    "included)\n",
                    comm->world(), ranksAre, collective);
    else
      std::snprintf(line, sizeof line,
                    "tensor parallel: %d ranks (%s); the collectives' time "
                    "is measured with SSMC_TP_TIMING=1\n",
                    comm->world(), ranksAre);
    errs() << line;
    if (allReduceSeconds > 0) {
      std::snprintf(line, sizeof line,
                    "  all-reduce of %zu x %lld f32 (one decode step's "
                    "residual): %.1f us (median of 50)\n",
                    b, static_cast<long long>(model.modelWidth()),
                    1e6 * allReduceSeconds);
      errs() << line;
    }
  }
  if (runProfile)
    for (const auto &t : model.profile()) {
      std::snprintf(line, sizeof line,
                    "  entry %-12s %6lld calls %9.3f s (%.3f ms a call; "
                    "matrix products %.3f s, the rest %.3f s)\n",
                    t.entry.c_str(), static_cast<long long>(t.calls),
                    t.seconds, t.calls ? 1e3 * t.seconds / t.calls : 0.0,
                    t.productSeconds, t.seconds - t.productSeconds);
      errs() << line;
    }
  errs().flush();
  return 0;
}

/// runCudaRanks' status when CUDA cannot be used here at all.
constexpr int kNoCuda = 86;

/// --device cuda with --tp N: one process per GPU (the CUDA runtime is one
/// state per process), rank r on device r, the ranks joined by NCCL. Rank 0
/// makes the group's id and sends it to the others through pipes; each
/// runs `fn(r, communicator)` and exits with its status. When a rank fails
/// the others are stopped: they would wait in a collective for ever. Where
/// CUDA cannot be used at all (no driver, no device) nothing runs and the
/// result is kNoCuda.
int runCudaRanks(
    int ranks,
    const std::function<int(int, ssmc::runtime::Communicator *)> &fn) {
  std::vector<std::array<int, 2>> pipes(static_cast<size_t>(ranks));
  for (auto &p : pipes)
    if (::pipe(p.data()) != 0)
      return failRun(std::string("cannot start the ranks: pipe: ") +
                     std::strerror(errno));
  outs().flush();
  errs().flush();
  std::vector<pid_t> children;
  for (int r = 0; r < ranks; ++r) {
    pid_t pid = ::fork();
    if (pid < 0) {
      for (pid_t c : children)
        ::kill(c, SIGTERM);
      return failRun(std::string("cannot start the ranks: fork: ") +
                     std::strerror(errno));
    }
    if (pid > 0) {
      children.push_back(pid);
      continue;
    }
    // Rank r's process: only its own ends of the pipes stay open (rank 0
    // writes to every other rank; rank k reads its own), so that a rank
    // that dies closes what the others wait on.
    for (int k = 0; k < ranks; ++k) {
      if (r != 0 || k == 0)
        ::close(pipes[k][1]);
      if (k != r || r == 0)
        ::close(pipes[k][0]);
    }
    // CUDA first: where it cannot be used at all, every rank says so and
    // the caller runs the ranks on the CPU.
    ssmc::runtime::CUDAOptions options;
    options.device = r;
    bool unavailable = false;
    if (std::string err = ssmc::runtime::initializeCUDA(options, unavailable);
        !err.empty()) {
      if (unavailable)
        ::_exit(kNoCuda);
      ::_exit(failRun("rank " + std::to_string(r) + ": " + err));
    }
    ssmc::runtime::NcclGroupId id;
    std::string error;
    if (r == 0) {
      error = ssmc::runtime::ncclGroupId(id);
      for (int k = 1; k < ranks && error.empty(); ++k)
        if (::write(pipes[k][1], id.bytes, sizeof id.bytes) !=
            static_cast<ssize_t>(sizeof id.bytes))
          error = "cannot send the NCCL group's id to rank " +
                  std::to_string(k);
    } else {
      size_t got = 0;
      while (got < sizeof id.bytes) {
        ssize_t n = ::read(pipes[r][0], id.bytes + got, sizeof id.bytes - got);
        if (n <= 0)
          break;
        got += static_cast<size_t>(n);
      }
      if (got != sizeof id.bytes)
        error = "rank 0 sent no NCCL group id";
    }
    for (int k = 0; k < ranks; ++k)
      ::close(r == 0 ? pipes[k][1] : pipes[k][0]);
    if (!error.empty())
      ::_exit(failRun("rank " + std::to_string(r) + ": " + error));
    std::unique_ptr<ssmc::runtime::Communicator> comm =
        ssmc::runtime::ncclCommunicator(id, ranks, r, error);
    if (!comm)
      ::_exit(failRun("rank " + std::to_string(r) + ": " + error));
    int status = fn(r, comm.get());
    comm.reset();
    outs().flush();
    errs().flush();
    ::_exit(status);
  }
  for (auto &p : pipes) {
    ::close(p[0]);
    ::close(p[1]);
  }
  int result = 0;
  bool noCuda = false;
  for (size_t left = children.size(); left > 0; --left) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0)
      break;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (code == kNoCuda) {
      noCuda = true;
      code = 1;
    }
    if (code != 0 && result == 0) {
      result = code;
      for (pid_t c : children)
        if (c != pid)
          ::kill(c, SIGTERM);
    }
  }
  return noCuda ? kNoCuda : result;
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

  int ranks = static_cast<int>(runTP);
  if (ranks > 1 && runDevice == "cuda") {
    int status = runCudaRanks(ranks, [&](int r,
                                         ssmc::runtime::Communicator *comm) {
      auto t0 = std::chrono::steady_clock::now();
      std::string error;
      std::unique_ptr<ssmc::serve::Model> model = ssmc::serve::Model::load(
          runPackage, runWeights, error, comm, "cuda:" + std::to_string(r));
      if (!model)
        return failRun("rank " + std::to_string(r) + ": " + error);
      auto t1 = std::chrono::steady_clock::now();
      Generation run;
      if (std::string err = generate(*model, prompts, stops, run);
          !err.empty())
        return failRun("rank " + std::to_string(r) + ": " + err);
      double latency = allReduceLatency(*comm, *model, prompts.size());
      if (r != 0)
        return 0;
      return report(*model, run, prompts, tok.get(), seconds(t0, t1), comm,
                    latency, "processes, one GPU each, over NCCL");
    });
    if (status != kNoCuda)
      return status;
    // No CUDA here: the ranks run as threads, each model on the CPU (and
    // saying so).
  }

  // Every rank loads its own slices, then all generate the same tokens
  // (SPMD: the logits are gathered on every rank, the sampling seeded
  // alike); rank 0 reports. Loading comes first and apart: a rank that
  // fails to load must not leave the others waiting in a collective.
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
  std::vector<double> latency(ranks, 0.0);
  onRanks(ranks, [&](int r) {
    errors[r] = generate(*models[r], prompts, stops, runs[r]);
    if (errors[r].empty() && group)
      latency[r] =
          allReduceLatency(group->rank(r), *models[r], prompts.size());
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return failRun(e);
  return report(*models[0], runs[0], prompts, tok.get(), seconds(t0, t1),
                group ? &group->rank(0) : nullptr, latency[0],
                "threads of this process");
}
