//===- ThreadPool.cpp - a persistent pool for the packages' parallel loops ===//
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
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

/// Workers wait for a job. Each thread owns a contiguous share of its
/// iterations and takes chunks from its front; a thread done with its own
/// share takes chunks from the back of the others': uneven iterations
/// balance themselves, and each thread's memory stays one sequential stream
/// (iterations taken from one shared counter in turn interleaved the threads'
/// rows: a decode step's state update, 786 KB a layer, ran 1.5x slower).
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
    if (n > kMaxShare) {
      // Shares pack their bounds in 32 bits: larger jobs run in parts.
      job.unlock();
      struct Part {
        ParallelBody body;
        void *ctx;
        int64_t offset;
      };
      for (int64_t offset = 0; offset < n; offset += kMaxShare) {
        Part part{body, ctx, offset};
        run(
            [](void *p, int64_t b, int64_t e) {
              auto *part = static_cast<Part *>(p);
              part->body(part->ctx, part->offset + b, part->offset + e);
            },
            &part, std::min(kMaxShare, n - offset));
      }
      return;
    }
    int64_t all = static_cast<int64_t>(workers.size()) + 1;
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = {body, ctx, n, std::max<int64_t>(1, n / (all * 8))};
      for (int64_t t = 0; t < all; ++t)
        shares[t].span.store(pack(t * n / all, (t + 1) * n / all),
                             std::memory_order_relaxed);
      active.store(static_cast<int>(workers.size()));
      generation.fetch_add(1);
    }
    wake.notify_all();
    work(current, 0);
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

  static constexpr int64_t kMaxShare = int64_t(1) << 31;
  /// A share of iterations [front, back), packed in one word.
  struct alignas(64) Share {
    std::atomic<uint64_t> span{0};
  };
  static uint64_t pack(int64_t front, int64_t back) {
    return static_cast<uint64_t>(front) | static_cast<uint64_t>(back) << 32;
  }

  /// Takes up to `chunk` iterations from the front (the owner) or the back
  /// (another thread) of `share`; false when it is empty.
  static bool take(Share &share, int64_t chunk, bool fromFront,
                   int64_t &begin, int64_t &end) {
    uint64_t span = share.span.load(std::memory_order_relaxed);
    while (true) {
      int64_t front = static_cast<int64_t>(span & 0xffffffffu);
      int64_t back = static_cast<int64_t>(span >> 32);
      if (front >= back)
        return false;
      if (fromFront) {
        begin = front;
        end = std::min(back, front + chunk);
      } else {
        begin = std::max(front, back - chunk);
        end = back;
      }
      uint64_t next = fromFront ? pack(end, back) : pack(front, begin);
      if (share.span.compare_exchange_weak(span, next,
                                           std::memory_order_acq_rel))
        return true;
    }
  }

  /// Thread `self`'s share first, then what is left of the others'.
  void work(const Job &job, int64_t self) {
    int64_t all = threads.load(std::memory_order_relaxed);
    int64_t begin, end;
    while (take(shares[self], job.chunk, true, begin, end))
      job.body(job.ctx, begin, end);
    for (int64_t k = 1; k < all; ++k) {
      Share &other = shares[(self + k) % all];
      while (take(other, job.chunk, false, begin, end))
        job.body(job.ctx, begin, end);
    }
  }

  void start(int count) {
    stopping = false;
    // No job runs here: a worker must not take the generation of a job
    // posted before it first looks, or it would miss that job.
    uint64_t seen = generation;
    shares.reset(new Share[static_cast<size_t>(count)]);
    for (int i = 1; i < count; ++i)
      workers.emplace_back([this, seen, i] { loop(seen, i); });
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

  void loop(uint64_t seen, int64_t self) {
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
      work(job, self);
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
  std::unique_ptr<Share[]> shares; // one per thread, the caller's first
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
