//===- Nccl.cpp - tensor-parallel ranks on GPUs over NCCL -----------------===//
//
// NCCL's functions are resolved from libnccl.so.2 at run time (the
// declarations below carry nccl.h's values); the communicator implements
// runtime::Communicator on device pointers, on the runtime's stream.
//
//===----------------------------------------------------------------------===//
#include "ssmc/runtime/Nccl.h"

#include "Driver.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <type_traits>
#include <vector>

namespace ssmc::runtime {

namespace {

using cuda::CUdeviceptr;
using cuda::CUstream;
using cuda::Driver;

// From nccl.h.
using ncclResult_t = int;
using ncclComm_t = struct ncclComm *;
struct ncclUniqueId {
  char internal[128];
};
constexpr int ncclFloat32 = 7;
constexpr int ncclSum = 0;

struct Nccl {
  void *library = nullptr;
  ncclResult_t (*getUniqueId)(ncclUniqueId *) = nullptr;
  ncclResult_t (*commInitRank)(ncclComm_t *, int, ncclUniqueId, int) = nullptr;
  ncclResult_t (*commDestroy)(ncclComm_t) = nullptr;
  ncclResult_t (*allReduce)(const void *, void *, size_t, int, int, ncclComm_t,
                            CUstream) = nullptr;
  ncclResult_t (*allGather)(const void *, void *, size_t, int, ncclComm_t,
                            CUstream) = nullptr;
  const char *(*errorString)(ncclResult_t) = nullptr;
  std::string error;

  std::string describe(ncclResult_t r, const char *call) const {
    const char *text = errorString ? errorString(r) : nullptr;
    return std::string(call) + " failed: " + (text ? text : "NCCL error") +
           " (" + std::to_string(r) + ")";
  }
};

const Nccl &nccl() {
  static Nccl state;
  static std::once_flag once;
  std::call_once(once, [] {
    // $SSMC_NCCL_LIBRARY alone when set, else the usual names.
    const char *named = std::getenv("SSMC_NCCL_LIBRARY");
    std::vector<const char *> names = {"libnccl.so.2", "libnccl.so"};
    if (named && *named)
      names = {named};
    std::string tried;
    for (const char *name : names) {
      tried += (tried.empty() ? "" : ", ") + std::string(name);
      if ((state.library = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)))
        break;
    }
    if (!state.library) {
      state.error = "cannot load NCCL (tried " + tried +
                    "; SSMC_NCCL_LIBRARY names another)";
      return;
    }
    auto resolve = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          ::dlsym(state.library, name));
      if (!fn && state.error.empty())
        state.error = "NCCL lacks " + std::string(name);
    };
    resolve(state.getUniqueId, "ncclGetUniqueId");
    resolve(state.commInitRank, "ncclCommInitRank");
    resolve(state.commDestroy, "ncclCommDestroy");
    resolve(state.allReduce, "ncclAllReduce");
    resolve(state.allGather, "ncclAllGather");
    resolve(state.errorString, "ncclGetErrorString");
  });
  return state;
}

bool timingRequested() {
  const char *t = std::getenv("SSMC_TP_TIMING");
  return t && std::string(t) == "1";
}

class NcclRank : public Communicator {
public:
  NcclRank(ncclComm_t comm, int world, int rank)
      : comm(comm), size(world), me(rank), timed(timingRequested()) {}
  ~NcclRank() override {
    Driver &driver = Driver::get();
    if (driver.ready())
      (void)driver.api().cuStreamSynchronize(driver.stream());
    nccl().commDestroy(comm);
    if (scratch)
      driver.release(scratch);
  }
  int rank() const override { return me; }
  int world() const override { return size; }

  void allReduceSum(float *data, int64_t count) override {
    Driver &driver = Driver::get();
    if (driver.hasError() || count <= 0)
      return;
    auto t0 = start();
    if (ncclResult_t r =
            nccl().allReduce(data, data, static_cast<size_t>(count),
                             ncclFloat32, ncclSum, comm, driver.stream()))
      driver.recordError(nccl().describe(r, "ncclAllReduce"));
    stop(t0);
  }

  void allGather(const float *in, float *out, int64_t outer,
                 int64_t inner) override {
    Driver &driver = Driver::get();
    if (driver.hasError() || outer <= 0 || inner <= 0)
      return;
    auto t0 = start();
    size_t block = static_cast<size_t>(outer * inner) * sizeof(float);
    // NCCL puts rank r's whole buffer at [r block, (r + 1) block): with one
    // row that is the layout asked for; otherwise gathered into scratch,
    // then each rank's rows copied to their columns of `out`.
    if (outer == 1) {
      if (ncclResult_t r = nccl().allGather(in, out, block / sizeof(float),
                                            ncclFloat32, comm, driver.stream()))
        driver.recordError(nccl().describe(r, "ncclAllGather"));
      stop(t0);
      return;
    }
    size_t need = block * static_cast<size_t>(size);
    if (need > scratchBytes) {
      if (scratch)
        driver.release(scratch);
      scratch = 0;
      scratchBytes = 0;
      if (std::string err = driver.allocate(need, scratch); !err.empty()) {
        driver.recordError("the all-gather's buffer: " + err);
        return;
      }
      scratchBytes = need;
    }
    if (ncclResult_t r =
            nccl().allGather(in, reinterpret_cast<void *>(scratch),
                             block / sizeof(float), ncclFloat32, comm,
                             driver.stream())) {
      driver.recordError(nccl().describe(r, "ncclAllGather"));
      return;
    }
    size_t row = static_cast<size_t>(inner) * sizeof(float);
    for (int r = 0; r < size; ++r) {
      cuda::Memcpy2D copy;
      copy.srcMemoryType = cuda::memoryTypeDevice;
      copy.srcDevice = scratch + static_cast<size_t>(r) * block;
      copy.srcPitch = row;
      copy.dstMemoryType = cuda::memoryTypeDevice;
      copy.dstDevice = reinterpret_cast<CUdeviceptr>(out) +
                       static_cast<size_t>(r) * row;
      copy.dstPitch = row * static_cast<size_t>(size);
      copy.WidthInBytes = row;
      copy.Height = static_cast<size_t>(outer);
      if (std::string err = driver.check(
              driver.api().cuMemcpy2DAsync_v2(&copy, driver.stream()),
              "cuMemcpy2DAsync");
          !err.empty()) {
        driver.recordError("the all-gather's copy: " + err);
        return;
      }
    }
    stop(t0);
  }

  std::string timeAllReduce(int64_t count, int iterations,
                            double &median) override {
    if (count <= 0 || iterations <= 0)
      return "nothing to time";
    Driver &driver = Driver::get();
    CUdeviceptr buffer = 0;
    size_t bytes = static_cast<size_t>(count) * sizeof(float);
    if (std::string err = driver.allocate(bytes, buffer); !err.empty())
      return err;
    const cuda::DriverFunctions &cu = driver.api();
    std::string err = driver.check(
        cu.cuMemsetD32Async(buffer, 0, static_cast<size_t>(count),
                            driver.stream()),
        "cuMemsetD32Async");
    if (err.empty())
      err = driver.check(cu.cuStreamSynchronize(driver.stream()),
                         "cuStreamSynchronize");
    std::vector<double> times;
    for (int i = 0; i < iterations && err.empty(); ++i) {
      auto t0 = Clock::now();
      if (ncclResult_t r = nccl().allReduce(
              reinterpret_cast<void *>(buffer), reinterpret_cast<void *>(buffer),
              static_cast<size_t>(count), ncclFloat32, ncclSum, comm,
              driver.stream()))
        err = nccl().describe(r, "ncclAllReduce");
      else
        err = driver.check(cu.cuStreamSynchronize(driver.stream()),
                           "cuStreamSynchronize");
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    driver.release(buffer);
    if (!err.empty())
      return err;
    std::sort(times.begin(), times.end());
    median = times[times.size() / 2];
    return "";
  }

private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start() {
    if (timed) {
      Driver &driver = Driver::get();
      (void)driver.api().cuStreamSynchronize(driver.stream());
    }
    return Clock::now();
  }
  void stop(Clock::time_point t0) {
    if (!timed)
      return;
    Driver &driver = Driver::get();
    (void)driver.api().cuStreamSynchronize(driver.stream());
    spent += std::chrono::duration<double>(Clock::now() - t0).count();
  }

  ncclComm_t comm;
  int size, me;
  bool timed;
  CUdeviceptr scratch = 0;
  size_t scratchBytes = 0;
};

} // namespace

std::string ncclGroupId(NcclGroupId &id) {
  const Nccl &n = nccl();
  if (!n.error.empty())
    return n.error;
  ncclUniqueId raw;
  if (ncclResult_t r = n.getUniqueId(&raw))
    return n.describe(r, "ncclGetUniqueId");
  static_assert(sizeof(raw.internal) == sizeof(id.bytes));
  std::memcpy(id.bytes, raw.internal, sizeof(id.bytes));
  return "";
}

std::unique_ptr<Communicator> ncclCommunicator(const NcclGroupId &id,
                                               int world, int rank,
                                               std::string &error) {
  const Nccl &n = nccl();
  if (!n.error.empty()) {
    error = n.error;
    return nullptr;
  }
  if (world < 1 || rank < 0 || rank >= world) {
    error = "rank " + std::to_string(rank) + " of a group of " +
            std::to_string(world);
    return nullptr;
  }
  Driver &driver = Driver::get();
  if (!driver.ready()) {
    error = "NCCL needs CUDA initialised on the rank's device first";
    return nullptr;
  }
  if (std::string err = driver.makeCurrent(); !err.empty()) {
    error = err;
    return nullptr;
  }
  ncclUniqueId raw;
  std::memcpy(raw.internal, id.bytes, sizeof(raw.internal));
  ncclComm_t comm = nullptr;
  if (ncclResult_t r = n.commInitRank(&comm, world, raw, rank)) {
    error = n.describe(r, "ncclCommInitRank") + " (rank " +
            std::to_string(rank) + " of " + std::to_string(world) + ")";
    return nullptr;
  }
  return std::make_unique<NcclRank>(comm, world, rank);
}

} // namespace ssmc::runtime
