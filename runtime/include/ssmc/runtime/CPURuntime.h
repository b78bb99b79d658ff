//===- CPURuntime.h - loading and running CPU packages ---------*- C++ -*-===//
//
// The C++ API of the CPU runtime: load a .ssmpkg (see Package.h), check it
// against the host, and run its entries on host tensors. Plain C++17 over
// libc and libdl; no MLIR or LLVM. Errors are returned as messages, never
// thrown, and nothing here exits the process.
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

/// A dense row-major tensor in host memory.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// numElements() * dtypeSize(dtype) bytes, row-major.
  std::vector<uint8_t> data;

  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape);
  int64_t numElements() const;
};

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

/// A loaded package: its manifest, the shared object, the entry functions.
/// The strided memref descriptor of a contiguous row-major buffer, as the
/// entry ABI takes it: {allocated, aligned, offset = 0, sizes, strides}, one
/// int64_t word each (pointers stored bit for bit).
std::vector<int64_t> contiguousDescriptor(const void *data,
                                          const std::vector<int64_t> &shape);

class Package {
public:
  /// Loads the package at \p path: checks magic, version, sizes, manifest,
  /// target, architecture and CPU features against the host, loads the
  /// payload from an in-memory file and resolves every entry. On failure
  /// returns null and sets \p error.
  static std::unique_ptr<Package> load(const std::string &path,
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

  /// The address of `symbol` in the package's shared object, or null; e.g.
  /// an entry's `void ssmc_entry_NAME(void **argv)` for callers that build
  /// the descriptors themselves (bench/ssmc_bench.cpp).
  void *symbol(const std::string &symbol) const;

  /// Runs entry \p name on \p inputs (checked against the manifest) and sets
  /// \p outputs to its results. Returns "" on success, otherwise a message
  /// naming the entry and what is wrong; \p outputs is then untouched.
  std::string run(const std::string &name,
                  const std::vector<HostTensor> &inputs,
                  std::vector<HostTensor> &outputs) const;

private:
  Package() = default;
  using EntryFn = void (*)(void **);
  package::Manifest info;
  std::vector<EntryFn> functions;
  void *handle = nullptr;
  int memfd = -1;
};

} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_CPURUNTIME_H
