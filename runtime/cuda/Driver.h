//===- Driver.h - the CUDA driver API, loaded at run time -------*- C++ -*-===//
//
// The CUDA runtime never links libcuda: the driver is dlopen'ed and every
// function it uses is resolved from the one table below, so that the runtime
// builds without the CUDA toolkit and runs on hosts without a GPU. The few
// types and constants it needs are declared here with the driver's values.
//
// Driver is the process's one CUDA state: the driver library, the device, its
// primary context, the stream every entry runs on, the sticky error of the
// mgpu* functions (MgpuABI.cpp) and a cache of device allocations. One state
// per process because the mgpu* functions that compiled objects call are
// process-wide symbols.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDA_DRIVER_H
#define SSMC_RUNTIME_CUDA_DRIVER_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ssmc {
namespace runtime {
namespace cuda {

//===----------------------------------------------------------------------===//
// Driver API declarations (values from the driver's cuda.h)
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

constexpr CUresult cudaSuccess = 0;
constexpr CUresult cudaErrorOutOfMemory = 2;

/// CUdevice_attribute values.
constexpr int attrMultiprocessorCount = 16;
constexpr int attrComputeCapabilityMajor = 75;
constexpr int attrComputeCapabilityMinor = 76;
constexpr int attrMaxSharedMemoryPerBlockOptin = 97;
/// CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
constexpr int funcAttrMaxDynamicSharedSizeBytes = 8;
/// CUevent_flags.
constexpr unsigned eventDefault = 0;
constexpr unsigned eventDisableTiming = 2;
/// CUjit_option values.
constexpr int jitErrorLogBuffer = 5;
constexpr int jitErrorLogBufferSizeBytes = 6;
constexpr int jitOptimizationLevel = 7;

/// CUDA_MEMCPY2D (cuMemcpy2DAsync_v2), with CU_MEMORYTYPE_DEVICE.
struct Memcpy2D {
  size_t srcXInBytes = 0, srcY = 0;
  unsigned srcMemoryType = 0;
  const void *srcHost = nullptr;
  CUdeviceptr srcDevice = 0;
  void *srcArray = nullptr;
  size_t srcPitch = 0;
  size_t dstXInBytes = 0, dstY = 0;
  unsigned dstMemoryType = 0;
  void *dstHost = nullptr;
  CUdeviceptr dstDevice = 0;
  void *dstArray = nullptr;
  size_t dstPitch = 0;
  size_t WidthInBytes = 0, Height = 0;
};
constexpr unsigned memoryTypeDevice = 2;

/// Every driver function the runtime calls: X(symbol, parameter list). All
/// return CUresult. Versioned symbols (_v2) are named as libcuda exports them.
#define SSMC_CUDA_DRIVER_FUNCTIONS(X)                                          \
  X(cuGetErrorName, (CUresult, const char **))                                 \
  X(cuGetErrorString, (CUresult, const char **))                               \
  X(cuInit, (unsigned))                                                        \
  X(cuDriverGetVersion, (int *))                                               \
  X(cuDeviceGetCount, (int *))                                                 \
  X(cuDeviceGet, (CUdevice *, int))                                            \
  X(cuDeviceGetAttribute, (int *, int, CUdevice))                              \
  X(cuDeviceGetName, (char *, int, CUdevice))                                  \
  X(cuDevicePrimaryCtxRetain, (CUcontext *, CUdevice))                         \
  X(cuDevicePrimaryCtxRelease_v2, (CUdevice))                                  \
  X(cuCtxSetCurrent, (CUcontext))                                              \
  X(cuModuleLoadData, (CUmodule *, const void *))                              \
  X(cuModuleLoadDataEx, (CUmodule *, const void *, unsigned, int *, void **))  \
  X(cuModuleUnload, (CUmodule))                                                \
  X(cuModuleGetFunction, (CUfunction *, CUmodule, const char *))               \
  X(cuFuncSetAttribute, (CUfunction, int, int))                                \
  X(cuLaunchKernel,                                                            \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,   \
     unsigned, CUstream, void **, void **))                                    \
  X(cuStreamCreate, (CUstream *, unsigned))                                    \
  X(cuStreamDestroy_v2, (CUstream))                                            \
  X(cuStreamSynchronize, (CUstream))                                           \
  X(cuStreamWaitEvent, (CUstream, CUevent, unsigned))                          \
  X(cuEventCreate, (CUevent *, unsigned))                                      \
  X(cuEventRecord, (CUevent, CUstream))                                        \
  X(cuEventSynchronize, (CUevent))                                             \
  X(cuEventElapsedTime, (float *, CUevent, CUevent))                           \
  X(cuEventDestroy_v2, (CUevent))                                              \
  X(cuMemAlloc_v2, (CUdeviceptr *, size_t))                                    \
  X(cuMemFree_v2, (CUdeviceptr))                                               \
  X(cuMemGetInfo_v2, (size_t *, size_t *))                                     \
  X(cuMemcpyHtoDAsync_v2, (CUdeviceptr, const void *, size_t, CUstream))       \
  X(cuMemcpyDtoHAsync_v2, (void *, CUdeviceptr, size_t, CUstream))             \
  X(cuMemcpyDtoDAsync_v2, (CUdeviceptr, CUdeviceptr, size_t, CUstream))        \
  X(cuMemcpyAsync, (CUdeviceptr, CUdeviceptr, size_t, CUstream))               \
  X(cuMemsetD32Async, (CUdeviceptr, unsigned, size_t, CUstream))               \
  X(cuMemsetD16Async, (CUdeviceptr, unsigned short, size_t, CUstream))         \
  X(cuMemcpy2DAsync_v2, (const Memcpy2D *, CUstream))

/// CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_RELAXED: other threads may
/// make unsafe calls (cuMemAlloc) while a stream is captured.
constexpr int streamCaptureModeRelaxed = 2;

/// The driver's CUDA graph functions (CUDA 11.4 and later), resolved when
/// present: without them decode steps are not captured.
#define SSMC_CUDA_GRAPH_FUNCTIONS(X)                                           \
  X(cuStreamBeginCapture_v2, (CUstream, int))                                  \
  X(cuStreamEndCapture, (CUstream, CUgraph *))                                 \
  X(cuGraphInstantiateWithFlags, (CUgraphExec *, CUgraph, unsigned long long)) \
  X(cuGraphLaunch, (CUgraphExec, CUstream))                                    \
  X(cuGraphExecDestroy, (CUgraphExec))                                         \
  X(cuGraphDestroy, (CUgraph))

/// Pointers to the driver's functions, all set once the library is loaded.
struct DriverFunctions {
#define SSMC_CUDA_DECLARE(NAME, PARAMS) CUresult(*NAME) PARAMS = nullptr;
  SSMC_CUDA_DRIVER_FUNCTIONS(SSMC_CUDA_DECLARE)
  SSMC_CUDA_GRAPH_FUNCTIONS(SSMC_CUDA_DECLARE)
#undef SSMC_CUDA_DECLARE
  /// Whether every graph function was found.
  bool hasGraphs = false;
};

//===----------------------------------------------------------------------===//
// The process's CUDA state
//===----------------------------------------------------------------------===//

/// What initialize() found out about the device.
struct DeviceProperties {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0;
  int multiprocessors = 0;
  int maxSharedMemoryPerBlockOptin = 0;
  uint64_t totalMemory = 0;
  int driverVersion = 0;
};

class Driver {
public:
  /// The process's state; never destroyed, so that nothing of it goes away
  /// while objects or buffers that use it are torn down at exit.
  static Driver &get();

  /// The driver library to load when none is named: $SSMC_CUDA_DRIVER when
  /// set and not empty, else "libcuda.so.1".
  static std::string defaultLibrary();

  /// Loads the driver \p library ("" for defaultLibrary()), initialises it,
  /// retains the primary context of device \p ordinal, makes it current and
  /// creates the runtime's stream. Once it has succeeded later calls only
  /// check that they ask for the same device. "" on success; otherwise a
  /// message, and \p unavailable says whether the failure means that CUDA
  /// cannot be used here at all (no driver library, cuInit failed, no
  /// device), as opposed to an error of this device or of the request.
  std::string initialize(const std::string &library, int ordinal,
                         bool &unavailable);

  /// Whether initialize() has succeeded.
  bool ready() const { return isReady.load(std::memory_order_acquire); }

  /// The driver's functions (valid once ready()).
  const DriverFunctions &api() const { return fns; }
  const DeviceProperties &properties() const { return props; }
  /// The stream every entry runs on.
  CUstream stream() const { return runtimeStream; }

  /// "" when \p result is success, otherwise "CALL failed: NAME (TEXT)".
  std::string check(CUresult result, const char *call) const;

  /// Makes the primary context current on the calling thread (once per
  /// thread); "" or a message.
  std::string makeCurrent();

  /// Device memory from the cache of freed blocks or the driver. Zero bytes
  /// give null. "" or a message.
  std::string allocate(size_t bytes, CUdeviceptr &out);
  /// Returns memory from allocate() to the cache. Every allocation and use
  /// is ordered on the runtime's one stream, so a block freed while kernels
  /// that use it are pending is only reused by work queued after them.
  void release(CUdeviceptr pointer);
  /// Frees every cached block (cuMemFree); done before giving up on an
  /// allocation that ran out of memory.
  void trimCache();

  /// Blocks of a CUDA graph. Between beginGraphBlocks() and
  /// endGraphBlocks() (a stream capture), every block allocate() hands out
  /// belongs to the graph: the graph's replays write it, so one released
  /// afterwards or during the capture is kept out of the cache until
  /// releaseGraphBlocks(id), when the graph is gone. Returns the graph's id.
  int beginGraphBlocks();
  /// Whether a graph is being captured (beginGraphBlocks without end).
  bool graphCapturing() {
    std::lock_guard<std::mutex> lock(cacheMutex);
    return capturing != 0;
  }
  void endGraphBlocks();
  void releaseGraphBlocks(int id);

  /// Records the first error of an mgpu* call (later ones are dropped).
  void recordError(const std::string &message);
  /// Whether an error is recorded.
  bool hasError() const { return errorFlag.load(std::memory_order_acquire); }
  /// The recorded error ("" when none), which is cleared.
  std::string takeError();

private:
  Driver() = default;

  std::mutex initMutex;
  std::atomic<bool> isReady{false};
  void *library = nullptr;
  DriverFunctions fns;
  DeviceProperties props;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream runtimeStream = nullptr;

  std::mutex errorMutex;
  std::atomic<bool> errorFlag{false};
  std::string error;

  std::mutex cacheMutex;
  /// Freed blocks by size, the size of every live block, and the cached
  /// blocks (to catch double frees).
  std::multimap<size_t, CUdeviceptr> freeBlocks;
  std::map<CUdeviceptr, size_t> blockSizes;
  std::map<CUdeviceptr, size_t> cachedBlocks;
  /// The graph being captured (0: none), the graph of each graph block,
  /// and each graph's blocks released while it lives.
  int capturing = 0, lastGraph = 0;
  std::map<CUdeviceptr, int> graphOfBlock;
  std::map<int, std::vector<CUdeviceptr>> releasedGraphBlocks;
};

} // namespace cuda
} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_CUDA_DRIVER_H
