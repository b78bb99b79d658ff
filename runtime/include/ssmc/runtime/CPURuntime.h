//===- CPURuntime.h - loading and running CPU packages ---------*- C++ -*-===//
//
// The C++ API of the CPU runtime: load the cpu object of a .ssmpkg (see
// Package.h), check it against the host, and run its entries on host tensors;
// and the pieces the CUDA runtime (CUDARuntime.h) shares with it: loading a
// shared object from memory, checking inputs, reading result descriptors.
// Plain C++17 over libc and libdl; no MLIR or LLVM. Errors are returned as
// messages, never thrown, and nothing here exits the process.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CPURUNTIME_H
#define SSMC_RUNTIME_CPURUNTIME_H

#include "ssmc/runtime/Package.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ssmc {
namespace runtime {

using package::DType;

/// A dense row-major tensor somewhere in host memory that the caller keeps
/// alive (e.g. a memory-mapped checkpoint tensor): passed without a copy.
struct TensorView {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  /// The bytes at `data` (checked against the shape).
  uint64_t bytes = 0;
};

/// The bytes of a HostTensor: what std::vector<uint8_t> offers here (new
/// bytes zeroed when it grows), on malloc'ed storage, which can also take
/// over a buffer that compiled code malloc'ed (adopt), so that results are
/// handed over without a copy.
class Bytes {
public:
  Bytes() = default;
  explicit Bytes(size_t n) { resize(n); }
  Bytes(const Bytes &other);
  Bytes(Bytes &&other) noexcept { swap(other); }
  Bytes &operator=(const Bytes &other);
  Bytes &operator=(Bytes &&other) noexcept {
    swap(other);
    return *this;
  }
  ~Bytes();

  uint8_t *data() { return ptr; }
  const uint8_t *data() const { return ptr; }
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  uint8_t &operator[](size_t i) { return ptr[i]; }
  const uint8_t &operator[](size_t i) const { return ptr[i]; }
  uint8_t *begin() { return ptr; }
  uint8_t *end() { return ptr + count; }
  const uint8_t *begin() const { return ptr; }
  const uint8_t *end() const { return ptr + count; }
  /// Keeps the first min(size, n) bytes; bytes past the old size are zero.
  /// Throws std::bad_alloc when memory runs out, as std::vector does.
  void resize(size_t n);
  /// Frees the storage and takes `mallocated` (from malloc, `n` bytes) as
  /// its own.
  void adopt(void *mallocated, size_t n);
  void swap(Bytes &other) noexcept;
  /// The same bytes.
  bool operator==(const Bytes &other) const;
  bool operator!=(const Bytes &other) const { return !(*this == other); }

private:
  uint8_t *ptr = nullptr;
  size_t count = 0, capacity = 0;
};

/// A dense row-major tensor in host memory.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// numElements() * dtypeSize(dtype) bytes, row-major.
  Bytes data;

  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape);
  int64_t numElements() const;
  /// Element \p i (row-major) as a double, whatever the dtype.
  double get(int64_t i) const;
  /// Stores \p value as element \p i: rounded to nearest even for f32, f16
  /// and bf16 (Inf and NaN keep their class), truncated for integers.
  void set(int64_t i, double value);
};

/// Wall time the packages' matrix products (their BLAS hook) took since the
/// process started, and their calls: what a profile subtracts from an
/// entry's time to see the rest of its compiled code.
struct GemmTime {
  double seconds = 0;
  int64_t calls = 0;
};
GemmTime gemmTime();

/// How load() checks the host; the defaults describe this process's CPU.
struct LoadOptions {
  /// When set, the host is taken to support exactly these LLVM CPU feature
  /// names (without '+'), instead of asking the CPU. For tests.
  const std::vector<std::string> *hostFeatures = nullptr;
};

/// The CPU features among \p required ("+name" entries of a manifest) that
/// the host lacks: only features this runtime knows how to detect are
/// checked. \p hostFeatures overrides detection as in LoadOptions.
std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required,
                   const std::vector<std::string> *hostFeatures = nullptr);

/// The strided memref descriptor of a contiguous row-major buffer, as the
/// entry ABI takes it: {allocated, aligned, offset = 0, sizes, strides}, one
/// int64_t word each (pointers stored bit for bit).
std::vector<int64_t> contiguousDescriptor(const void *data,
                                          const std::vector<int64_t> &shape);

/// The int64_t words of a rank-\p rank descriptor.
constexpr size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

/// One result descriptor as an entry wrote it: a strided view (offset and
/// strides in elements) of the buffer at `aligned`, allocated at `allocated`.
struct MemRefView {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;

  int64_t numElements() const;
  /// Whether the elements are row-major and dense (sizes-1 dims ignored).
  bool isContiguous() const;
  /// The elements [first, last] the view touches relative to `aligned`
  /// (both 0 when it is empty).
  void span(int64_t &first, int64_t &last) const;
};

/// Decodes the result descriptors that entry \p entry wrote one after
/// another at \p words, checking each shape against the manifest; "" or a
/// message naming the entry and the result.
std::string readResults(const package::EntrySpec &entry, const int64_t *words,
                        std::vector<MemRefView> &views);

/// Copies the elements of \p view, \p elemSize bytes each, in row-major order
/// to \p out, reading them at \p base (the host address of `aligned`).
void gatherStrided(const uint8_t *base, const MemRefView &view,
                   int64_t elemSize, uint8_t *out);

/// Checks inputs of the given dtypes and concrete shapes against the
/// arguments of \p entry (count, dtype, rank, sizes); "" or a message such as
/// "entry 'f': input 0: expected shape (?, 3), got (2, 4)".
std::string checkInputs(const package::EntrySpec &entry,
                        const std::vector<package::TensorSpec> &inputs);

/// The message for a missing entry: "no entry 'g' in the package; its
/// entries are: f, h".
std::string noEntryMessage(const package::Manifest &manifest,
                           const std::string &name);

/// Reads the package file at \p path and splits it into its manifest and
/// payload (package::deserialize); "" or a message naming the file.
std::string readPackage(const std::string &path, package::Manifest &manifest,
                        std::string &payload);

/// Checks the host side of \p object of package \p path: the architecture,
/// and the CPU features it was compiled with (\p hostFeatures overrides
/// detection as in LoadOptions); "" or a message.
std::string checkHost(const package::Object &object, const std::string &path,
                      const std::vector<std::string> *hostFeatures = nullptr);

/// A shared object loaded from memory: its bytes are written to an anonymous
/// in-memory file (memfd), so nothing is left on disk and no directory has
/// to be writable, and dlopen'ed from there; unloaded on destruction.
class SharedObject {
public:
  /// Loads \p bytes; on failure returns null and sets \p error, which starts
  /// with \p what (e.g. "p.ssmpkg: cpu object").
  static std::unique_ptr<SharedObject>
  load(const std::string &bytes, const std::string &what, std::string &error);
  ~SharedObject();
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;

  /// The address of \p name, or null.
  void *symbol(const std::string &name) const;

private:
  SharedObject() = default;
  void *handle = nullptr;
  int memfd = -1;
};

/// A package loaded for the CPU: its manifest, its cpu object, the entry
/// functions.
class Package {
public:
  /// Loads the package at \p path: checks magic, version, sizes, manifest,
  /// the cpu object's architecture and CPU features against the host, loads
  /// the cpu object from memory and resolves every entry. On failure
  /// returns null and sets \p error.
  static std::unique_ptr<Package> load(const std::string &path,
                                       std::string &error,
                                       const LoadOptions &options = {});
  /// As above for a package already read (readPackage); \p path names it in
  /// messages.
  static std::unique_ptr<Package> load(const std::string &path,
                                       const package::Manifest &manifest,
                                       const std::string &payload,
                                       std::string &error,
                                       const LoadOptions &options = {});
  ~Package();
  Package(const Package &) = delete;
  Package &operator=(const Package &) = delete;

  const package::Manifest &manifest() const { return info; }
  const std::vector<package::EntrySpec> &entries() const {
    return info.entries;
  }
  /// The entry called \p name, or null.
  const package::EntrySpec *findEntry(const std::string &name) const;

  /// The address of `symbol` in the package's cpu object, or null; e.g.
  /// an entry's `void ssmc_entry_NAME(void **argv)` for callers that build
  /// the descriptors themselves (bench/ssmc_bench.cpp).
  void *symbol(const std::string &symbol) const;

  /// Runs entry \p name on \p inputs (checked against the manifest) and sets
  /// \p outputs to its results. Returns "" on success, otherwise a message
  /// naming the entry and what is wrong; \p outputs is then untouched.
  std::string run(const std::string &name,
                  const std::vector<HostTensor> &inputs,
                  std::vector<HostTensor> &outputs) const;
  /// The same on views: the inputs are passed where they are. Tensors
  /// already in \p outputs lend their storage to the results (no allocation
  /// or zeroing when the sizes match, as in a loop over layers).
  std::string runViews(const std::string &name,
                       const std::vector<TensorView> &inputs,
                       std::vector<HostTensor> &outputs) const;

private:
  Package() = default;
  using EntryFn = void (*)(void **);
  package::Manifest info;
  std::vector<EntryFn> functions;
  std::unique_ptr<SharedObject> object;
};

/// The dtypes and shapes of \p tensors, for checkInputs().
std::vector<package::TensorSpec>
tensorTypes(const std::vector<HostTensor> &tensors);

/// A view of \p t.
TensorView viewOf(const HostTensor &t);

} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_CPURUNTIME_H
