//===- MgpuABI.cpp - the mgpu* functions compiled CUDA objects call -------===//
//
// The host code of a package's cuda object comes from MLIR's gpu-to-llvm
// lowering: it loads its embedded GPU binary from a global constructor and
// launches kernels through the mgpu* functions of MLIR's CUDA runtime
// wrappers (mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp). Debian ships
// no libmlir_cuda_runtime, so the runtime implements that ABI here over the
// dlopen'ed driver (Driver.h); executables that link the CUDA runtime export
// these symbols (runtime/cuda/CMakeLists.txt) so that objects dlopen'ed from
// memory resolve them.
//
// Semantics that differ from upstream's wrappers, because the runtime drives
// the calls:
//   - mgpuStreamCreate returns the runtime's stream and mgpuStreamDestroy of
//     it does nothing, so that every entry runs on the stream the runtime
//     times and copies on;
//   - nothing is printed: the first failure is recorded with the call's name
//     in the process's sticky error slot (Driver::recordError), which the
//     runtime reads after every entry call and object load; once an error is
//     recorded, launches, copies and memsets do nothing;
//   - mgpuMemAlloc/mgpuMemFree go through the runtime's cache of device
//     blocks (no implicit synchronisation in cuMemFree between kernels).
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

using namespace ssmc::runtime::cuda;

#define SSMC_MGPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// The device mgpu* calls initialise when the runtime has not (an object
/// loaded by someone else); mgpuSetDefaultDevice sets it.
std::atomic<int> defaultDevice{0};

/// Whether the driver is usable from the calling thread; if not, records why
/// for \p call.
bool ensureReady(const char *call) {
  Driver &driver = Driver::get();
  std::string err;
  if (!driver.ready()) {
    bool unavailable;
    err = driver.initialize("", defaultDevice.load(), unavailable);
  } else {
    err = driver.makeCurrent();
  }
  if (err.empty())
    return true;
  driver.recordError(std::string(call) + ": " + err);
  return false;
}

/// Records \p result of driver call \p what made by \p call when it failed;
/// true when it succeeded.
bool report(CUresult result, const char *call, const char *what) {
  if (result == cudaSuccess)
    return true;
  Driver &driver = Driver::get();
  driver.recordError(std::string(call) + ": " + driver.check(result, what));
  return false;
}

/// The kernels the host code has looked up, by module and name: it looks
/// its kernel up before every launch (the names are the object's
/// constants). Entries go when their module is unloaded.
std::mutex functionsMutex;
std::map<std::pair<CUmodule, std::string>, CUfunction> &loadedFunctions() {
  static auto *functions =
      new std::map<std::pair<CUmodule, std::string>, CUfunction>();
  return *functions;
}

/// SSMC_CUDA_PROFILE=1: every launch outside graph captures is timed with
/// a pair of events; at exit the totals per kernel (by name, with the grid
/// and block of its first launch) go to stderr, largest first.
struct LaunchProfile {
  struct Launch {
    std::string kernel;
    CUevent start, end;
  };
  std::mutex mutex;
  std::vector<Launch> launches;
  std::map<std::string, std::string> shapes;

  static LaunchProfile *get() {
    static LaunchProfile *profile = [] {
      const char *env = std::getenv("SSMC_CUDA_PROFILE");
      if (!env || std::strcmp(env, "1") != 0)
        return static_cast<LaunchProfile *>(nullptr);
      auto *p = new LaunchProfile();
      std::atexit([] { get()->print(); });
      return p;
    }();
    return profile;
  }

  void print() {
    Driver &driver = Driver::get();
    if (!driver.ready() || launches.empty())
      return;
    const DriverFunctions &cu = driver.api();
    driver.makeCurrent();
    cu.cuStreamSynchronize(driver.stream());
    std::map<std::string, std::pair<int64_t, double>> totals;
    double all = 0;
    for (const Launch &l : launches) {
      float ms = 0;
      bool timed = cu.cuEventElapsedTime(&ms, l.start, l.end) == cudaSuccess;
      cu.cuEventDestroy_v2(l.start);
      cu.cuEventDestroy_v2(l.end);
      if (!timed)
        continue;
      auto &t = totals[l.kernel];
      ++t.first;
      t.second += ms;
      all += ms;
    }
    std::vector<std::pair<double, std::string>> order;
    for (auto &[name, t] : totals)
      order.emplace_back(t.second, name);
    std::sort(order.rbegin(), order.rend());
    std::fprintf(stderr,
                 "ssmc: kernel time (SSMC_CUDA_PROFILE): %.3f ms in %zu "
                 "launches\n",
                 all, launches.size());
    for (auto &[ms, name] : order)
      std::fprintf(stderr, "  %10.3f ms %7lld x  %-40s %s\n", ms,
                   static_cast<long long>(totals[name].first), name.c_str(),
                   shapes[name].c_str());
  }
};

/// The kernels' names, for the profile.
std::map<CUfunction, std::string> &kernelNames() {
  static auto *names = new std::map<CUfunction, std::string>();
  return *names;
}

CUdeviceptr devicePointer(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

} // namespace

//===----------------------------------------------------------------------===//
// Modules and kernels
//===----------------------------------------------------------------------===//

/// Loads a cubin or fatbin (\p size bytes; the driver reads their size from
/// their headers). Runs from the object's global constructor during dlopen.
SSMC_MGPU_EXPORT CUmodule mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  if (!ensureReady("mgpuModuleLoad"))
    return nullptr;
  const DriverFunctions &cu = Driver::get().api();
  CUmodule module = nullptr;
  if (!report(cu.cuModuleLoadData(&module, data), "mgpuModuleLoad",
              "cuModuleLoadData"))
    return nullptr;
  return module;
}

/// Loads PTX text (NUL-terminated, \p size bytes with the NUL), which the
/// driver compiles at \p optLevel; the compiler's log goes into the error.
SSMC_MGPU_EXPORT CUmodule mgpuModuleLoadJIT(void *data, int optLevel,
                                            size_t size) {
  (void)size;
  if (!ensureReady("mgpuModuleLoadJIT"))
    return nullptr;
  Driver &driver = Driver::get();
  char log[8192] = {0};
  int options[] = {jitErrorLogBuffer, jitErrorLogBufferSizeBytes,
                   jitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log) - 1)),
                    reinterpret_cast<void *>(intptr_t(optLevel))};
  CUmodule module = nullptr;
  CUresult result =
      driver.api().cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result != cudaSuccess) {
    std::string message =
        "mgpuModuleLoadJIT: " + driver.check(result, "cuModuleLoadDataEx");
    if (log[0])
      message += "; the PTX compiler says: " + std::string(log);
    driver.recordError(message);
    return nullptr;
  }
  return module;
}

/// Runs from the object's global destructor (dlclose); failures are not
/// recorded: at process exit the driver may already be gone.
SSMC_MGPU_EXPORT void mgpuModuleUnload(CUmodule module) {
  {
    std::lock_guard<std::mutex> lock(functionsMutex);
    auto &cache = loadedFunctions();
    for (auto it = cache.begin(); it != cache.end();)
      it = it->first.first == module ? cache.erase(it) : std::next(it);
  }
  Driver &driver = Driver::get();
  if (!module || !driver.ready() || !driver.makeCurrent().empty())
    return;
  driver.api().cuModuleUnload(module);
}

SSMC_MGPU_EXPORT CUfunction mgpuModuleGetFunction(CUmodule module,
                                                  const char *name) {
  Driver &driver = Driver::get();
  if (!module) {
    driver.recordError(std::string("mgpuModuleGetFunction: kernel '") +
                       (name ? name : "?") + "': its module is not loaded");
    return nullptr;
  }
  if (!ensureReady("mgpuModuleGetFunction"))
    return nullptr;
  std::lock_guard<std::mutex> lock(functionsMutex);
  auto &cache = loadedFunctions();
  auto key = std::make_pair(module, std::string(name ? name : ""));
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  CUfunction function = nullptr;
  if (!report(driver.api().cuModuleGetFunction(&function, module, name),
              "mgpuModuleGetFunction", "cuModuleGetFunction"))
    return nullptr;
  if (LaunchProfile::get()) {
    // Outlined kernels share names across modules: the module's load
    // order tells them apart.
    static std::map<CUmodule, int> order;
    auto seen = order.emplace(module, static_cast<int>(order.size())).first;
    kernelNames()[function] =
        key.second + " (module " + std::to_string(seen->second) + ")";
  }
  cache.emplace(std::move(key), function);
  return function;
}

/// Launches \p function on \p stream; sizes are intptr_t (MLIR's index).
/// Dynamic shared memory above the default 48 KiB is opted into first. A
/// grid with no blocks (an empty tensor) launches nothing.
SSMC_MGPU_EXPORT void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                       intptr_t gridY, intptr_t gridZ,
                                       intptr_t blockX, intptr_t blockY,
                                       intptr_t blockZ, int32_t smem,
                                       CUstream stream, void **params,
                                       void **extra, size_t paramsCount) {
  (void)paramsCount;
  Driver &driver = Driver::get();
  if (driver.hasError() || !ensureReady("mgpuLaunchKernel"))
    return;
  if (!function) {
    driver.recordError("mgpuLaunchKernel: no kernel (its lookup failed)");
    return;
  }
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return;
  for (intptr_t size : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (size <= 0 || size > intptr_t(UINT_MAX)) {
      driver.recordError(
          "mgpuLaunchKernel: invalid launch shape: grid (" +
          std::to_string(gridX) + ", " + std::to_string(gridY) + ", " +
          std::to_string(gridZ) + "), block (" + std::to_string(blockX) + ", " +
          std::to_string(blockY) + ", " + std::to_string(blockZ) + ")");
      return;
    }
  if (smem < 0) {
    driver.recordError("mgpuLaunchKernel: negative shared memory size " +
                       std::to_string(smem));
    return;
  }
  const DriverFunctions &cu = driver.api();
  constexpr int32_t defaultSharedLimit = 48 * 1024;
  if (smem > defaultSharedLimit) {
    int limit = driver.properties().maxSharedMemoryPerBlockOptin;
    if (smem > limit) {
      driver.recordError("mgpuLaunchKernel: the kernel needs " +
                         std::to_string(smem) +
                         " bytes of shared memory; the device allows " +
                         std::to_string(limit) + " per block");
      return;
    }
    if (!report(cu.cuFuncSetAttribute(function,
                                      funcAttrMaxDynamicSharedSizeBytes, smem),
                "mgpuLaunchKernel", "cuFuncSetAttribute"))
      return;
  }
  LaunchProfile *profile = LaunchProfile::get();
  CUevent start = nullptr, end = nullptr;
  if (profile && !driver.graphCapturing() &&
      cu.cuEventCreate(&start, eventDefault) == cudaSuccess) {
    if (cu.cuEventCreate(&end, eventDefault) == cudaSuccess) {
      cu.cuEventRecord(start, stream);
    } else {
      cu.cuEventDestroy_v2(start);
      start = nullptr;
    }
  }
  CUresult result = cu.cuLaunchKernel(
      function, unsigned(gridX), unsigned(gridY), unsigned(gridZ),
      unsigned(blockX), unsigned(blockY), unsigned(blockZ), unsigned(smem),
      stream, params, extra);
  if (start && end) {
    cu.cuEventRecord(end, stream);
    std::lock_guard<std::mutex> lock(profile->mutex);
    std::string name;
    {
      std::lock_guard<std::mutex> names(functionsMutex);
      name = kernelNames()[function];
    }
    if (!profile->shapes.count(name))
      profile->shapes[name] =
          "grid (" + std::to_string(gridX) + "," + std::to_string(gridY) +
          "," + std::to_string(gridZ) + ") block (" + std::to_string(blockX) +
          "," + std::to_string(blockY) + "," + std::to_string(blockZ) +
          ") smem " + std::to_string(smem);
    profile->launches.push_back({name, start, end});
  }
  if (result != cudaSuccess)
    driver.recordError(
        "mgpuLaunchKernel: " + driver.check(result, "cuLaunchKernel") +
        " for grid (" + std::to_string(gridX) + ", " + std::to_string(gridY) +
        ", " + std::to_string(gridZ) + "), block (" + std::to_string(blockX) +
        ", " + std::to_string(blockY) + ", " + std::to_string(blockZ) + "), " +
        std::to_string(smem) + " bytes of shared memory");
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

/// The runtime's stream (see the file comment).
SSMC_MGPU_EXPORT CUstream mgpuStreamCreate() {
  if (!ensureReady("mgpuStreamCreate"))
    return nullptr;
  return Driver::get().stream();
}

SSMC_MGPU_EXPORT void mgpuStreamDestroy(CUstream stream) {
  Driver &driver = Driver::get();
  if (!stream || !driver.ready() || stream == driver.stream())
    return;
  report(driver.api().cuStreamDestroy_v2(stream), "mgpuStreamDestroy",
         "cuStreamDestroy");
}

/// Waits for \p stream, except for the runtime's stream: the host code
/// synchronises after every launch region, which would make each kernel a
/// round trip to the host (and breaks stream capture into CUDA graphs).
/// Everything an entry does is ordered on that stream, and the runtime
/// waits for it where the host reads results (downloads), which is where a
/// kernel's fault surfaces; SSMC_CUDA_SYNC=1 keeps the wait after every
/// launch region, to find which one faults.
SSMC_MGPU_EXPORT void mgpuStreamSynchronize(CUstream stream) {
  static const bool syncEveryRegion = [] {
    const char *env = std::getenv("SSMC_CUDA_SYNC");
    return env && std::strcmp(env, "1") == 0;
  }();
  Driver &driver = Driver::get();
  if (!syncEveryRegion && driver.ready() && stream == driver.stream())
    return;
  if (!ensureReady("mgpuStreamSynchronize"))
    return;
  report(driver.api().cuStreamSynchronize(stream),
         "mgpuStreamSynchronize", "cuStreamSynchronize");
}

SSMC_MGPU_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  if (!ensureReady("mgpuStreamWaitEvent"))
    return;
  report(Driver::get().api().cuStreamWaitEvent(stream, event, 0),
         "mgpuStreamWaitEvent", "cuStreamWaitEvent");
}

SSMC_MGPU_EXPORT CUevent mgpuEventCreate() {
  if (!ensureReady("mgpuEventCreate"))
    return nullptr;
  CUevent event = nullptr;
  if (!report(Driver::get().api().cuEventCreate(&event, eventDisableTiming),
              "mgpuEventCreate", "cuEventCreate"))
    return nullptr;
  return event;
}

SSMC_MGPU_EXPORT void mgpuEventDestroy(CUevent event) {
  Driver &driver = Driver::get();
  if (!event || !driver.ready())
    return;
  report(driver.api().cuEventDestroy_v2(event), "mgpuEventDestroy",
         "cuEventDestroy");
}

SSMC_MGPU_EXPORT void mgpuEventSynchronize(CUevent event) {
  if (!ensureReady("mgpuEventSynchronize"))
    return;
  report(Driver::get().api().cuEventSynchronize(event), "mgpuEventSynchronize",
         "cuEventSynchronize");
}

SSMC_MGPU_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  if (!ensureReady("mgpuEventRecord"))
    return;
  report(Driver::get().api().cuEventRecord(event, stream), "mgpuEventRecord",
         "cuEventRecord");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Device memory, ordered on the runtime's stream like everything else.
SSMC_MGPU_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream,
                                    bool isHostShared) {
  (void)stream;
  Driver &driver = Driver::get();
  if (isHostShared) {
    driver.recordError("mgpuMemAlloc: host-shared allocations "
                       "(gpu.alloc host_shared) are not supported");
    return nullptr;
  }
  if (!ensureReady("mgpuMemAlloc"))
    return nullptr;
  CUdeviceptr pointer = 0;
  if (std::string err = driver.allocate(size_t(sizeBytes), pointer);
      !err.empty()) {
    driver.recordError("mgpuMemAlloc: " + err);
    return nullptr;
  }
  return reinterpret_cast<void *>(uintptr_t(pointer));
}

SSMC_MGPU_EXPORT void mgpuMemFree(void *pointer, CUstream stream) {
  (void)stream;
  Driver::get().release(devicePointer(pointer));
}

/// Copies \p sizeBytes between any two addresses the driver knows (device,
/// or host with unified addressing), ordered on \p stream.
SSMC_MGPU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                 CUstream stream) {
  Driver &driver = Driver::get();
  if (sizeBytes == 0 || driver.hasError() || !ensureReady("mgpuMemcpy"))
    return;
  report(driver.api().cuMemcpyAsync(devicePointer(dst), devicePointer(src),
                                    sizeBytes, stream),
         "mgpuMemcpy", "cuMemcpyAsync");
}

SSMC_MGPU_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                   CUstream stream) {
  Driver &driver = Driver::get();
  if (count == 0 || driver.hasError() || !ensureReady("mgpuMemset32"))
    return;
  report(
      driver.api().cuMemsetD32Async(devicePointer(dst), value, count, stream),
      "mgpuMemset32", "cuMemsetD32Async");
}

SSMC_MGPU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, CUstream stream) {
  Driver &driver = Driver::get();
  if (count == 0 || driver.hasError() || !ensureReady("mgpuMemset16"))
    return;
  report(
      driver.api().cuMemsetD16Async(devicePointer(dst), value, count, stream),
      "mgpuMemset16", "cuMemsetD16Async");
}

/// The device mgpu* calls use when they have to initialise CUDA themselves;
/// the runtime sets it to the device it loads packages for.
SSMC_MGPU_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice.store(device);
}
