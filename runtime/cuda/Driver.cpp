//===- Driver.cpp - loading the CUDA driver and the process's CUDA state --===//

#include "Driver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <iterator>

namespace ssmc {
namespace runtime {
namespace cuda {

Driver &Driver::get() {
  static Driver *driver = new Driver();
  return *driver;
}

std::string Driver::defaultLibrary() {
  const char *env = std::getenv("SSMC_CUDA_DRIVER");
  return env && *env ? env : "libcuda.so.1";
}

namespace {

/// The names of errors a driver that cannot name them (the toolkit's stub
/// library) gives while initialising.
const char *initErrorName(CUresult result) {
  switch (result) {
  case 3:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100:
    return "CUDA_ERROR_NO_DEVICE";
  case 999:
    return "CUDA_ERROR_UNKNOWN";
  }
  return nullptr;
}

} // namespace

std::string Driver::check(CUresult result, const char *call) const {
  if (result == cudaSuccess)
    return "";
  const char *name = nullptr, *text = nullptr;
  if (fns.cuGetErrorName && fns.cuGetErrorName(result, &name) != cudaSuccess)
    name = nullptr;
  if (fns.cuGetErrorString &&
      fns.cuGetErrorString(result, &text) != cudaSuccess)
    text = nullptr;
  if (!name)
    name = initErrorName(result);
  std::string message = std::string(call) + " failed: ";
  message += name ? name : "CUDA error " + std::to_string(result);
  if (text)
    message += std::string(" (") + text + ")";
  return message;
}

std::string Driver::initialize(const std::string &libraryName, int ordinal,
                               bool &unavailable) {
  std::lock_guard<std::mutex> lock(initMutex);
  unavailable = false;
  if (ready()) {
    if (ordinal != props.ordinal)
      return "CUDA device " + std::to_string(ordinal) +
             " was asked for, but this process already runs on device " +
             std::to_string(props.ordinal);
    return makeCurrent();
  }

  // A failed attempt leaves nothing behind, so that a later one (another
  // library, another device) starts afresh.
  std::string path = libraryName.empty() ? defaultLibrary() : libraryName;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *msg = dlerror();
    unavailable = true;
    return "no CUDA driver (" + std::string(msg ? msg : path.c_str()) + ")";
  }
  DriverFunctions loaded;
#define SSMC_CUDA_RESOLVE(NAME, PARAMS)                                        \
  loaded.NAME = reinterpret_cast<decltype(loaded.NAME)>(dlsym(handle, #NAME)); \
  if (!loaded.NAME) {                                                          \
    dlclose(handle);                                                           \
    unavailable = true;                                                        \
    return "the CUDA driver " + path +                                         \
           " lacks " #NAME " (a driver older than CUDA 11?)";                  \
  }
  SSMC_CUDA_DRIVER_FUNCTIONS(SSMC_CUDA_RESOLVE)
#undef SSMC_CUDA_RESOLVE
  loaded.hasGraphs = true;
#define SSMC_CUDA_RESOLVE_OPTIONAL(NAME, PARAMS)                               \
  loaded.NAME = reinterpret_cast<decltype(loaded.NAME)>(dlsym(handle, #NAME)); \
  loaded.hasGraphs = loaded.hasGraphs && loaded.NAME;
  SSMC_CUDA_GRAPH_FUNCTIONS(SSMC_CUDA_RESOLVE_OPTIONAL)
#undef SSMC_CUDA_RESOLVE_OPTIONAL
  fns = loaded;

  auto fail = [&](std::string message, bool noCuda) {
    fns = DriverFunctions();
    dlclose(handle);
    unavailable = noCuda;
    return message;
  };
  if (std::string err = check(fns.cuInit(0), "cuInit"); !err.empty())
    return fail("the CUDA driver cannot be initialised: " + err, true);
  int count = 0;
  if (std::string err = check(fns.cuDeviceGetCount(&count), "cuDeviceGetCount");
      !err.empty())
    return fail(err, true);
  if (count == 0)
    return fail("no CUDA device", true);
  if (ordinal < 0 || ordinal >= count)
    return fail("no CUDA device " + std::to_string(ordinal) +
                    " (this host has " + std::to_string(count) + ")",
                false);

  DeviceProperties found;
  found.ordinal = ordinal;
  CUdevice dev = 0;
  char name[256] = {0};
  size_t freeBytes = 0, totalBytes = 0;
  CUcontext ctx = nullptr;
  std::string err = check(fns.cuDeviceGet(&dev, ordinal), "cuDeviceGet");
  if (err.empty())
    err = check(fns.cuDeviceGetName(name, sizeof(name) - 1, dev),
                "cuDeviceGetName");
  for (auto [attr, field] :
       {std::pair<int, int *>{attrComputeCapabilityMajor, &found.major},
        {attrComputeCapabilityMinor, &found.minor},
        {attrMultiprocessorCount, &found.multiprocessors},
        {attrMaxSharedMemoryPerBlockOptin,
         &found.maxSharedMemoryPerBlockOptin}})
    if (err.empty())
      err = check(fns.cuDeviceGetAttribute(field, attr, dev),
                  "cuDeviceGetAttribute");
  if (err.empty())
    err = check(fns.cuDriverGetVersion(&found.driverVersion),
                "cuDriverGetVersion");
  if (err.empty())
    err = check(fns.cuDevicePrimaryCtxRetain(&ctx, dev),
                "cuDevicePrimaryCtxRetain");
  if (!err.empty())
    return fail(err, false);
  CUstream stream = nullptr;
  err = check(fns.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  if (err.empty())
    err = check(fns.cuMemGetInfo_v2(&freeBytes, &totalBytes), "cuMemGetInfo");
  // A blocking stream: it also orders with work that others put on the
  // legacy default stream.
  if (err.empty())
    err = check(fns.cuStreamCreate(&stream, 0), "cuStreamCreate");
  if (!err.empty()) {
    fns.cuDevicePrimaryCtxRelease_v2(dev);
    return fail(err, false);
  }
  found.name = name;
  found.totalMemory = totalBytes;
  library = handle;
  device = dev;
  context = ctx;
  runtimeStream = stream;
  props = found;
  isReady.store(true, std::memory_order_release);
  return makeCurrent();
}

std::string Driver::makeCurrent() {
  // The context a thread has current is the driver's per-thread state; this
  // remembers which threads have ours.
  thread_local CUcontext current = nullptr;
  if (!ready())
    return "CUDA is not initialised";
  if (current == context)
    return "";
  if (std::string err = check(fns.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      !err.empty())
    return err;
  current = context;
  return "";
}

std::string Driver::allocate(size_t bytes, CUdeviceptr &out) {
  out = 0;
  if (bytes == 0)
    return "";
  if (!ready())
    return "CUDA is not initialised";
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto it = freeBlocks.find(bytes);
    if (it != freeBlocks.end()) {
      out = it->second;
      freeBlocks.erase(it);
      cachedBlocks.erase(out);
      blockSizes[out] = bytes;
      if (capturing)
        graphOfBlock[out] = capturing;
      return "";
    }
  }
  if (std::string err = makeCurrent(); !err.empty())
    return err;
  CUresult result = fns.cuMemAlloc_v2(&out, bytes);
  if (result == cudaErrorOutOfMemory) {
    trimCache();
    result = fns.cuMemAlloc_v2(&out, bytes);
  }
  if (std::string err = check(result, "cuMemAlloc"); !err.empty()) {
    out = 0;
    return err + " for " + std::to_string(bytes) + " bytes";
  }
  std::lock_guard<std::mutex> lock(cacheMutex);
  blockSizes[out] = bytes;
  if (capturing)
    graphOfBlock[out] = capturing;
  return "";
}

void Driver::release(CUdeviceptr pointer) {
  if (!pointer || !ready())
    return;
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cachedBlocks.count(pointer)) {
    recordError("mgpuMemFree: device memory freed twice");
    return;
  }
  if (auto graph = graphOfBlock.find(pointer); graph != graphOfBlock.end()) {
    // A graph's replays still write it.
    releasedGraphBlocks[graph->second].push_back(pointer);
    graphOfBlock.erase(graph);
    return;
  }
  auto it = blockSizes.find(pointer);
  if (it == blockSizes.end()) {
    // Not ours (or freed twice): hand it to the driver, which reports what
    // it thinks of it.
    if (std::string err = check(fns.cuMemFree_v2(pointer), "cuMemFree");
        !err.empty())
      recordError("mgpuMemFree: " + err);
    return;
  }
  freeBlocks.emplace(it->second, pointer);
  cachedBlocks.emplace(pointer, it->second);
  blockSizes.erase(it);
}

void Driver::trimCache() {
  if (!ready())
    return;
  std::multimap<size_t, CUdeviceptr> blocks;
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    blocks.swap(freeBlocks);
    cachedBlocks.clear();
  }
  if (blocks.empty() || !makeCurrent().empty())
    return;
  // Cached blocks may still be in use by queued work.
  fns.cuStreamSynchronize(runtimeStream);
  for (const auto &block : blocks)
    fns.cuMemFree_v2(block.second);
}

int Driver::beginGraphBlocks() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  capturing = ++lastGraph;
  return capturing;
}

void Driver::endGraphBlocks() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  capturing = 0;
}

void Driver::releaseGraphBlocks(int id) {
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (capturing == id)
    capturing = 0;
  // Blocks still owned (by tensors alive after the graph) are ordinary
  // blocks again; the released ones go to the cache.
  for (auto it = graphOfBlock.begin(); it != graphOfBlock.end();)
    it = it->second == id ? graphOfBlock.erase(it) : std::next(it);
  auto released = releasedGraphBlocks.find(id);
  if (released == releasedGraphBlocks.end())
    return;
  for (CUdeviceptr pointer : released->second) {
    auto size = blockSizes.find(pointer);
    if (size == blockSizes.end())
      continue;
    freeBlocks.emplace(size->second, pointer);
    cachedBlocks.emplace(pointer, size->second);
    blockSizes.erase(size);
  }
  releasedGraphBlocks.erase(released);
}

void Driver::recordError(const std::string &message) {
  std::lock_guard<std::mutex> lock(errorMutex);
  if (errorFlag.load(std::memory_order_relaxed))
    return;
  error = message;
  errorFlag.store(true, std::memory_order_release);
}

std::string Driver::takeError() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::string message;
  message.swap(error);
  errorFlag.store(false, std::memory_order_release);
  return message;
}

} // namespace cuda
} // namespace runtime
} // namespace ssmc
