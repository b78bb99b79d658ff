//===- ssmc-model-check.cpp - a compiled model against the float64 oracle -===//
//
// Runs a model package over its checkpoint and checks, for each given prompt
// (several lengths, batched together):
//  - the prefill logits against the float64 reference model
//    (runtime/reference/Model.h) on the same weights: relative L2 <= --tol;
//  - the decode step: prefilling prompt[0..t) and stepping prompt[t] gives
//    the prefill logits at position t (same tolerance).
// Prints one line per check; exit 1 when any fails. Runtime only (no MLIR),
// so that it also runs where only the runtime is carried (the device tool's
// machines: bench/models/hf_check.py compares with HF transformers there).
// --prompt-ids gives the prompts instead of random ones, --logits-out writes
// each prompt's prefill logits as PREFIX<s>.npy, --generate N decodes N
// tokens greedily for every prompt after the checks and prints them.
// --tp N runs a package compiled with --tp N as N ranks (threads, one
// LocalGroup); --logits-in PREFIX also compares the prefill logits with
// PREFIX<s>.npy (another run's --logits-out: the unsharded model's).
// --bench N only times the prompts' prefill and N - 1 greedy decode steps
// (bench/models/gpu_bench.sh on the device, where `ssmc run`, which links
// MLIR, is not carried).
//
//===----------------------------------------------------------------------===//
#include "ssmc/model/Config.h"
#include "ssmc/model/Weights.h"
#include "ssmc/reference/Model.h"
#include "ssmc/runtime/Npy.h"
#include "ssmc/serve/Model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace ssmc;

namespace {

double relL2(const std::vector<double> &got, const std::vector<double> &want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  if (got.size() != want.size())
    return INFINITY;
  return std::sqrt(num / std::max(den, 1e-300));
}

std::vector<double> values(const runtime::HostTensor &t, int64_t first,
                           int64_t count) {
  std::vector<double> out;
  for (int64_t i = 0; i < count; ++i)
    out.push_back(t.get(first + i));
  return out;
}

/// printf, on the reporting rank only.
thread_local bool reporting = true;
void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
void say(const char *format, ...) {
  if (!reporting)
    return;
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
}
void complain(const char *format, ...) __attribute__((format(printf, 1, 2)));
void complain(const char *format, ...) {
  if (!reporting)
    return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

int usage() {
  std::fprintf(stderr,
               "usage: ssmc-model-check MODEL.ssmpkg MODEL_DIR "
               "[--lengths 1,5,17] [--tol 1e-4] [--seed N]\n"
               "                        [--prompt-ids 1,2,3]... "
               "[--logits-out PREFIX] [--generate N]\n"
               "                        [--tp N] [--logits-in PREFIX] "
               "[--device cpu|cuda]\n"
               "                        [--bench N]\n");
  return 2;
}

} // namespace

/// --bench N: prefill of the prompts (one batch, each prompt's last logits)
/// and N - 1 greedy decode steps, after one untimed warm-up of each; prints
/// the line `ssmc run` prints. No reference model.
static int timeGeneration(serve::Model &m,
                          const std::vector<std::vector<int64_t>> &prompts,
                          int64_t steps) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  int64_t vocab = m.vocabSize();
  std::vector<int64_t> next(prompts.size());
  auto greedy = [&](const runtime::HostTensor &t, size_t s) {
    std::vector<double> row = values(t, static_cast<int64_t>(s) * vocab, vocab);
    return std::max_element(row.begin(), row.end()) - row.begin();
  };
  std::vector<runtime::HostTensor> last;
  runtime::HostTensor stepLogits;
  std::string error;
  int64_t tokens = 0;
  for (const auto &p : prompts)
    tokens += static_cast<int64_t>(p.size());
  Clock::time_point t0, t1, t2;
  for (int pass = 0; pass < 2 && error.empty(); ++pass) {
    t0 = Clock::now();
    error = m.prefill(prompts, &last, /*lastOnly=*/true);
    t1 = Clock::now();
    for (size_t s = 0; s < prompts.size() && error.empty(); ++s)
      next[s] = greedy(last[s], 0);
    for (int64_t k = 1; k < (pass == 0 ? 2 : steps) && error.empty(); ++k) {
      error = m.step(next, stepLogits);
      for (size_t s = 0; s < prompts.size() && error.empty(); ++s)
        next[s] = greedy(stepLogits, s);
    }
    t2 = Clock::now();
  }
  if (!error.empty()) {
    std::fprintf(stderr, "ssmc-model-check: bench: %s\n", error.c_str());
    return 1;
  }
  if (std::string how = m.decodePath(); !how.empty())
    std::printf("decode steps: %s\n", how.c_str());
  double prefill = seconds(t0, t1), decode = seconds(t1, t2);
  std::printf("load -; prefill %lld tokens in %.4f s (%.1f tokens/s); decode "
              "%lld steps x %zu sequences in %.4f s (%.3f ms/step)\n",
              static_cast<long long>(tokens), prefill, tokens / prefill,
              static_cast<long long>(steps - 1), prompts.size(), decode,
              steps > 1 ? 1e3 * decode / static_cast<double>(steps - 1) : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return usage();
  std::string pkg = argv[1], dir = argv[2];
  std::vector<int64_t> lengths{1, 5, 17};
  double tol = 1e-4;
  uint64_t seed = 1;
  std::vector<std::vector<int64_t>> given;
  std::string logitsOut;
  int64_t generate = 0, tp = 1, bench = 0;
  std::string logitsIn, device = "cpu";
  auto list = [](const std::string &s) {
    std::vector<int64_t> out;
    for (size_t at = 0; at < s.size();) {
      size_t c = s.find(',', at);
      out.push_back(std::atoll(s.substr(at, c - at).c_str()));
      at = c == std::string::npos ? s.size() : c + 1;
    }
    return out;
  };
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--lengths" && i + 1 < argc) {
      lengths = list(argv[++i]);
    } else if (a == "--prompt-ids" && i + 1 < argc) {
      given.push_back(list(argv[++i]));
    } else if (a == "--logits-out" && i + 1 < argc) {
      logitsOut = argv[++i];
    } else if (a == "--tp" && i + 1 < argc) {
      tp = std::atoll(argv[++i]);
      if (tp < 1)
        return usage();
    } else if (a == "--device" && i + 1 < argc) {
      device = argv[++i];
    } else if (a == "--logits-in" && i + 1 < argc) {
      logitsIn = argv[++i];
    } else if (a == "--generate" && i + 1 < argc) {
      generate = std::atoll(argv[++i]);
    } else if (a == "--bench" && i + 1 < argc) {
      bench = std::atoll(argv[++i]);
      if (bench < 1)
        return usage();
    } else if (a == "--tol" && i + 1 < argc) {
      tol = std::atof(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      return usage();
    }
  }

  std::string error;
  model::ModelConfig cfg;
  if (error = model::readConfig(dir, cfg); !error.empty()) {
    std::fprintf(stderr, "ssmc-model-check: %s\n", error.c_str());
    return 1;
  }
  std::unique_ptr<model::WeightStore> store = model::WeightStore::open(dir, error);
  if (!store) {
    std::fprintf(stderr, "ssmc-model-check: %s\n", error.c_str());
    return 1;
  }
  // The checkpoint's tensors in float64, by their HF names (not for
  // --bench: a 2.8B model would take 22 GB).
  std::map<std::string, reference::Tensor> weights;
  for (const auto &[name, info] : store->tensors()) {
    if (bench > 0)
      break;
    reference::Tensor t(info.shape);
    std::vector<float> f = store->toFloat(info);
    for (size_t i = 0; i < f.size(); ++i)
      t.data[i] = f[i];
    std::string key = name == "backbone.embedding.weight"
                          ? "backbone.embeddings.weight"
                          : name;
    weights.emplace(key, std::move(t));
  }
  reference::WeightLookup lookup =
      [&](const std::string &name) -> const reference::Tensor * {
    auto it = weights.find(name);
    return it == weights.end() ? nullptr : &it->second;
  };

  // Every rank loads its slices first (no collectives), then all run the
  // same checks; rank 0 reports.
  int ranks = static_cast<int>(tp);
  std::unique_ptr<runtime::LocalGroup> group;
  if (ranks > 1)
    group = std::make_unique<runtime::LocalGroup>(ranks);
  std::vector<std::unique_ptr<serve::Model>> models(ranks);
  std::vector<std::string> errors(ranks);
  auto onRanks = [&](const std::function<void(int)> &fn) {
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r)
      threads.emplace_back(fn, r);
    for (std::thread &t : threads)
      t.join();
  };
  onRanks([&](int r) {
    models[r] = serve::Model::load(pkg, dir, errors[r],
                                   group ? &group->rank(r) : nullptr, device);
  });
  for (const std::string &e : errors)
    if (!e.empty()) {
      std::fprintf(stderr, "ssmc-model-check: %s\n", e.c_str());
      return 1;
    }
  if (!models[0]->notice().empty())
    std::fprintf(stderr, "ssmc-model-check: %s\n",
                 models[0]->notice().c_str());
  if (std::string how = models[0]->projections(); !how.empty())
    std::printf("running on %s (projections: %s)\n",
                models[0]->device().c_str(), how.c_str());
  else
    std::printf("running on %s\n", models[0]->device().c_str());
  // The given prompts, or prompts of the given lengths, random ids.
  std::vector<std::vector<int64_t>> prompts = given;
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t len : given.empty() ? lengths : std::vector<int64_t>()) {
    std::vector<int64_t> p;
    for (int64_t t = 0; t < len; ++t) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      p.push_back(static_cast<int64_t>((state >> 33) %
                                       static_cast<uint64_t>(cfg.vocabSize)));
    }
    prompts.push_back(std::move(p));
  }
  if (bench > 0) {
    if (ranks != 1) {
      std::fprintf(stderr, "ssmc-model-check: --bench runs one rank\n");
      return 2;
    }
    return timeGeneration(*models[0], prompts, bench);
  }
  std::vector<int> status(ranks, 0);
  auto check = [&](serve::Model &m) -> int {
    int failures = 0;
    int64_t vocab = m.vocabSize();

    std::vector<runtime::HostTensor> logits;
    if (error = m.prefill(prompts, &logits); !error.empty()) {
      complain("ssmc-model-check: prefill: %s\n", error.c_str());
      return 1;
    }
    if (!logitsOut.empty()) {
      std::vector<npy::NpyFile> files;
      for (size_t s = 0; s < prompts.size(); ++s) {
        npy::NpyFile f;
        f.path = logitsOut + std::to_string(s) + ".npy";
        f.shape = {static_cast<int64_t>(prompts[s].size()), vocab};
        f.data = values(logits[s], 0, logits[s].numElements());
        f.dtype = npy::DType::F32;
        files.push_back(std::move(f));
      }
      if (error = npy::writeNpyFiles(files); !error.empty()) {
        complain("ssmc-model-check: %s\n", error.c_str());
        return 1;
      }
    }
    std::vector<reference::Tensor> want;
    if (error = reference::modelPrefill(cfg, lookup, prompts, want);
        !error.empty()) {
      complain("ssmc-model-check: reference: %s\n", error.c_str());
      return 1;
    }
    for (size_t s = 0; s < prompts.size(); ++s) {
      double r = relL2(values(logits[s], 0, logits[s].numElements()),
                       want[s].data);
      bool ok = r <= tol;
      failures += !ok;
      say("prefill  prompt %zu (length %zu, batch %zu): rel. L2 %.2e %s\n",
                  s, prompts[s].size(), prompts.size(), r, ok ? "ok" : "FAILED");
    }
    // The prefill generation uses: only each prompt's last row of logits.
    {
      std::vector<runtime::HostTensor> last;
      if (error = m.prefill(prompts, &last, /*lastOnly=*/true); !error.empty()) {
        complain("ssmc-model-check: prefill (last rows): %s\n", error.c_str());
        return 1;
      }
      double worst = 0;
      for (size_t s = 0; s < prompts.size(); ++s) {
        int64_t pos = static_cast<int64_t>(prompts[s].size()) - 1;
        if (last[s].numElements() != vocab) {
          complain("ssmc-model-check: prefill (last rows): prompt %zu gave %lld "
                   "values, not %lld\n",
                   s, static_cast<long long>(last[s].numElements()),
                   static_cast<long long>(vocab));
          return 1;
        }
        worst = std::max(worst, relL2(values(last[s], 0, vocab),
                                      values(logits[s], pos * vocab, vocab)));
      }
      bool ok = worst <= tol;
      failures += !ok;
      say("prefill  last rows only: rel. L2 to the full prefill's last rows "
          "%.2e %s\n", worst, ok ? "ok" : "FAILED");
    }
    for (size_t s = 0; s < prompts.size() && !logitsIn.empty(); ++s) {
      npy::Array f;
      std::string path = logitsIn + std::to_string(s) + ".npy";
      if (std::string err = npy::readNpy(path, f); !err.empty()) {
        complain("ssmc-model-check: %s\n", err.c_str());
        return 1;
      }
      double r = relL2(values(logits[s], 0, logits[s].numElements()), f.data);
      bool ok = r <= tol;
      failures += !ok;
      say("logits   prompt %zu against %s: rel. L2 %.2e %s\n", s, path.c_str(),
          r, ok ? "ok" : "FAILED");
    }

    // Decode: prefill every prompt but its last k tokens (k up to 3, the
    // same for all), step those tokens one at a time, compare each step with
    // the full prefill's row at its position.
    int64_t k = 3;
    for (const auto &p : prompts)
      if (p.size() >= 2)
        k = std::min<int64_t>(k, static_cast<int64_t>(p.size()) - 1);
    std::vector<std::vector<int64_t>> prefixes;
    std::vector<size_t> which;
    for (size_t s = 0; s < prompts.size(); ++s) {
      if (prompts[s].size() < 2)
        continue;
      prefixes.emplace_back(prompts[s].begin(), prompts[s].end() - k);
      which.push_back(s);
    }
    if (!prefixes.empty()) {
      error = m.prefill(prefixes, nullptr);
      for (int64_t j = 0; j < k && error.empty(); ++j) {
        std::vector<int64_t> tokens;
        for (size_t s : which)
          tokens.push_back(prompts[s][prompts[s].size() - k + j]);
        runtime::HostTensor stepLogits;
        if (error = m.step(tokens, stepLogits); !error.empty())
          break;
        for (size_t i = 0; i < which.size(); ++i) {
          size_t s = which[i];
          int64_t pos = static_cast<int64_t>(prompts[s].size()) - k + j;
          double r =
              relL2(values(stepLogits, static_cast<int64_t>(i) * vocab, vocab),
                    values(logits[s], pos * vocab, vocab));
          bool ok = r <= tol;
          failures += !ok;
          say("decode   prompt %zu (step at position %lld): rel. L2 to the "
              "prefill %.2e %s\n",
              s, static_cast<long long>(pos), r, ok ? "ok" : "FAILED");
        }
      }
      if (!error.empty()) {
        complain("ssmc-model-check: decode: %s\n", error.c_str());
        return 1;
      }
      if (std::string how = m.decodePath(); !how.empty())
        say("decode steps: %s\n", how.c_str());
    }
    if (generate > 0) {
      // Greedy decoding of every prompt, all of them as one batch.
      std::vector<runtime::HostTensor> last;
      if (error = m.prefill(prompts, &last, /*lastOnly=*/true); !error.empty()) {
        complain("ssmc-model-check: generate: %s\n", error.c_str());
        return 1;
      }
      std::vector<std::vector<int64_t>> out(prompts.size());
      std::vector<int64_t> next;
      for (size_t s = 0; s < prompts.size(); ++s) {
        std::vector<double> row = values(last[s], 0, vocab);
        next.push_back(std::max_element(row.begin(), row.end()) - row.begin());
      }
      for (int64_t t = 0; t < generate; ++t) {
        for (size_t s = 0; s < prompts.size(); ++s)
          out[s].push_back(next[s]);
        if (t + 1 == generate)
          break;
        runtime::HostTensor stepLogits;
        if (error = m.step(next, stepLogits); !error.empty()) {
          complain("ssmc-model-check: generate: %s\n",
                       error.c_str());
          return 1;
        }
        for (size_t s = 0; s < prompts.size(); ++s) {
          std::vector<double> row =
              values(stepLogits, static_cast<int64_t>(s) * vocab, vocab);
          next[s] = std::max_element(row.begin(), row.end()) - row.begin();
        }
      }
      for (size_t s = 0; s < prompts.size(); ++s) {
        say("generated prompt %zu:", s);
        for (int64_t id : out[s])
          say(" %lld", static_cast<long long>(id));
        say("\n");
      }
    }
    say("%s\n", failures ? "model check: FAILED" : "model check: all ok");
    return failures ? 1 : 0;
  };
  onRanks([&](int r) {
    if (r != 0)
      reporting = false;
    status[r] = check(*models[r]);
  });
  return status[0];
}
