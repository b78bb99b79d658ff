//===- ThreadPool.h - the CPU runtime's worker threads ----------*- C++ -*-===//
//
// Compiled packages run their outermost parallel loops through a function
// pointer (`ssmc_parallel_for`, codegen/CPU ssm-outline-parallel-loops); the
// runtime installs `parallelFor` there when it loads a package, so that every
// package shares one persistent pool.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_RUNTIME_THREADPOOL_H
#define SSMC_RUNTIME_THREADPOOL_H

#include <cstdint>

namespace ssmc {
namespace runtime {

/// The body of a parallel loop: runs iterations [begin, end) with `ctx`.
using ParallelBody = void (*)(void *ctx, int64_t begin, int64_t end);

/// Runs `body` over [0, n) on the pool (the calling thread takes part) and
/// returns when every iteration is done. A call made while the pool is busy
/// (from another thread, or nested) runs serially on the caller.
void parallelFor(ParallelBody body, void *ctx, int64_t n);

/// Sets the number of threads (caller included); 0 restores the default:
/// SSMC_NUM_THREADS when set to a positive number, else the hardware threads.
void setNumThreads(int threads);

/// The number of threads parallelFor uses.
int numThreads();

} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_THREADPOOL_H
