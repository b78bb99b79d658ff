//===- CUDARuntime.h - loading and running CUDA packages --------*- C++ -*-===//
//
// The C++ API of the CUDA runtime: load the cuda object of a .ssmpkg (see
// Package.h) for a CUDA device, and run its entries either on host tensors
// (copied to the device and back) or on tensors that stay in device memory,
// with event timing for benchmarks. Plain C++17 over libc and libdl: the
// CUDA driver (libcuda.so.1) is loaded at run time, never linked, so that
// this builds without the CUDA toolkit and runs (reporting that CUDA is
// unavailable) on hosts without a GPU. Errors are returned as messages, never
// thrown; nothing here exits the process; every device resource is owned by
// an object that frees it.
//
// One device per process: the first successful initializeCUDA() picks it, and
// all work is ordered on one stream of its primary context. The compiled
// objects call MLIR's mgpu* ABI, which this library implements; executables
// that link it export those symbols (runtime/cuda/CMakeLists.txt).
//
// Runtime.h's DevicePackage chooses between this and the CPU runtime.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDARUNTIME_H
#define SSMC_RUNTIME_CUDARUNTIME_H

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Package.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ssmc {
namespace runtime {

/// How CUDA is set up.
struct CUDAOptions {
  /// The driver library to dlopen: "" means $SSMC_CUDA_DRIVER when set,
  /// else "libcuda.so.1". Naming a missing file takes the no-driver path
  /// deterministically (tests).
  std::string driverLibrary;
  /// The device ordinal.
  int device = 0;
  /// As LoadOptions::hostFeatures, for the CPU features of the host code.
  const std::vector<std::string> *hostFeatures = nullptr;
};

/// The device in use.
struct CUDADeviceInfo {
  int ordinal = 0;
  std::string name;
  /// The compute capability major.minor (9.0 for sm_90).
  int major = 0, minor = 0;
  int multiprocessors = 0;
  int maxSharedMemoryPerBlockOptin = 0;
  uint64_t totalMemory = 0;
  /// As cuDriverGetVersion says: 1000 * major + 10 * minor.
  int driverVersion = 0;

  /// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB, driver 12.4)".
  std::string describe() const;
};

/// Makes CUDA usable by this process (see the file comment): loads the
/// driver, initialises it, retains the device's primary context and creates
/// the runtime's stream. "" on success. On failure, \p unavailable is set
/// when the reason is that CUDA cannot be used on this host at all (no
/// driver library, cuInit fails, no device) — callers may then fall back to
/// the CPU — and cleared for other errors (a missing device ordinal, ...).
std::string initializeCUDA(const CUDAOptions &options, bool &unavailable);

/// The device in use; only meaningful after initializeCUDA() succeeded.
CUDADeviceInfo cudaDeviceInfo();

/// Waits for all work on the runtime's stream; "" or a message.
std::string cudaSynchronize();

/// The first failure of the mgpu* functions since the last call ("" when
/// none), which is cleared. The runtime takes it after every entry call and
/// object load (and reports it there); this is for callers that call an
/// object's symbols themselves.
std::string cudaTakeError();

/// Frees the device blocks the runtime keeps for reuse (freed tensors and
/// temporaries of entries go to a cache, so that running an entry does not
/// synchronise in cuMemFree). Waits for the stream first. Also done when a
/// CUDAPackage is destroyed, and before an allocation gives up for lack of
/// memory.
void cudaReleaseCachedMemory();

/// "" when code compiled for \p gpuArch ("sm_90") runs on a device of
/// compute capability \p major.\p minor, otherwise why not: an older device
/// cannot run it; a newer one can (the driver compiles the embedded PTX),
/// except for arch-specific code ("sm_90a"), which runs on exactly its GPU.
std::string checkGpuArch(const std::string &gpuArch, int major, int minor);

class DeviceAllocation;

/// A tensor in device memory: a strided view (offset and strides in
/// elements) of a device allocation that its copies share and that is freed
/// with the last of them. Created by CUDAPackage (allocate, upload,
/// runOnDevice).
class DeviceTensor {
public:
  DeviceTensor() = default;

  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return sizes; }
  const std::vector<int64_t> &strides() const { return elementStrides; }
  int64_t offset() const { return elementOffset; }
  int64_t numElements() const;
  /// Whether the elements are dense and row-major.
  bool isContiguous() const;
  /// The device address of element 0 (aligned buffer + offset); null for an
  /// empty tensor.
  void *data() const;

private:
  friend class CUDAPackage;
  DType type = DType::F32;
  std::vector<int64_t> sizes, elementStrides;
  int64_t elementOffset = 0;
  /// The aligned buffer the view's offset counts from.
  void *aligned = nullptr;
  std::shared_ptr<DeviceAllocation> storage;
};

/// A CUDA event on the runtime's stream, with timing; destroyed with the
/// object.
class CUDAEvent {
public:
  CUDAEvent() = default;
  ~CUDAEvent();
  CUDAEvent(CUDAEvent &&other) noexcept;
  CUDAEvent &operator=(CUDAEvent &&other) noexcept;
  CUDAEvent(const CUDAEvent &) = delete;
  CUDAEvent &operator=(const CUDAEvent &) = delete;

  /// Creates the event (CUDA must be initialised); "" or a message.
  std::string create();
  /// Records the event on the runtime's stream.
  std::string record();
  /// Waits until the work recorded before the event is done.
  std::string synchronize();
  /// The milliseconds between \p start and \p end (both recorded), waiting
  /// for \p end.
  static std::string elapsedMs(const CUDAEvent &start, const CUDAEvent &end,
                               float &ms);

private:
  void *handle = nullptr;
};

/// A CUDA graph: the work put on the runtime's stream between begin() and
/// end() (entry calls on device tensors, device copies), captured once and
/// replayed by launch() with one driver call. A replay reads and writes the
/// buffers the captured work used: the caller keeps its inputs at the same
/// addresses (writing new values into them) and reads the results where
/// the captured calls left them. The blocks allocated while capturing are
/// kept for the graph until it is destroyed. Capture fails (and leaves
/// nothing behind) where the captured work waits for the device, copies
/// from host memory or uses the legacy stream.
class CUDAGraph {
public:
  CUDAGraph() = default;
  ~CUDAGraph();
  CUDAGraph(const CUDAGraph &) = delete;
  CUDAGraph &operator=(const CUDAGraph &) = delete;

  /// Whether this driver can capture graphs ("" when it can, else why not).
  static std::string supported();
  /// Starts capturing the runtime's stream; "" or a message.
  std::string begin();
  /// Ends the capture and instantiates the graph; "" or a message (the
  /// graph is then empty).
  std::string end();
  /// Replays the graph on the runtime's stream (without waiting for it).
  std::string launch() const;
  /// Whether end() succeeded.
  bool ready() const { return exec != nullptr; }

private:
  void reset();
  void *exec = nullptr;
  int blocks = 0;
  bool capturing = false;
};

/// A package loaded for the CUDA device: its manifest, its cuda object
/// (whose constructors loaded the GPU binary into the device's context),
/// the entry functions.
class CUDAPackage {
public:
  /// Loads the package at \p path for CUDA: checks the format, the cuda
  /// object's host architecture and CPU features, initialises CUDA
  /// (initializeCUDA), checks the object's gpu_arch against the device,
  /// loads the object from memory (which loads its kernels) and resolves
  /// every entry. On failure returns null and sets \p error; \p unavailable
  /// (when given) is set as by initializeCUDA.
  static std::unique_ptr<CUDAPackage> load(const std::string &path,
                                           std::string &error,
                                           const CUDAOptions &options = {},
                                           bool *unavailable = nullptr);
  /// As above for a package already read (readPackage).
  static std::unique_ptr<CUDAPackage>
  load(const std::string &path, const package::Manifest &manifest,
       const std::string &payload, std::string &error,
       const CUDAOptions &options = {}, bool *unavailable = nullptr);
  ~CUDAPackage();
  CUDAPackage(const CUDAPackage &) = delete;
  CUDAPackage &operator=(const CUDAPackage &) = delete;

  const package::Manifest &manifest() const { return info; }
  const std::vector<package::EntrySpec> &entries() const {
    return info.entries;
  }
  /// The entry called \p name, or null.
  const package::EntrySpec *findEntry(const std::string &name) const;
  /// The device the package runs on.
  CUDADeviceInfo device() const { return cudaDeviceInfo(); }
  /// How the object's projections by weights run: "cuBLAS", "loop kernels
  /// (WHY cuBLAS is not used)", or "" when it has none.
  const std::string &projections() const { return projectionPath; }

  /// Runs entry \p name on host tensors, as Package::run: the inputs are
  /// copied to device buffers, the entry runs on them, and its results are
  /// copied back and freed. "" or a message naming the entry (a CUDA error
  /// names the failing call).
  std::string run(const std::string &name,
                  const std::vector<HostTensor> &inputs,
                  std::vector<HostTensor> &outputs) const;

  /// Device-resident use (benchmarks): tensors that stay on the device.
  /// A dense uninitialised tensor.
  std::string allocate(DType dtype, const std::vector<int64_t> &shape,
                       DeviceTensor &out) const;
  /// A dense copy of \p host on the device.
  std::string upload(const HostTensor &host, DeviceTensor &out) const;
  /// A dense copy of the bytes \p host views (a weight where it lies).
  std::string upload(const TensorView &host, DeviceTensor &out) const;
  /// Copies \p host into the existing dense tensor \p to of the same
  /// dtype and element count, ordered on the runtime's stream.
  std::string write(const HostTensor &host, const DeviceTensor &to) const;
  /// Copies the dense tensor \p from into the dense tensor \p to (same
  /// dtype and element count) on the runtime's stream; a graph captures it.
  std::string copy(const DeviceTensor &from, const DeviceTensor &to) const;
  /// Copies elements [first, first + to.numElements()) of the dense tensor
  /// \p from (row-major order) into the dense tensor \p to of the same
  /// dtype, on the runtime's stream: a row of a tensor, without the host.
  std::string copySlice(const DeviceTensor &from, int64_t first,
                        const DeviceTensor &to) const;
  /// A host copy of \p tensor (any strides); waits for the stream.
  std::string download(const DeviceTensor &tensor, HostTensor &out) const;
  /// Runs entry \p name on device tensors (dense, checked against the
  /// manifest) and sets \p outputs to its results, which stay on the device.
  /// The entry's own launches are ordered on the runtime's stream; it
  /// returns when its work is done.
  std::string runOnDevice(const std::string &name,
                          const std::vector<DeviceTensor> &inputs,
                          std::vector<DeviceTensor> &outputs) const;

private:
  CUDAPackage() = default;
  using EntryFn = void (*)(void **);
  std::string call(const package::EntrySpec &entry,
                   const std::vector<DeviceTensor> &inputs,
                   std::vector<DeviceTensor> &outputs) const;

  package::Manifest info;
  std::vector<EntryFn> functions;
  std::unique_ptr<SharedObject> object;
  std::string projectionPath;
};

} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_CUDARUNTIME_H
