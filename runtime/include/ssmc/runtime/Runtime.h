//===- Runtime.h - loading a package for cpu or cuda ----------*- C++ -*-===//
//
// The one entry point of tools (ssmc-exec, the C API): load a .ssmpkg for
// "cpu" or "cuda" and run its entries on host tensors, wherever they run.
// For "cuda", a host where CUDA cannot be used at all (no driver library,
// cuInit fails, no device) runs the package's cpu object instead and says so
// once through notice(); every other problem (no cuda object, a device older
// than the package's GPU, a kernel that fails to load) is an error. Plain
// C++17; errors are returned as messages, never thrown.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_RUNTIME_H
#define SSMC_RUNTIME_RUNTIME_H

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/CUDARuntime.h"

#include <memory>
#include <string>
#include <vector>

namespace ssmc {
namespace runtime {

/// Where to run a package and how to set that device up.
struct DeviceOptions {
  /// "cpu" or "cuda".
  std::string device = package::cpuTarget;
  /// The CPU runtime's options (also used when "cuda" falls back).
  LoadOptions cpu;
  /// The CUDA runtime's options.
  CUDAOptions cuda;
};

/// A package loaded for a device: the CPU runtime's Package or the CUDA
/// runtime's CUDAPackage.
class DevicePackage {
public:
  /// Loads the package at \p path for \p options.device (see the file
  /// comment). On failure returns null and sets \p error.
  static std::unique_ptr<DevicePackage> load(const std::string &path,
                                             std::string &error,
                                             const DeviceOptions &options = {});

  /// "cpu" or "cuda": where the entries run.
  const std::string &device() const { return where; }
  /// Why a "cuda" load runs on the CPU, for the caller to print once, e.g.
  /// "no CUDA driver (libcuda.so.1: cannot open shared object file: No such
  /// file or directory); running on the CPU"; "" when nothing fell back.
  const std::string &notice() const { return fallback; }

  const package::Manifest &manifest() const;
  const std::vector<package::EntrySpec> &entries() const {
    return manifest().entries;
  }
  /// The entry called \p name, or null.
  const package::EntrySpec *findEntry(const std::string &name) const;

  /// Runs entry \p name on \p inputs, as Package::run and CUDAPackage::run.
  std::string run(const std::string &name,
                  const std::vector<HostTensor> &inputs,
                  std::vector<HostTensor> &outputs) const;

  /// The runtime that runs the package: exactly one is non-null.
  Package *cpuPackage() const { return cpu.get(); }
  CUDAPackage *cudaPackage() const { return cuda.get(); }

private:
  DevicePackage() = default;
  std::string where, fallback;
  std::unique_ptr<Package> cpu;
  std::unique_ptr<CUDAPackage> cuda;
};

} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_RUNTIME_H
