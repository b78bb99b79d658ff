//===- CUDARuntime.cpp - loading and running CUDA packages ----------------===//

#include "ssmc/runtime/CUDARuntime.h"

#include "Blas.h"
#include "ssmc/runtime/Collective.h"
#include "Driver.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

/// In MgpuABI.cpp. The runtime calls it before loading an object, which also
/// keeps the mgpu* functions in every executable that links this library.
extern "C" void mgpuSetDefaultDevice(int32_t device);

namespace ssmc {
namespace runtime {

using cuda::CUdeviceptr;
using cuda::Driver;
using package::EntrySpec;
using package::TensorSpec;

namespace {

CUdeviceptr devicePointer(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

void *hostPointer(CUdeviceptr p) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

std::vector<int64_t> denseStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/// The driver, ready and current on this thread; "" or why not.
std::string readyDriver() {
  Driver &driver = Driver::get();
  if (!driver.ready())
    return "CUDA is not initialised (load a package for cuda first)";
  return driver.makeCurrent();
}

} // namespace

//===----------------------------------------------------------------------===//
// The device
//===----------------------------------------------------------------------===//

std::string initializeCUDA(const CUDAOptions &options, bool &unavailable) {
  mgpuSetDefaultDevice(options.device);
  return Driver::get().initialize(options.driverLibrary, options.device,
                                  unavailable);
}

CUDADeviceInfo cudaDeviceInfo() {
  const cuda::DeviceProperties &p = Driver::get().properties();
  CUDADeviceInfo info;
  info.ordinal = p.ordinal;
  info.name = p.name;
  info.major = p.major;
  info.minor = p.minor;
  info.multiprocessors = p.multiprocessors;
  info.maxSharedMemoryPerBlockOptin = p.maxSharedMemoryPerBlockOptin;
  info.totalMemory = p.totalMemory;
  info.driverVersion = p.driverVersion;
  return info;
}

std::string CUDADeviceInfo::describe() const {
  char memory[32];
  std::snprintf(memory, sizeof(memory), "%.1f GiB",
                double(totalMemory) / (1024.0 * 1024.0 * 1024.0));
  return name + " (sm_" + std::to_string(major) + std::to_string(minor) + ", " +
         std::to_string(multiprocessors) + " SMs, " + memory + ", driver " +
         std::to_string(driverVersion / 1000) + "." +
         std::to_string(driverVersion % 1000 / 10) + ")";
}

std::string cudaSynchronize() {
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(driver.api().cuStreamSynchronize(driver.stream()),
                      "cuStreamSynchronize");
}

void cudaReleaseCachedMemory() { Driver::get().trimCache(); }

std::string cudaTakeError() { return Driver::get().takeError(); }

std::string checkGpuArch(const std::string &gpuArch, int major, int minor) {
  int wantMajor, wantMinor;
  bool specific;
  if (!package::parseGpuArch(gpuArch, wantMajor, wantMinor, specific))
    return "malformed gpu_arch '" + gpuArch + "'";
  std::string want =
      std::to_string(wantMajor) + "." + std::to_string(wantMinor);
  std::string have = std::to_string(major) + "." + std::to_string(minor);
  std::string device = "sm_" + std::to_string(major) + std::to_string(minor);
  if (specific && (major != wantMajor || minor != wantMinor))
    return "the cuda object was compiled for " + gpuArch +
           " (arch-specific code for compute capability " + want +
           " only), but the device has compute capability " + have +
           "; recompile it with --target cuda:" + device;
  if (major < wantMajor || (major == wantMajor && minor < wantMinor))
    return "the cuda object was compiled for " + gpuArch +
           " (compute capability " + want +
           "), newer than the device's compute capability " + have +
           "; recompile it with --target cuda:" + device;
  return "";
}

//===----------------------------------------------------------------------===//
// Device memory and events
//===----------------------------------------------------------------------===//

/// One block of device memory, returned to the runtime's cache on
/// destruction.
class DeviceAllocation {
public:
  explicit DeviceAllocation(CUdeviceptr pointer) : pointer(pointer) {}
  ~DeviceAllocation() { Driver::get().release(pointer); }
  DeviceAllocation(const DeviceAllocation &) = delete;
  DeviceAllocation &operator=(const DeviceAllocation &) = delete;

  CUdeviceptr pointer;
};

int64_t DeviceTensor::numElements() const { return elementCount(sizes); }

bool DeviceTensor::isContiguous() const {
  int64_t want = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] != 1 && elementStrides[d] != want)
      return false;
    want *= sizes[d];
  }
  return true;
}

void *DeviceTensor::data() const {
  if (!aligned)
    return nullptr;
  return static_cast<uint8_t *>(aligned) +
         elementOffset * package::dtypeSize(type);
}

CUDAEvent::~CUDAEvent() {
  Driver &driver = Driver::get();
  if (handle && driver.ready())
    driver.api().cuEventDestroy_v2(static_cast<cuda::CUevent>(handle));
}

CUDAEvent::CUDAEvent(CUDAEvent &&other) noexcept : handle(other.handle) {
  other.handle = nullptr;
}

CUDAEvent &CUDAEvent::operator=(CUDAEvent &&other) noexcept {
  std::swap(handle, other.handle);
  return *this;
}

std::string CUDAEvent::create() {
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  cuda::CUevent event = nullptr;
  if (std::string err =
          driver.check(driver.api().cuEventCreate(&event, cuda::eventDefault),
                       "cuEventCreate");
      !err.empty())
    return err;
  if (handle)
    driver.api().cuEventDestroy_v2(static_cast<cuda::CUevent>(handle));
  handle = event;
  return "";
}

std::string CUDAEvent::record() {
  if (!handle)
    return "cuEventRecord: the event was not created";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(driver.api().cuEventRecord(
                          static_cast<cuda::CUevent>(handle), driver.stream()),
                      "cuEventRecord");
}

std::string CUDAEvent::synchronize() {
  if (!handle)
    return "cuEventSynchronize: the event was not created";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(
      driver.api().cuEventSynchronize(static_cast<cuda::CUevent>(handle)),
      "cuEventSynchronize");
}

std::string CUDAEvent::elapsedMs(const CUDAEvent &start, const CUDAEvent &end,
                                 float &ms) {
  if (!start.handle || !end.handle)
    return "cuEventElapsedTime: an event was not created";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  const cuda::DriverFunctions &cu = driver.api();
  auto endEvent = static_cast<cuda::CUevent>(end.handle);
  if (std::string err =
          driver.check(cu.cuEventSynchronize(endEvent), "cuEventSynchronize");
      !err.empty())
    return err;
  return driver.check(
      cu.cuEventElapsedTime(&ms, static_cast<cuda::CUevent>(start.handle),
                            endEvent),
      "cuEventElapsedTime");
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

CUDAPackage::~CUDAPackage() {
  Driver &driver = Driver::get();
  if (!driver.ready())
    return;
  // Unloading runs the object's destructors (mgpuModuleUnload) on this
  // thread; the blocks its entries left in the cache go back to the driver.
  driver.makeCurrent();
  object.reset();
  driver.trimCache();
}

const EntrySpec *CUDAPackage::findEntry(const std::string &name) const {
  for (const EntrySpec &e : info.entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

std::unique_ptr<CUDAPackage> CUDAPackage::load(const std::string &path,
                                               std::string &error,
                                               const CUDAOptions &options,
                                               bool *unavailable) {
  if (unavailable)
    *unavailable = false;
  package::Manifest manifest;
  std::string payload;
  if (std::string err = readPackage(path, manifest, payload); !err.empty()) {
    error = err;
    return nullptr;
  }
  return load(path, manifest, payload, error, options, unavailable);
}

std::unique_ptr<CUDAPackage>
CUDAPackage::load(const std::string &path, const package::Manifest &manifest,
                  const std::string &payload, std::string &error,
                  const CUDAOptions &options, bool *unavailable) {
  if (unavailable)
    *unavailable = false;
  const package::Object *object = manifest.findObject(package::cudaTarget);
  if (!object) {
    error = path + ": the package has no cuda object (its objects: " +
            manifest.targetList() +
            "); compile it with ssmc compile --target cuda";
    return nullptr;
  }
  if (std::string err = checkHost(*object, path, options.hostFeatures);
      !err.empty()) {
    error = err;
    return nullptr;
  }
  bool noCuda = false;
  if (std::string err = initializeCUDA(options, noCuda); !err.empty()) {
    if (unavailable)
      *unavailable = noCuda;
    error = path + ": " + err;
    return nullptr;
  }
  CUDADeviceInfo device = cudaDeviceInfo();
  if (std::string err =
          checkGpuArch(object->gpuArch, device.major, device.minor);
      !err.empty()) {
    error = path + ": " + err + " (device " + std::to_string(device.ordinal) +
            ": " + device.name + ")";
    return nullptr;
  }

  // The object's constructors load its GPU binaries through mgpuModuleLoad;
  // their failures are in the sticky error, which must start out clear.
  Driver &driver = Driver::get();
  driver.takeError();
  std::unique_ptr<CUDAPackage> pkg(new CUDAPackage());
  pkg->info = manifest;
  pkg->object = SharedObject::load(package::objectBytes(payload, *object),
                                   path + ": cuda object", error);
  std::string loadError = driver.takeError();
  if (!pkg->object) {
    if (error.find("undefined symbol: mgpu") != std::string::npos)
      error += " (the executable must export the mgpu* functions of the "
               "CUDA runtime: link it with SSMCRuntimeCUDA)";
    return nullptr;
  }
  if (!loadError.empty()) {
    error = path + ": cuda object: loading its kernels failed: " + loadError;
    return nullptr;
  }
  for (const EntrySpec &e : manifest.entries) {
    void *sym = pkg->object->symbol(e.symbol);
    if (!sym) {
      error = path + ": entry '" + e.name + "': symbol '" + e.symbol +
              "' is missing from the cuda object";
      return nullptr;
    }
    pkg->functions.push_back(reinterpret_cast<EntryFn>(sym));
  }
  // A tensor-parallel package's collectives go to the calling thread's
  // communicator (NCCL's, on device pointers).
  using SetCollective = void (*)(decltype(&ssmcCollective));
  if (void *hook = pkg->object->symbol("ssmc_set_collective_v1"))
    reinterpret_cast<SetCollective>(hook)(&ssmcCollective);
  // Projections through cuBLAS where it loads; otherwise the object's loops.
  using SetGemm = void (*)(decltype(&cuda::ssmcGpuGemm));
  if (void *hook = pkg->object->symbol("ssmc_set_gpu_gemm_v1")) {
    std::string why = cuda::loadCublas();
    if (why.empty())
      reinterpret_cast<SetGemm>(hook)(&cuda::ssmcGpuGemm);
    pkg->projectionPath = why.empty() ? "cuBLAS" : "loop kernels (" + why + ")";
  }
  return pkg;
}

//===----------------------------------------------------------------------===//
// Device tensors
//===----------------------------------------------------------------------===//

std::string CUDAPackage::allocate(DType dtype,
                                  const std::vector<int64_t> &shape,
                                  DeviceTensor &out) const {
  for (int64_t s : shape)
    if (s < 0)
      return "cannot allocate a tensor of shape " + package::shapeString(shape);
  if (std::string err = readyDriver(); !err.empty())
    return err;
  size_t bytes = size_t(elementCount(shape) * package::dtypeSize(dtype));
  CUdeviceptr pointer = 0;
  if (std::string err = Driver::get().allocate(bytes, pointer); !err.empty())
    return err;
  DeviceTensor t;
  t.type = dtype;
  t.sizes = shape;
  t.elementStrides = denseStrides(shape);
  t.aligned = hostPointer(pointer);
  if (pointer)
    t.storage = std::make_shared<DeviceAllocation>(pointer);
  out = std::move(t);
  return "";
}

std::string CUDAPackage::upload(const HostTensor &host,
                                DeviceTensor &out) const {
  return upload(viewOf(host), out);
}

std::string CUDAPackage::upload(const TensorView &host,
                                DeviceTensor &out) const {
  int64_t elements = 1;
  for (int64_t d : host.shape)
    elements *= d;
  int64_t need = elements * package::dtypeSize(host.dtype);
  if (static_cast<int64_t>(host.bytes) != need)
    return "cannot upload a tensor that holds " +
           std::to_string(host.bytes) + " bytes but whose shape " +
           package::shapeString(host.shape) + " of " +
           package::dtypeName(host.dtype) + " needs " + std::to_string(need);
  DeviceTensor t;
  if (std::string err = allocate(host.dtype, host.shape, t); !err.empty())
    return err;
  if (need > 0) {
    Driver &driver = Driver::get();
    if (std::string err =
            driver.check(driver.api().cuMemcpyHtoDAsync_v2(
                             devicePointer(t.aligned), host.data,
                             size_t(need), driver.stream()),
                         "cuMemcpyHtoDAsync");
        !err.empty())
      return err;
  }
  out = std::move(t);
  return "";
}

namespace {
/// "" when \p a and \p b are dense tensors of one dtype and element count.
std::string sameDenseSize(const char *what, DType aType, int64_t aCount,
                          bool aDense, const DeviceTensor &b) {
  if (!aDense || !b.isContiguous())
    return std::string(what) + ": the tensors are not dense";
  if (aType != b.dtype() || aCount != b.numElements())
    return std::string(what) + ": " + std::to_string(aCount) + " " +
           package::dtypeName(aType) + " elements into a tensor of " +
           std::to_string(b.numElements()) + " " +
           package::dtypeName(b.dtype());
  return "";
}
} // namespace

std::string CUDAPackage::write(const HostTensor &host,
                               const DeviceTensor &to) const {
  if (std::string err = sameDenseSize("write", host.dtype, host.numElements(),
                                      true, to);
      !err.empty())
    return err;
  size_t bytes = size_t(to.numElements()) * package::dtypeSize(to.dtype());
  if (host.data.size() != bytes)
    return "write: the host tensor holds " + std::to_string(host.data.size()) +
           " bytes, not " + std::to_string(bytes);
  if (bytes == 0)
    return "";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(driver.api().cuMemcpyHtoDAsync_v2(
                          devicePointer(to.data()), host.data.data(), bytes,
                          driver.stream()),
                      "cuMemcpyHtoDAsync");
}

std::string CUDAPackage::copy(const DeviceTensor &from,
                              const DeviceTensor &to) const {
  if (std::string err = sameDenseSize("copy", from.dtype(), from.numElements(),
                                      from.isContiguous(), to);
      !err.empty())
    return err;
  // A result that is its input (updated in place) needs no copy.
  return from.data() == to.data() ? "" : copySlice(from, 0, to);
}

std::string CUDAPackage::copySlice(const DeviceTensor &from, int64_t first,
                                   const DeviceTensor &to) const {
  if (!from.isContiguous() || !to.isContiguous())
    return "copySlice: the tensors are not dense";
  if (from.dtype() != to.dtype())
    return "copySlice: " + std::string(package::dtypeName(from.dtype())) +
           " elements into a tensor of " + package::dtypeName(to.dtype());
  if (first < 0 || first + to.numElements() > from.numElements())
    return "copySlice: elements " + std::to_string(first) + ".." +
           std::to_string(first + to.numElements()) + " of a tensor of " +
           std::to_string(from.numElements());
  size_t elem = package::dtypeSize(to.dtype());
  size_t bytes = size_t(to.numElements()) * elem;
  if (bytes == 0)
    return "";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(driver.api().cuMemcpyDtoDAsync_v2(
                          devicePointer(to.data()),
                          devicePointer(from.data()) + CUdeviceptr(first * elem),
                          bytes, driver.stream()),
                      "cuMemcpyDtoDAsync");
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

std::string CUDAGraph::supported() {
  if (std::string err = readyDriver(); !err.empty())
    return err;
  if (!Driver::get().api().hasGraphs)
    return "the CUDA driver has no graph functions (cuStreamBeginCapture, "
           "cuGraphInstantiateWithFlags, cuGraphLaunch)";
  return "";
}

CUDAGraph::~CUDAGraph() { reset(); }

void CUDAGraph::reset() {
  Driver &driver = Driver::get();
  if (!driver.ready())
    return;
  const cuda::DriverFunctions &cu = driver.api();
  driver.makeCurrent();
  if (capturing) {
    cuda::CUgraph graph = nullptr;
    cu.cuStreamEndCapture(driver.stream(), &graph);
    if (graph)
      cu.cuGraphDestroy(graph);
    driver.endGraphBlocks();
    capturing = false;
  }
  if (exec) {
    // Replays still queued use the graph's blocks.
    cu.cuStreamSynchronize(driver.stream());
    cu.cuGraphExecDestroy(static_cast<cuda::CUgraphExec>(exec));
    exec = nullptr;
  }
  if (blocks) {
    driver.releaseGraphBlocks(blocks);
    blocks = 0;
  }
}

std::string CUDAGraph::begin() {
  reset();
  if (std::string err = supported(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  if (std::string err = driver.check(
          driver.api().cuStreamBeginCapture_v2(driver.stream(),
                                               cuda::streamCaptureModeRelaxed),
          "cuStreamBeginCapture");
      !err.empty())
    return err;
  capturing = true;
  blocks = driver.beginGraphBlocks();
  return "";
}

std::string CUDAGraph::end() {
  if (!capturing)
    return "cuStreamEndCapture: no capture was begun";
  Driver &driver = Driver::get();
  const cuda::DriverFunctions &cu = driver.api();
  driver.endGraphBlocks();
  capturing = false;
  cuda::CUgraph graph = nullptr;
  std::string err = driver.check(cu.cuStreamEndCapture(driver.stream(), &graph),
                                 "cuStreamEndCapture");
  cuda::CUgraphExec instance = nullptr;
  if (err.empty())
    err = driver.check(cu.cuGraphInstantiateWithFlags(&instance, graph, 0),
                       "cuGraphInstantiate");
  if (graph)
    cu.cuGraphDestroy(graph);
  if (!err.empty()) {
    reset();
    return err;
  }
  exec = instance;
  return "";
}

std::string CUDAGraph::launch() const {
  if (!exec)
    return "cuGraphLaunch: the graph was not captured";
  if (std::string err = readyDriver(); !err.empty())
    return err;
  Driver &driver = Driver::get();
  return driver.check(
      driver.api().cuGraphLaunch(static_cast<cuda::CUgraphExec>(exec),
                                 driver.stream()),
      "cuGraphLaunch");
}

std::string CUDAPackage::download(const DeviceTensor &tensor,
                                  HostTensor &out) const {
  HostTensor host(tensor.dtype(), tensor.shape());
  int64_t elem = package::dtypeSize(tensor.dtype());
  MemRefView view;
  view.aligned = tensor.aligned;
  view.offset = tensor.offset();
  view.shape = tensor.shape();
  view.strides = tensor.strides();
  int64_t first, last;
  view.span(first, last);
  if (host.numElements() > 0) {
    if (std::string err = readyDriver(); !err.empty())
      return err;
    // The bytes the view touches, then the view's elements from them.
    std::vector<uint8_t> span(size_t((last - first + 1) * elem));
    Driver &driver = Driver::get();
    const cuda::DriverFunctions &cu = driver.api();
    CUdeviceptr from =
        devicePointer(tensor.aligned) + CUdeviceptr(first * elem);
    if (std::string err =
            driver.check(cu.cuMemcpyDtoHAsync_v2(span.data(), from, span.size(),
                                                 driver.stream()),
                         "cuMemcpyDtoHAsync");
        !err.empty())
      return err;
    if (std::string err = driver.check(cu.cuStreamSynchronize(driver.stream()),
                                       "cuStreamSynchronize");
        !err.empty())
      return err;
    view.offset -= first;
    gatherStrided(span.data(), view, elem, host.data.data());
  }
  out = std::move(host);
  return "";
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

std::string CUDAPackage::call(const EntrySpec &entry,
                              const std::vector<DeviceTensor> &inputs,
                              std::vector<DeviceTensor> &outputs) const {
  std::string prefix = "entry '" + entry.name + "': ";
  if (std::string err = readyDriver(); !err.empty())
    return prefix + err;
  EntryFn fn = functions[static_cast<size_t>(&entry - info.entries.data())];

  // Dense descriptors of the inputs, whose pointers are device pointers.
  std::vector<std::vector<int64_t>> argDescs(inputs.size());
  std::vector<void *> argv(1 + inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    argDescs[i] = contiguousDescriptor(inputs[i].data(), inputs[i].shape());
    argv[1 + i] = argDescs[i].data();
  }
  size_t resultWords = 0;
  for (const TensorSpec &r : entry.results)
    resultWords += descriptorWords(r.shape.size());
  std::vector<int64_t> resultDescs(std::max<size_t>(resultWords, 1), 0);
  argv[0] = resultDescs.data();

  // The sticky error is the process's: one entry call at a time, so that
  // each call reports its own failures.
  static std::mutex callMutex;
  std::string err;
  {
    std::lock_guard<std::mutex> lock(callMutex);
    Driver &driver = Driver::get();
    driver.takeError();
    fn(argv.data());
    err = driver.takeError();
  }

  // Every result buffer gets an owner before anything can fail, so that
  // none leaks; a result that is (a view of) an input shares its owner.
  std::vector<MemRefView> views;
  std::string resultError = readResults(entry, resultDescs.data(), views);
  std::map<void *, std::shared_ptr<DeviceAllocation>> owners;
  for (const DeviceTensor &t : inputs)
    if (t.storage) {
      owners[hostPointer(t.storage->pointer)] = t.storage;
      owners[t.data()] = t.storage;
    }
  std::vector<DeviceTensor> results;
  for (size_t i = 0; i < views.size(); ++i) {
    const MemRefView &view = views[i];
    DeviceTensor t;
    t.type = entry.results[i].dtype;
    t.sizes = view.shape;
    t.elementStrides = view.strides;
    t.elementOffset = view.offset;
    t.aligned = view.aligned;
    if (view.allocated) {
      std::shared_ptr<DeviceAllocation> &owner = owners[view.allocated];
      if (!owner)
        owner =
            std::make_shared<DeviceAllocation>(devicePointer(view.allocated));
      t.storage = owner;
    }
    results.push_back(std::move(t));
  }
  if (!err.empty())
    return prefix + err;
  if (!resultError.empty())
    return resultError;
  outputs = std::move(results);
  return "";
}

std::string CUDAPackage::runOnDevice(const std::string &name,
                                     const std::vector<DeviceTensor> &inputs,
                                     std::vector<DeviceTensor> &outputs) const {
  const EntrySpec *entry = findEntry(name);
  if (!entry)
    return noEntryMessage(info, name);
  std::vector<TensorSpec> types;
  for (const DeviceTensor &t : inputs)
    types.push_back({t.dtype(), t.shape()});
  if (std::string err = checkInputs(*entry, types); !err.empty())
    return err;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].isContiguous())
      return "entry '" + name + "': input " + std::to_string(i) +
             " is not dense and row-major";
  return call(*entry, inputs, outputs);
}

std::string CUDAPackage::run(const std::string &name,
                             const std::vector<HostTensor> &inputs,
                             std::vector<HostTensor> &outputs) const {
  const EntrySpec *entry = findEntry(name);
  if (!entry)
    return noEntryMessage(info, name);
  if (std::string err = checkInputs(*entry, tensorTypes(inputs)); !err.empty())
    return err;
  std::vector<DeviceTensor> deviceInputs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (std::string err = upload(inputs[i], deviceInputs[i]); !err.empty())
      return "entry '" + name + "': input " + std::to_string(i) + ": " + err;
  std::vector<DeviceTensor> deviceOutputs;
  if (std::string err = call(*entry, deviceInputs, deviceOutputs); !err.empty())
    return err;
  std::vector<HostTensor> results(deviceOutputs.size());
  for (size_t i = 0; i < deviceOutputs.size(); ++i)
    if (std::string err = download(deviceOutputs[i], results[i]); !err.empty())
      return "entry '" + name + "': result " + std::to_string(i) + ": " + err;
  outputs = std::move(results);
  return "";
}

} // namespace runtime
} // namespace ssmc
