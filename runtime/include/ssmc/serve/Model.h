//===- Model.h - running a compiled model over its checkpoint --*- C++ -*-===//
//
// Loads a package that `ssmc compile MODEL_DIR` wrote and the checkpoint's
// weights (memory-mapped, checked against what every entry argument of the
// package expects: name, shape, dtype), then runs prefill over prompts and
// decode steps with the conv and SSM caches of every sequence, on the CPU or
// (a package compiled with --target cuda) the GPU.
// No MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_SERVE_MODEL_H
#define SSMC_SERVE_MODEL_H

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/CUDARuntime.h"
#include "ssmc/runtime/Collective.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace ssmc::model {
class WeightStore;
struct TensorInfo;
}

namespace ssmc::serve {

/// How the next token is chosen from the logits.
struct SamplingOptions {
  /// 0: greedy (argmax); else softmax(logits / temperature).
  double temperature = 0.0;
  /// Keep the k most likely tokens (0: all).
  int64_t topK = 0;
  /// Keep the smallest set of most likely tokens whose probability reaches
  /// p (1: all).
  double topP = 1.0;
};

/// The token chosen from `vocab` logits.
int64_t sampleToken(const float *logits, int64_t vocab,
                    const SamplingOptions &options, std::mt19937_64 &rng);

class Model {
public:
  /// Loads the package and the weights of `weightsDir`; null and `error`
  /// (naming the file and tensor) on failure. A tensor-parallel package
  /// (ssmc compile --tp N) needs the rank's communicator `comm` (of N
  /// ranks): the model then holds only that rank's slices of the weights,
  /// and every rank must make the same calls (prefill, step) in the same
  /// order, each on its own thread.
  /// `device` "cuda" runs the entries on the GPU, for a package compiled
  /// with --target cuda (its cuda object; the weights, the residual stream
  /// and the caches stay on the device); where CUDA cannot be used at all
  /// (no driver, no device) the CPU runs them and notice() says why.
  static std::unique_ptr<Model> load(const std::string &packagePath,
                                     const std::string &weightsDir,
                                     std::string &error,
                                     runtime::Communicator *comm = nullptr,
                                     const std::string &device = "cpu");
  ~Model();

  int64_t vocabSize() const { return vocab; }
  /// The width of the residual stream (d_model).
  int64_t modelWidth() const { return dModel; }
  /// The ranks the package was compiled for (--tp; 1 without).
  int64_t tensorParallel() const { return tp; }
  /// "cpu" or "cuda": where the entries run.
  const std::string &device() const { return where; }
  /// Why a "cuda" load runs on the CPU ("" when nothing fell back).
  const std::string &notice() const { return fallback; }
  /// On the GPU: how the projections run ("cuBLAS", or "loop kernels (why
  /// not cuBLAS)"); "" on the CPU.
  std::string projections() const;
  /// On the GPU, after a decode step: how the steps run ("CUDA graph", or
  /// "entry by entry (why no graph)"); "" on the CPU, before the first step
  /// and after a prefill until the next step captures its graph.
  std::string decodePath() const;
  /// This model's rank among them.
  int tensorParallelRank() const { return comm ? comm->rank() : 0; }
  int64_t numLayers() const { return layers; }
  /// "mamba" or "mamba2".
  const std::string &kind() const { return modelKind; }

  /// Runs every prompt (token ids, each at least one token) from empty
  /// caches: all prompts packed into one row of tokens, each layer one call
  /// for all of them (the `layer_packed` entry; packages without it run the
  /// prompts one after another); afterwards the caches hold the sequences'
  /// states, in prompt order, for step(). With `logits`, sets logits[s] to
  /// prompt s's logits: every position's (length x vocab, f32), or with
  /// `lastOnly` the last position's (1 x vocab), all generation needs.
  std::string prefill(const std::vector<std::vector<int64_t>> &prompts,
                      std::vector<runtime::HostTensor> *logits,
                      bool lastOnly = false);
  /// One token per sequence of the last prefill; `logits` becomes
  /// (sequences x vocab) f32.
  std::string step(const std::vector<int64_t> &tokens,
                   runtime::HostTensor &logits);

  /// Seconds spent in each entry (and calls) since load, for --profile.
  struct EntryTime {
    std::string entry;
    double seconds = 0;
    int64_t calls = 0;
    /// Of `seconds`, the time in matrix products (the BLAS hook).
    double productSeconds = 0;
  };
  const std::vector<EntryTime> &profile() const { return times; }

private:
  Model() = default;
  /// prefill() through `layer_packed`: one call per layer for all prompts.
  std::string prefillPacked(const std::vector<std::vector<int64_t>> &prompts,
                            std::vector<runtime::HostTensor> *logits,
                            bool lastOnly);
  /// Runs entry `name` for layer `layer` on the activations `acts` (by
  /// role; weights from the checkpoint, see inputs()), timing it.
  std::string
  call(const std::string &name, int64_t layer,
       const std::vector<std::pair<std::string, const runtime::HostTensor *>>
           &acts,
       std::vector<runtime::HostTensor> &out);
  /// call()'s arguments, reused from call to call.
  std::vector<runtime::TensorView> args;
  std::vector<EntryTime> times;
  /// The inputs of entry `name` for layer `layer`: activations and caches
  /// from `acts` (by role), weights from the checkpoint; the names of the
  /// checkpoint tensors read are added to `used` when given.
  std::string inputs(const std::string &name, int64_t layer,
                     const std::vector<std::pair<std::string,
                                                 const runtime::HostTensor *>>
                         &acts,
                     std::vector<runtime::TensorView> &out,
                     std::set<std::string> *used = nullptr);
  struct Shard;
  /// Loads this rank's slice `shard` of checkpoint tensor `info` (named
  /// `tensor`) as argument type `want` (-exp of it with `negExp`) into
  /// `converted`.
  std::string loadSlice(const model::TensorInfo &info,
                        const std::string &tensor, const Shard &shard,
                        const package::TensorSpec &want, bool negExp);
  std::string checkTokens(const std::vector<int64_t> &tokens,
                          const std::string &what) const;
  /// One token per sequence of the last prefill, each in the vocabulary.
  std::string checkStepTokens(const std::vector<int64_t> &tokens,
                              int64_t sequences) const;
  /// The entry of a decode step's layers.
  std::string decodeEntry();

  std::unique_ptr<runtime::Package> package;
  /// The package's cuda object, when the entries run on the GPU.
  std::unique_ptr<runtime::CUDAPackage> cuda;
  /// The GPU's side: every weight uploaded once at load (onDevice, by its
  /// host bytes); entries called on device tensors (weights from onDevice,
  /// activations and caches by role from `acts`), their results left on
  /// the device; prefill and step keep the residual stream and the caches
  /// (convDev, ssmDev) there, only tokens going up and logits down.
  using DeviceActs =
      std::vector<std::pair<std::string, const runtime::DeviceTensor *>>;
  std::string uploadWeights();
  std::string callDevice(const std::string &name, int64_t layer,
                         const DeviceActs &acts,
                         std::vector<runtime::DeviceTensor> &out);
  std::string prefillOnDevice(const std::vector<std::vector<int64_t>> &prompts,
                              std::vector<runtime::HostTensor> *logits,
                              bool lastOnly);
  std::string stepOnDevice(const std::vector<int64_t> &tokens,
                           runtime::HostTensor &logits);
  std::map<const void *, runtime::DeviceTensor> onDevice;
  std::vector<runtime::DeviceTensor> convDev, ssmDev;
  /// The decode step as a CUDA graph, captured at the first step after a
  /// prefill (the caches' addresses are then fixed: each step's new caches
  /// are copied into them inside the graph); graphOff says why steps run
  /// entry by entry instead.
  struct DecodeGraph;
  std::unique_ptr<DecodeGraph> decodeGraph;
  std::string graphOff;
  std::string captureDecode(const runtime::HostTensor &ids);
  std::string stepEntries(const runtime::DeviceTensor &ids,
                          bool copyCachesBack,
                          std::vector<runtime::DeviceTensor> &logits);
  /// Adds one call of entry `name` to the profile.
  void record(const std::string &name, double seconds, double productSeconds);
  std::string where = "cpu", fallback;
  std::unique_ptr<model::WeightStore> store;
  /// Weights whose dtype or layout the package wants differently, converted
  /// once at load, by name.
  std::vector<std::pair<std::string, runtime::HostTensor>> converted;
  /// Weights whose bytes in the checkpoint do not start on a cache line,
  /// copied to memory that does (kWeightAlignment).
  struct FreeDeleter {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t[], FreeDeleter>> aligned;
  /// Checkpoint bytes -> their aligned copy (a weight several entries take,
  /// or the tied embedding, is copied once).
  std::map<const void *, const void *> alignedOf;
  static constexpr size_t kWeightAlignment = 64;
  /// Entry name -> per layer: the weight arguments' views, resolved once at
  /// load (activation positions empty).
  std::map<std::string, std::vector<std::vector<runtime::TensorView>>>
      weightViews;
  /// Entry name -> argument roles.
  std::vector<std::pair<std::string, std::vector<std::string>>> roles;
  /// One rank's slice of a weight (ssm-shard-tensor-parallel's ssm.shard):
  /// along `dim` of the `full` shape, the pieces {start, size, split}.
  struct Shard {
    int64_t dim = 0;
    std::vector<int64_t> full, pieces;
  };
  /// Entry name -> per argument: its slice (empty `full`: not split).
  std::map<std::string, std::vector<Shard>> shards;
  int64_t tp = 1;
  runtime::Communicator *comm = nullptr;
  std::string modelKind, weightsDir;
  int64_t vocab = 0, layers = 0, dModel = 0;
  bool tied = true;
  /// Per layer: conv and SSM caches of the sequences.
  std::vector<runtime::HostTensor> convCache, ssmCache;
};

} // namespace ssmc::serve

#endif // SSMC_SERVE_MODEL_H
