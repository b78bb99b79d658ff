//===- ThreadPool.cpp - a persistent pool for the packages' parallel loops ===//
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace ssmc {
namespace runtime {

namespace {

int defaultThreads() {
  if (const char *env = std::getenv("SSMC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

/// Workers wait for a job, then take chunks of iterations from a shared
/// counter until none is left: uneven iterations balance themselves.
class Pool {
public:
  Pool() { start(defaultThreads()); }
  ~Pool() { stopAll(); }

  void run(ParallelBody body, void *ctx, int64_t n) {
    if (n <= 0)
      return;
    std::unique_lock<std::mutex> job(jobMutex, std::try_to_lock);
    if (!job.owns_lock() || workers.empty() || n == 1) {
      body(ctx, 0, n);
      return;
    }
    int64_t all = static_cast<int64_t>(workers.size()) + 1;
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = {body, ctx, n, std::max<int64_t>(1, n / (all * 8))};
      next.store(0);
      active.store(static_cast<int>(workers.size()));
      generation.fetch_add(1);
    }
    wake.notify_all();
    work(current);
    // The workers usually finish within microseconds: spin briefly before
    // sleeping (a model's decode step makes hundreds of short jobs).
    for (int i = 0; i < kSpin && active.load(std::memory_order_acquire); ++i)
      pause();
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return active.load() == 0; });
  }

  void resize(int threads) {
    std::lock_guard<std::mutex> job(jobMutex);
    stopAll();
    start(threads > 0 ? threads : defaultThreads());
  }

  /// Without the job lock: a job's body may ask.
  int size() const { return threads.load(std::memory_order_relaxed); }

private:
  struct Job {
    ParallelBody body = nullptr;
    void *ctx = nullptr;
    int64_t n = 0;
    int64_t chunk = 1;
  };

  void work(const Job &job) {
    while (true) {
      int64_t begin = next.fetch_add(job.chunk);
      if (begin >= job.n)
        return;
      job.body(job.ctx, begin, std::min(job.n, begin + job.chunk));
    }
  }

  void start(int count) {
    stopping = false;
    // No job runs here: a worker must not take the generation of a job
    // posted before it first looks, or it would miss that job.
    uint64_t seen = generation;
    for (int i = 1; i < count; ++i)
      workers.emplace_back([this, seen] { loop(seen); });
    threads.store(count, std::memory_order_relaxed);
  }

  void stopAll() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
  }

  void loop(uint64_t seen) {
    while (true) {
      Job job;
      // A next job usually follows within microseconds: spin briefly
      // before sleeping on the condition variable (whose wake-up costs tens
      // of microseconds).
      for (int i = 0; i < kSpin &&
                      generation.load(std::memory_order_acquire) == seen &&
                      !stopping.load(std::memory_order_acquire);
           ++i)
        pause();
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping)
          return;
        seen = generation;
        job = current;
      }
      work(job);
      std::lock_guard<std::mutex> lock(mutex);
      if (--active == 0)
        done.notify_one();
    }
  }

  std::mutex jobMutex; // one job at a time
  std::mutex mutex;    // guards the fields below
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  Job current;
  std::atomic<int64_t> next{0};
  // Written under `mutex`, read without it by spinning threads.
  std::atomic<uint64_t> generation{0};
  std::atomic<int> active{0};
  std::atomic<bool> stopping{false};
  std::atomic<int> threads{1};

  /// Iterations of a spin wait (about 20-50 microseconds).
  static constexpr int kSpin = 20000;
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
};

Pool &pool() {
  static Pool instance;
  return instance;
}

} // namespace

void parallelFor(ParallelBody body, void *ctx, int64_t n) {
  pool().run(body, ctx, n);
}

void setNumThreads(int threads) { pool().resize(threads); }

int numThreads() { return pool().size(); }

} // namespace runtime
} // namespace ssmc
