//===- CPURuntime.cpp - loading and running CPU packages ------------------===//

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Collective.h"

#include "Gemm.h"
#include "ssmc/runtime/Npy.h"
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
#include <malloc.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

namespace ssmc {
namespace runtime {

using package::EntrySpec;
using package::TensorSpec;

Bytes::Bytes(const Bytes &other) {
  resize(other.count);
  if (count)
    std::memcpy(ptr, other.ptr, count);
}

Bytes &Bytes::operator=(const Bytes &other) {
  if (this != &other) {
    Bytes copy(other);
    swap(copy);
  }
  return *this;
}

Bytes::~Bytes() { std::free(ptr); }

void Bytes::resize(size_t n) {
  if (n > capacity) {
    void *grown = std::realloc(ptr, n);
    if (!grown)
      throw std::bad_alloc();
    ptr = static_cast<uint8_t *>(grown);
    capacity = n;
  }
  if (n > count)
    std::memset(ptr + count, 0, n - count);
  count = n;
}

void Bytes::adopt(void *mallocated, size_t n) {
  std::free(ptr);
  ptr = static_cast<uint8_t *>(mallocated);
  count = capacity = n;
}

bool Bytes::operator==(const Bytes &other) const {
  return count == other.count &&
         (count == 0 || std::memcmp(ptr, other.ptr, count) == 0);
}

void Bytes::swap(Bytes &other) noexcept {
  std::swap(ptr, other.ptr);
  std::swap(count, other.count);
  std::swap(capacity, other.capacity);
}

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape)
    : dtype(dtype), shape(std::move(shape)) {
  data.resize(static_cast<size_t>(numElements() * package::dtypeSize(dtype)));
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

double HostTensor::get(int64_t i) const {
  const uint8_t *at = data.data() + i * package::dtypeSize(dtype);
  switch (dtype) {
  case DType::F32: {
    float f;
    std::memcpy(&f, at, 4);
    return f;
  }
  case DType::F16: {
    uint16_t bits;
    std::memcpy(&bits, at, 2);
    return npy::decodeF16(bits);
  }
  case DType::BF16: {
    uint16_t hi;
    std::memcpy(&hi, at, 2);
    uint32_t bits = static_cast<uint32_t>(hi) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case DType::F64: {
    double d;
    std::memcpy(&d, at, 8);
    return d;
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, at, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, at, 8);
    return static_cast<double>(v);
  }
  }
  return 0;
}

void HostTensor::set(int64_t i, double value) {
  uint8_t *at = data.data() + i * package::dtypeSize(dtype);
  switch (dtype) {
  case DType::F32: {
    float f = static_cast<float>(value);
    std::memcpy(at, &f, 4);
    return;
  }
  case DType::F16: {
    uint16_t bits = npy::encodeF16(value);
    std::memcpy(at, &bits, 2);
    return;
  }
  case DType::BF16: {
    float f = static_cast<float>(value);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint16_t hi =
        (bits & 0x7F800000u) == 0x7F800000u // Inf and NaN keep their class.
            ? static_cast<uint16_t>((bits >> 16) | ((bits & 0xFFFFu) ? 0x40 : 0))
            : static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16);
    std::memcpy(at, &hi, 2);
    return;
  }
  case DType::F64:
    std::memcpy(at, &value, 8);
    return;
  case DType::I32: {
    int32_t v = static_cast<int32_t>(value);
    std::memcpy(at, &v, 4);
    return;
  }
  case DType::I64: {
    int64_t v = static_cast<int64_t>(value);
    std::memcpy(at, &v, 8);
    return;
  }
  }
}

//===----------------------------------------------------------------------===//
// CPU features
//===----------------------------------------------------------------------===//

namespace {

/// Whether the host supports LLVM feature \p name; -1 when this runtime
/// cannot tell (the feature is then not checked).
int hostHasFeature(const std::string &name) {
#if defined(__x86_64__) && defined(__GNUC__)
  // __builtin_cpu_supports needs string literals; it also checks that the OS
  // saves the AVX and AVX-512 register state.
#define SSMC_FEATURE(LLVM_NAME, GCC_NAME)                                      \
  if (name == LLVM_NAME)                                                       \
    return __builtin_cpu_supports(GCC_NAME) ? 1 : 0;
  SSMC_FEATURE("popcnt", "popcnt")
  SSMC_FEATURE("sse3", "sse3")
  SSMC_FEATURE("ssse3", "ssse3")
  SSMC_FEATURE("sse4.1", "sse4.1")
  SSMC_FEATURE("sse4.2", "sse4.2")
  SSMC_FEATURE("sse4a", "sse4a")
  SSMC_FEATURE("fma4", "fma4")
  SSMC_FEATURE("xop", "xop")
  SSMC_FEATURE("aes", "aes")
  SSMC_FEATURE("pclmul", "pclmul")
  SSMC_FEATURE("sha", "sha")
  SSMC_FEATURE("gfni", "gfni")
  SSMC_FEATURE("vaes", "vaes")
  SSMC_FEATURE("vpclmulqdq", "vpclmulqdq")
  SSMC_FEATURE("adx", "adx")
  SSMC_FEATURE("rdrnd", "rdrnd")
  SSMC_FEATURE("rdseed", "rdseed")
  SSMC_FEATURE("avx", "avx")
  SSMC_FEATURE("avx2", "avx2")
  SSMC_FEATURE("fma", "fma")
  SSMC_FEATURE("f16c", "f16c")
  SSMC_FEATURE("bmi", "bmi")
  SSMC_FEATURE("bmi2", "bmi2")
  SSMC_FEATURE("lzcnt", "lzcnt")
  SSMC_FEATURE("movbe", "movbe")
  SSMC_FEATURE("avxvnni", "avxvnni")
  SSMC_FEATURE("avx512f", "avx512f")
  SSMC_FEATURE("avx512bw", "avx512bw")
  SSMC_FEATURE("avx512dq", "avx512dq")
  SSMC_FEATURE("avx512vl", "avx512vl")
  SSMC_FEATURE("avx512cd", "avx512cd")
  SSMC_FEATURE("avx512vnni", "avx512vnni")
  SSMC_FEATURE("avx512bf16", "avx512bf16")
  SSMC_FEATURE("avx512fp16", "avx512fp16")
  SSMC_FEATURE("avx512vbmi", "avx512vbmi")
  SSMC_FEATURE("avx512vbmi2", "avx512vbmi2")
  SSMC_FEATURE("avx512ifma", "avx512ifma")
  SSMC_FEATURE("avx512bitalg", "avx512bitalg")
  SSMC_FEATURE("avx512vpopcntdq", "avx512vpopcntdq")
  SSMC_FEATURE("avx512vp2intersect", "avx512vp2intersect")
  SSMC_FEATURE("amx-tile", "amx-tile")
  SSMC_FEATURE("amx-int8", "amx-int8")
  SSMC_FEATURE("amx-bf16", "amx-bf16")
#undef SSMC_FEATURE
#endif
  (void)name;
  return -1;
}

} // namespace

std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required,
                   const std::vector<std::string> *hostFeatures) {
  std::vector<std::string> missing;
  for (const std::string &f : required) {
    if (f.size() < 2 || f[0] != '+')
      continue;
    std::string name = f.substr(1);
    bool has;
    if (hostFeatures) {
      has = std::find(hostFeatures->begin(), hostFeatures->end(), name) !=
            hostFeatures->end();
    } else {
      int detected = hostHasFeature(name);
      if (detected < 0)
        continue;
      has = detected == 1;
    }
    if (!has)
      missing.push_back(name);
  }
  return missing;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

std::string readPackage(const std::string &path, package::Manifest &manifest,
                        std::string &payload) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return "cannot open package '" + path + "': " + std::strerror(errno);
  std::string bytes((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  if (file.bad())
    return "cannot read package '" + path + "'";
  return package::deserialize(bytes, path, manifest, payload);
}

std::string checkHost(const package::Object &object, const std::string &path,
                      const std::vector<std::string> *hostFeatures) {
  if (object.arch != package::hostArch())
    return path + ": the package's " + object.target +
           " object was compiled for " + object.arch + " but this host is " +
           package::hostArch();
  std::vector<std::string> missing =
      missingCpuFeatures(object.cpuFeatures, hostFeatures);
  if (missing.empty())
    return "";
  std::string list;
  for (const std::string &f : missing)
    list += (list.empty() ? "" : ", ") + f;
  return path + ": the package's " + object.target +
         " object was compiled for CPU '" + object.cpu +
         "' with features this host lacks: " + list +
         "; recompile it on this host or with --cpu/--cpu-features";
}

std::unique_ptr<SharedObject> SharedObject::load(const std::string &bytes,
                                                 const std::string &what,
                                                 std::string &error) {
  std::unique_ptr<SharedObject> so(new SharedObject());
  so->memfd = memfd_create("ssmc-package", MFD_CLOEXEC);
  if (so->memfd < 0) {
    error = what + ": memfd_create failed: " + std::strerror(errno);
    return nullptr;
  }
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n =
        write(so->memfd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = what + ": cannot write the shared object to memory: " +
              std::strerror(errno);
      return nullptr;
    }
    written += static_cast<size_t>(n);
  }
  std::string fdPath = "/proc/self/fd/" + std::to_string(so->memfd);
  so->handle = dlopen(fdPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!so->handle) {
    const char *msg = dlerror();
    error = what +
            ": cannot load the shared object: " + (msg ? msg : "unknown error");
    return nullptr;
  }
  return so;
}

SharedObject::~SharedObject() {
  if (handle)
    dlclose(handle);
  if (memfd >= 0)
    close(memfd);
}

void *SharedObject::symbol(const std::string &name) const {
  return handle ? dlsym(handle, name.c_str()) : nullptr;
}

Package::~Package() = default;

const EntrySpec *Package::findEntry(const std::string &name) const {
  for (const EntrySpec &e : info.entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

void *Package::symbol(const std::string &symbol) const {
  return object ? object->symbol(symbol) : nullptr;
}

std::unique_ptr<Package> Package::load(const std::string &path,
                                       std::string &error,
                                       const LoadOptions &options) {
  package::Manifest manifest;
  std::string payload;
  if (std::string err = readPackage(path, manifest, payload); !err.empty()) {
    error = err;
    return nullptr;
  }
  return load(path, manifest, payload, error, options);
}

namespace {

/// Entries allocate their results and scratch with malloc and free them at
/// return; buffers of a few MB (a layer's activations at prefill) would
/// otherwise be mmap'ed and unmapped on every call, and the kernel zeroes
/// every page again (a seventh of a Mamba-2 prefill). Kept in the heap, they
/// are reused.
void keepLargeBuffers() {
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return true;
  }();
  (void)once;
}

} // namespace

std::unique_ptr<Package> Package::load(const std::string &path,
                                       const package::Manifest &manifest,
                                       const std::string &payload,
                                       std::string &error,
                                       const LoadOptions &options) {
  keepLargeBuffers();
  const package::Object *cpu = manifest.findObject(package::cpuTarget);
  if (!cpu) {
    error = path + ": the package has no cpu object (its objects: " +
            manifest.targetList() +
            "); run it on a device it was compiled "
            "for, or recompile it with --target cpu";
    return nullptr;
  }
  if (std::string err = checkHost(*cpu, path, options.hostFeatures);
      !err.empty()) {
    error = err;
    return nullptr;
  }
  std::unique_ptr<Package> pkg(new Package());
  pkg->info = manifest;
  pkg->object = SharedObject::load(package::objectBytes(payload, *cpu),
                                   path + ": cpu object", error);
  if (!pkg->object)
    return nullptr;
  for (const EntrySpec &e : manifest.entries) {
    void *sym = pkg->object->symbol(e.symbol);
    if (!sym) {
      error = path + ": entry '" + e.name + "': symbol '" + e.symbol +
              "' is missing from the cpu object";
      return nullptr;
    }
    pkg->functions.push_back(reinterpret_cast<EntryFn>(sym));
  }
  // Packages with parallel loops run them on the runtime's pool; the rest
  // have no such hook.
  using SetParallelFor = void (*)(void (*)(ParallelBody, void *, int64_t));
  if (void *hook = pkg->object->symbol("ssmc_set_parallel_for"))
    reinterpret_cast<SetParallelFor>(hook)(&parallelFor);
  // Packages with projections run them through BLAS.
  using SetGemm = void (*)(decltype(&gemm));
  if (void *hook = pkg->object->symbol("ssmc_set_gemm_v2"))
    reinterpret_cast<SetGemm>(hook)(&gemm);
  // Tensor-parallel packages reach the calling thread's communicator.
  using SetCollective = void (*)(decltype(&ssmcCollective));
  if (void *hook = pkg->object->symbol("ssmc_set_collective_v1"))
    reinterpret_cast<SetCollective>(hook)(&ssmcCollective);
  return pkg;
}

//===----------------------------------------------------------------------===//
// Descriptors and checks
//===----------------------------------------------------------------------===//

namespace {

/// Frees the result buffers of one call exactly once, also on early return.
struct ResultBuffers {
  std::vector<void *> pointers;
  ~ResultBuffers() {
    std::sort(pointers.begin(), pointers.end());
    pointers.erase(std::unique(pointers.begin(), pointers.end()),
                   pointers.end());
    for (void *p : pointers)
      std::free(p);
  }
};

} // namespace

std::vector<int64_t> contiguousDescriptor(const void *data,
                                          const std::vector<int64_t> &shape) {
  size_t rank = shape.size();
  std::vector<int64_t> desc(descriptorWords(rank), 0);
  std::memcpy(&desc[0], &data, sizeof(void *));
  std::memcpy(&desc[1], &data, sizeof(void *));
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    desc[3 + d] = shape[d];
    desc[3 + rank + d] = stride;
    stride *= shape[d];
  }
  return desc;
}

int64_t MemRefView::numElements() const {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

bool MemRefView::isContiguous() const {
  int64_t want = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1 && strides[d] != want)
      return false;
    want *= shape[d];
  }
  return true;
}

void MemRefView::span(int64_t &first, int64_t &last) const {
  first = last = 0;
  if (numElements() == 0)
    return;
  first = last = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t reach = (shape[d] - 1) * strides[d];
    (reach < 0 ? first : last) += reach;
  }
}

std::string readResults(const EntrySpec &entry, const int64_t *words,
                        std::vector<MemRefView> &views) {
  std::vector<MemRefView> out;
  const int64_t *cursor = words;
  for (size_t i = 0; i < entry.results.size(); ++i) {
    const TensorSpec &spec = entry.results[i];
    size_t rank = spec.shape.size();
    MemRefView view;
    std::memcpy(&view.allocated, &cursor[0], sizeof(void *));
    std::memcpy(&view.aligned, &cursor[1], sizeof(void *));
    view.offset = cursor[2];
    view.shape.assign(cursor + 3, cursor + 3 + rank);
    view.strides.assign(cursor + 3 + rank, cursor + 3 + 2 * rank);
    cursor += descriptorWords(rank);
    out.push_back(std::move(view));
  }
  // Every view is decoded before any check, so that callers can free every
  // buffer even when a check fails.
  views = out;
  for (size_t i = 0; i < out.size(); ++i) {
    const TensorSpec &spec = entry.results[i];
    const MemRefView &view = out[i];
    for (size_t d = 0; d < view.shape.size(); ++d)
      if (view.shape[d] < 0 ||
          (spec.shape[d] >= 0 && view.shape[d] != spec.shape[d]))
        return "entry '" + entry.name + "': result " + std::to_string(i) +
               " has shape " + package::shapeString(view.shape) +
               " but the manifest says " + package::shapeString(spec.shape);
    if (view.numElements() > 0 && !view.aligned)
      return "entry '" + entry.name + "': result " + std::to_string(i) +
             " has no data";
  }
  return "";
}

void gatherStrided(const uint8_t *base, const MemRefView &view,
                   int64_t elemSize, uint8_t *out) {
  int64_t n = view.numElements();
  if (n <= 0)
    return;
  if (view.isContiguous()) {
    std::memcpy(out, base + view.offset * elemSize,
                static_cast<size_t>(n * elemSize));
    return;
  }
  size_t rank = view.shape.size();
  std::vector<int64_t> index(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t at = view.offset;
    for (size_t d = 0; d < rank; ++d)
      at += index[d] * view.strides[d];
    std::memcpy(out + k * elemSize, base + at * elemSize,
                static_cast<size_t>(elemSize));
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < view.shape[d])
        break;
      index[d] = 0;
    }
  }
}

std::string checkInputs(const EntrySpec &entry,
                        const std::vector<TensorSpec> &inputs) {
  std::string prefix = "entry '" + entry.name + "': ";
  if (inputs.size() != entry.arguments.size())
    return prefix + "expected " + std::to_string(entry.arguments.size()) +
           " inputs, got " + std::to_string(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec &want = entry.arguments[i];
    const TensorSpec &got = inputs[i];
    std::string at = prefix + "input " + std::to_string(i) + ": ";
    if (got.dtype != want.dtype)
      return at + "expected dtype " + package::dtypeName(want.dtype) +
             ", got " + package::dtypeName(got.dtype);
    if (got.shape.size() != want.shape.size())
      return at + "expected rank " + std::to_string(want.shape.size()) +
             " (shape " + package::shapeString(want.shape) + "), got rank " +
             std::to_string(got.shape.size()) + " (shape " +
             package::shapeString(got.shape) + ")";
    for (size_t d = 0; d < got.shape.size(); ++d)
      if (got.shape[d] < 0 ||
          (want.shape[d] >= 0 && got.shape[d] != want.shape[d]))
        return at + "expected shape " + package::shapeString(want.shape) +
               ", got " + package::shapeString(got.shape);
  }
  return "";
}

std::string noEntryMessage(const package::Manifest &manifest,
                           const std::string &name) {
  std::string names;
  for (const EntrySpec &e : manifest.entries)
    names += (names.empty() ? "" : ", ") + e.name;
  return "no entry '" + name + "' in the package; its entries are: " +
         (names.empty() ? "(none)" : names);
}

std::vector<TensorSpec> tensorTypes(const std::vector<HostTensor> &tensors) {
  std::vector<TensorSpec> types;
  for (const HostTensor &t : tensors)
    types.push_back({t.dtype, t.shape});
  return types;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

TensorView viewOf(const HostTensor &t) {
  return {t.dtype, t.shape, t.data.data(), t.data.size()};
}

std::string Package::run(const std::string &name,
                         const std::vector<HostTensor> &inputs,
                         std::vector<HostTensor> &outputs) const {
  std::vector<TensorView> views;
  for (const HostTensor &t : inputs)
    views.push_back(viewOf(t));
  return runViews(name, views, outputs);
}

std::string Package::runViews(const std::string &name,
                              const std::vector<TensorView> &inputs,
                              std::vector<HostTensor> &outputs) const {
  const EntrySpec *entry = findEntry(name);
  if (!entry)
    return noEntryMessage(info, name);
  EntryFn fn = functions[static_cast<size_t>(entry - info.entries.data())];
  std::vector<TensorSpec> types;
  for (const TensorView &t : inputs)
    types.push_back({t.dtype, t.shape});
  if (std::string err = checkInputs(*entry, types); !err.empty())
    return err;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView &got = inputs[i];
    int64_t count = 1;
    for (int64_t s : got.shape)
      count *= s;
    uint64_t need = static_cast<uint64_t>(count * package::dtypeSize(got.dtype));
    if (got.bytes != need)
      return "entry '" + name + "': input " + std::to_string(i) + ": holds " +
             std::to_string(got.bytes) + " bytes but shape " +
             package::shapeString(got.shape) + " of " +
             package::dtypeName(got.dtype) + " needs " + std::to_string(need);
  }

  // Argument descriptors with contiguous row-major strides. The entry only
  // reads its arguments.
  std::vector<std::vector<int64_t>> argDescs(inputs.size());
  std::vector<void *> argv(1 + inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    argDescs[i] = contiguousDescriptor(inputs[i].data, inputs[i].shape);
    argv[1 + i] = argDescs[i].data();
  }
  size_t resultWords = 0;
  for (const TensorSpec &r : entry->results)
    resultWords += descriptorWords(r.shape.size());
  std::vector<int64_t> resultDescs(std::max<size_t>(resultWords, 1), 0);
  argv[0] = resultDescs.data();

  fn(argv.data());

  std::vector<MemRefView> views;
  std::string err = readResults(*entry, resultDescs.data(), views);
  ResultBuffers buffers;
  for (const MemRefView &view : views)
    if (view.allocated)
      buffers.pointers.push_back(view.allocated);
  if (!err.empty())
    return err;
  outputs.resize(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    HostTensor &out = outputs[i];
    const MemRefView &view = views[i];
    out.dtype = entry->results[i].dtype;
    out.shape = view.shape;
    size_t bytes = static_cast<size_t>(out.numElements() *
                                       package::dtypeSize(out.dtype));
    // A result that fills its own malloc'ed buffer from its start is taken
    // over as it is (the decode step's new state, 786 KB a layer for the
    // Mamba-2 130M shape, is then never copied); any other is copied.
    auto owned = std::find(buffers.pointers.begin(), buffers.pointers.end(),
                           view.allocated);
    if (bytes > 0 && view.allocated == view.aligned && view.offset == 0 &&
        view.isContiguous() && owned != buffers.pointers.end() &&
        std::count(buffers.pointers.begin(), buffers.pointers.end(),
                   view.allocated) == 1) {
      buffers.pointers.erase(owned);
      out.data.adopt(view.allocated, bytes);
      continue;
    }
    out.data.resize(bytes);
    gatherStrided(static_cast<const uint8_t *>(view.aligned), view,
                  package::dtypeSize(out.dtype), out.data.data());
  }
  return "";
}

} // namespace runtime
} // namespace ssmc
