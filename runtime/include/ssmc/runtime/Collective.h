//===- Collective.h - tensor-parallel collectives for packages --*- C++ -*-===//
//
// A tensor-parallel package (ssmc compile --tp N) calls its collectives
// (all-reduce of the row-parallel out_proj, all-gather of the vocabulary-
// split logits, the rank of the embedding's rows) through one function
// pointer the runtime installs (ssm-cpu-lower-collectives). The calls go to
// the communicator of the calling thread: every rank runs its entries on a
// thread of its own. `LocalGroup` is N ranks in one process (CPU threads);
// NCCL's communicator would implement the same interface on the GPU.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_RUNTIME_COLLECTIVE_H
#define SSMC_RUNTIME_COLLECTIVE_H

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ssmc::runtime {

/// One rank's view of its group. Every rank must make the same calls in the
/// same order (SPMD), as with NCCL.
class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  /// data[0, count) becomes the sum over the ranks (in rank order, so every
  /// rank gets the same bits).
  virtual void allReduceSum(float *data, int64_t count) = 0;
  /// in: outer x inner; out: outer x (world x inner), rank r's block at
  /// [r inner, (r + 1) inner) of each row.
  virtual void allGather(const float *in, float *out, int64_t outer,
                         int64_t inner) = 0;
  /// Seconds spent inside the collectives since the start (waiting included).
  double seconds() const { return spent; }
  /// Times `iterations` all-reduces of `count` floats in a buffer of its
  /// own (every rank must call it alike); `median` is the median seconds of
  /// one. Not counted in seconds(). "" or a message.
  virtual std::string timeAllReduce(int64_t count, int iterations,
                                    double &median);

protected:
  double spent = 0;
};

/// N ranks in one process, one thread each: they meet at a barrier.
class LocalGroup {
public:
  explicit LocalGroup(int world);
  ~LocalGroup();
  int world() const { return static_cast<int>(members.size()); }
  Communicator &rank(int r) { return *members[static_cast<size_t>(r)]; }

  /// Waits until every rank has arrived (internal).
  void barrier();
  /// The buffers the ranks posted for the current collective (internal).
  std::vector<const float *> posted;

private:
  std::vector<std::unique_ptr<Communicator>> members;
  std::mutex mutex;
  std::condition_variable arrived;
  int waiting = 0;
  uint64_t generation = 0;
};

/// The communicator of the calling thread (null: one rank).
Communicator *threadCommunicator();
/// Sets it for the calling thread until the returned guard ends.
class CommunicatorScope {
public:
  explicit CommunicatorScope(Communicator *comm);
  ~CommunicatorScope();
  CommunicatorScope(const CommunicatorScope &) = delete;
  CommunicatorScope &operator=(const CommunicatorScope &) = delete;

private:
  Communicator *previous;
};

/// The function a package's @ssmc_collective_v1 points to: op 0 returns the
/// rank; op 1 sums in[0, outer x inner) over the ranks in place (in == out);
/// op 2 gathers in (outer x inner) into out (outer x world x inner).
extern "C" int64_t ssmcCollective(int64_t op, void *in, void *out,
                                  int64_t outer, int64_t inner);

} // namespace ssmc::runtime

#endif // SSMC_RUNTIME_COLLECTIVE_H
