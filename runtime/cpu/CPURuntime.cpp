//===- CPURuntime.cpp - loading and running CPU packages ------------------===//

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
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

Package::~Package() {
  if (handle)
    dlclose(handle);
  if (memfd >= 0)
    close(memfd);
}

const EntrySpec *Package::findEntry(const std::string &name) const {
  for (const EntrySpec &e : info.entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

void *Package::symbol(const std::string &symbol) const {
  return handle ? dlsym(handle, symbol.c_str()) : nullptr;
}

std::unique_ptr<Package> Package::load(const std::string &path,
                                       std::string &error,
                                       const LoadOptions &options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open package '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  std::string bytes((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  if (file.bad()) {
    error = "cannot read package '" + path + "'";
    return nullptr;
  }

  std::unique_ptr<Package> pkg(new Package());
  std::string payload;
  if (std::string err = package::deserialize(bytes, path, pkg->info, payload);
      !err.empty()) {
    error = err;
    return nullptr;
  }
  const package::Manifest &m = pkg->info;
  if (m.target != "cpu") {
    error = path + ": package is for target '" + m.target +
            "', this runtime runs 'cpu' packages";
    return nullptr;
  }
  if (m.arch != package::hostArch()) {
    error = path + ": package was compiled for " + m.arch +
            " but this host is " + package::hostArch();
    return nullptr;
  }
  std::vector<std::string> missing =
      missingCpuFeatures(m.cpuFeatures, options.hostFeatures);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    error = path + ": package was compiled for CPU '" + m.cpu +
            "' with features this host lacks: " + list +
            "; recompile it on this host or with --cpu/--cpu-features";
    return nullptr;
  }

  // The payload goes to an anonymous in-memory file, so nothing is left on
  // disk and no temporary directory has to be writable.
  pkg->memfd = memfd_create("ssmc-package", MFD_CLOEXEC);
  if (pkg->memfd < 0) {
    error = path + ": memfd_create failed: " + std::strerror(errno);
    return nullptr;
  }
  size_t written = 0;
  while (written < payload.size()) {
    ssize_t n = write(pkg->memfd, payload.data() + written,
                      payload.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = path + ": cannot write the payload to memory: " +
              std::strerror(errno);
      return nullptr;
    }
    written += static_cast<size_t>(n);
  }
  std::string fdPath = "/proc/self/fd/" + std::to_string(pkg->memfd);
  pkg->handle = dlopen(fdPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!pkg->handle) {
    const char *msg = dlerror();
    error = path + ": cannot load the package's shared object: " +
            (msg ? msg : "unknown error");
    return nullptr;
  }
  for (const EntrySpec &e : m.entries) {
    dlerror();
    void *sym = dlsym(pkg->handle, e.symbol.c_str());
    if (!sym) {
      error = path + ": entry '" + e.name + "': symbol '" + e.symbol +
              "' is missing from the shared object";
      return nullptr;
    }
    pkg->functions.push_back(reinterpret_cast<EntryFn>(sym));
  }
  // Packages with parallel loops run them on the runtime's pool; the rest
  // have no such hook.
  using SetParallelFor = void (*)(void (*)(ParallelBody, void *, int64_t));
  if (void *hook = dlsym(pkg->handle, "ssmc_set_parallel_for"))
    reinterpret_cast<SetParallelFor>(hook)(&parallelFor);
  return pkg;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

namespace {

/// A strided memref descriptor of rank r laid out as the LLVM lowering does:
/// {ptr allocated, ptr aligned, i64 offset, i64 sizes[r], i64 strides[r]}.
constexpr size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

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

std::vector<int64_t>
contiguousDescriptor(const void *data,
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

std::string Package::run(const std::string &name,
                         const std::vector<HostTensor> &inputs,
                         std::vector<HostTensor> &outputs) const {
  const EntrySpec *entry = findEntry(name);
  if (!entry) {
    std::string names;
    for (const EntrySpec &e : info.entries)
      names += (names.empty() ? "" : ", ") + e.name;
    return "no entry '" + name + "' in the package; its entries are: " +
           (names.empty() ? "(none)" : names);
  }
  EntryFn fn = functions[static_cast<size_t>(entry - info.entries.data())];
  std::string prefix = "entry '" + name + "': ";
  if (inputs.size() != entry->arguments.size())
    return prefix + "expected " + std::to_string(entry->arguments.size()) +
           " inputs, got " + std::to_string(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec &want = entry->arguments[i];
    const HostTensor &got = inputs[i];
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
    if (static_cast<int64_t>(got.data.size()) !=
        got.numElements() * package::dtypeSize(got.dtype))
      return at + "holds " + std::to_string(got.data.size()) +
             " bytes but shape " + package::shapeString(got.shape) +
             " of " + package::dtypeName(got.dtype) + " needs " +
             std::to_string(got.numElements() *
                            package::dtypeSize(got.dtype));
  }

  // Argument descriptors with contiguous row-major strides. The entry only
  // reads its arguments.
  std::vector<std::vector<int64_t>> argDescs(inputs.size());
  std::vector<void *> argv(1 + inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    argDescs[i] = contiguousDescriptor(inputs[i].data.data(), inputs[i].shape);
    argv[1 + i] = argDescs[i].data();
  }
  size_t resultWords = 0;
  for (const TensorSpec &r : entry->results)
    resultWords += descriptorWords(r.shape.size());
  std::vector<int64_t> resultDescs(std::max<size_t>(resultWords, 1), 0);
  argv[0] = resultDescs.data();

  fn(argv.data());

  ResultBuffers buffers;
  const int64_t *cursor = resultDescs.data();
  for (size_t i = 0; i < entry->results.size(); ++i) {
    void *allocated;
    std::memcpy(&allocated, &cursor[0], sizeof(void *));
    if (allocated)
      buffers.pointers.push_back(allocated);
    cursor += descriptorWords(entry->results[i].shape.size());
  }
  std::vector<HostTensor> results;
  cursor = resultDescs.data();
  for (size_t i = 0; i < entry->results.size(); ++i) {
    const TensorSpec &spec = entry->results[i];
    size_t rank = spec.shape.size();
    const uint8_t *aligned;
    std::memcpy(&aligned, &cursor[1], sizeof(void *));
    int64_t offset = cursor[2];
    std::vector<int64_t> shape(cursor + 3, cursor + 3 + rank);
    const int64_t *strides = cursor + 3 + rank;
    cursor += descriptorWords(rank);
    for (size_t d = 0; d < rank; ++d)
      if (shape[d] < 0 || (spec.shape[d] >= 0 && shape[d] != spec.shape[d]))
        return prefix + "result " + std::to_string(i) + " has shape " +
               package::shapeString(shape) + " but the manifest says " +
               package::shapeString(spec.shape);
    HostTensor out(spec.dtype, shape);
    int64_t n = out.numElements();
    int64_t elem = package::dtypeSize(spec.dtype);
    if (n > 0 && !aligned)
      return prefix + "result " + std::to_string(i) + " has no data";
    // Row-major contiguous results (every fresh buffer) in one copy; others
    // element by element, following the strides.
    bool contiguous = true;
    for (int64_t d = static_cast<int64_t>(rank) - 1, want = 1; d >= 0; --d) {
      if (shape[d] != 1 && strides[d] != want)
        contiguous = false;
      want *= shape[d];
    }
    if (contiguous && n > 0) {
      std::memcpy(out.data.data(), aligned + offset * elem,
                  static_cast<size_t>(n * elem));
      results.push_back(std::move(out));
      continue;
    }
    std::vector<int64_t> index(rank, 0);
    for (int64_t k = 0; k < n; ++k) {
      int64_t at = offset;
      for (size_t d = 0; d < rank; ++d)
        at += index[d] * strides[d];
      std::memcpy(out.data.data() + k * elem, aligned + at * elem,
                  static_cast<size_t>(elem));
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < shape[d])
          break;
        index[d] = 0;
      }
    }
    results.push_back(std::move(out));
  }
  outputs = std::move(results);
  return "";
}

} // namespace runtime
} // namespace ssmc
