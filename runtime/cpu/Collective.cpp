//===- Collective.cpp - ranks of one process meeting at a barrier ---------===//
#include "ssmc/runtime/Collective.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace ssmc::runtime {

namespace {

thread_local Communicator *current = nullptr;

/// Rank `r` of a LocalGroup: posts its buffer, waits for the others, reads
/// theirs, waits again so that no buffer is reused while another rank reads.
class LocalRank : public Communicator {
public:
  LocalRank(LocalGroup &group, int r) : group(group), r(r) {}
  int rank() const override { return r; }
  int world() const override { return group.world(); }

  void allReduceSum(float *data, int64_t count) override {
    auto t0 = std::chrono::steady_clock::now();
    group.posted[static_cast<size_t>(r)] = data;
    group.barrier();
    // Every rank sums in rank order: the same bits everywhere.
    scratch.assign(static_cast<size_t>(count), 0.0f);
    for (const float *src : group.posted)
      for (int64_t i = 0; i < count; ++i)
        scratch[static_cast<size_t>(i)] += src[i];
    group.barrier();
    std::memcpy(data, scratch.data(), static_cast<size_t>(count) * sizeof(float));
    spent += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           t0)
                 .count();
  }

  void allGather(const float *in, float *out, int64_t outer,
                 int64_t inner) override {
    auto t0 = std::chrono::steady_clock::now();
    group.posted[static_cast<size_t>(r)] = in;
    group.barrier();
    int64_t w = world();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < w; ++k)
        std::memcpy(out + (o * w + k) * inner,
                    group.posted[static_cast<size_t>(k)] + o * inner,
                    static_cast<size_t>(inner) * sizeof(float));
    group.barrier();
    spent += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           t0)
                 .count();
  }

private:
  LocalGroup &group;
  int r;
  std::vector<float> scratch;
};

} // namespace

LocalGroup::LocalGroup(int world) {
  posted.assign(static_cast<size_t>(world), nullptr);
  for (int r = 0; r < world; ++r)
    members.push_back(std::make_unique<LocalRank>(*this, r));
}

LocalGroup::~LocalGroup() = default;

void LocalGroup::barrier() {
  std::unique_lock<std::mutex> lock(mutex);
  uint64_t gen = generation;
  if (++waiting == world()) {
    waiting = 0;
    ++generation;
    arrived.notify_all();
    return;
  }
  arrived.wait(lock, [&] { return generation != gen; });
}

std::string Communicator::timeAllReduce(int64_t count, int iterations,
                                        double &median) {
  if (count <= 0 || iterations <= 0)
    return "nothing to time";
  std::vector<float> data(static_cast<size_t>(count), 1.0f);
  std::vector<double> times;
  double before = spent;
  for (int i = 0; i < iterations; ++i) {
    std::fill(data.begin(), data.end(), 1.0f);
    auto t0 = std::chrono::steady_clock::now();
    allReduceSum(data.data(), count);
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - t0)
                        .count());
  }
  spent = before;
  std::sort(times.begin(), times.end());
  median = times[times.size() / 2];
  return "";
}

Communicator *threadCommunicator() { return current; }

CommunicatorScope::CommunicatorScope(Communicator *comm) : previous(current) {
  current = comm;
}

CommunicatorScope::~CommunicatorScope() { current = previous; }

extern "C" int64_t ssmcCollective(int64_t op, void *in, void *out,
                                  int64_t outer, int64_t inner) {
  Communicator *comm = current;
  switch (op) {
  case 0:
    return comm ? comm->rank() : 0;
  case 1:
    if (comm)
      comm->allReduceSum(static_cast<float *>(in), outer * inner);
    return 0;
  case 2:
    if (comm)
      comm->allGather(static_cast<const float *>(in), static_cast<float *>(out),
                      outer, inner);
    else
      std::memcpy(out, in, static_cast<size_t>(outer * inner) * sizeof(float));
    return 0;
  default:
    return -1;
  }
}

} // namespace ssmc::runtime
