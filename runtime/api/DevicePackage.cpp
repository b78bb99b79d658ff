//===- DevicePackage.cpp - loading a package for cpu or cuda -------------===//

#include "ssmc/runtime/Runtime.h"

namespace ssmc {
namespace runtime {

std::unique_ptr<DevicePackage>
DevicePackage::load(const std::string &path, std::string &error,
                    const DeviceOptions &options) {
  if (options.device != package::cpuTarget &&
      options.device != package::cudaTarget) {
    error =
        "unknown device '" + options.device + "' (known devices: cpu, cuda)";
    return nullptr;
  }
  package::Manifest manifest;
  std::string payload;
  if (std::string err = readPackage(path, manifest, payload); !err.empty()) {
    error = err;
    return nullptr;
  }
  std::unique_ptr<DevicePackage> pkg(new DevicePackage());
  if (options.device == package::cudaTarget) {
    bool unavailable = false;
    std::string cudaError;
    pkg->cuda = CUDAPackage::load(path, manifest, payload, cudaError,
                                  options.cuda, &unavailable);
    if (pkg->cuda) {
      pkg->where = package::cudaTarget;
      return pkg;
    }
    if (!unavailable) {
      error = cudaError;
      return nullptr;
    }
    // CUDA cannot be used on this host: the cpu object, if any, runs
    // instead.
    std::string reason =
        cudaError.substr(cudaError.compare(0, path.size() + 2, path + ": ") == 0
                             ? path.size() + 2
                             : 0);
    if (!manifest.findObject(package::cpuTarget)) {
      error = cudaError +
              "; the package has no cpu object to run instead "
              "(its objects: " +
              manifest.targetList() + ")";
      return nullptr;
    }
    pkg->fallback = reason + "; running on the CPU";
  }
  pkg->cpu = Package::load(path, manifest, payload, error, options.cpu);
  if (!pkg->cpu)
    return nullptr;
  pkg->where = package::cpuTarget;
  return pkg;
}

const package::Manifest &DevicePackage::manifest() const {
  return cuda ? cuda->manifest() : cpu->manifest();
}

const package::EntrySpec *
DevicePackage::findEntry(const std::string &name) const {
  return cuda ? cuda->findEntry(name) : cpu->findEntry(name);
}

std::string DevicePackage::run(const std::string &name,
                               const std::vector<HostTensor> &inputs,
                               std::vector<HostTensor> &outputs) const {
  return cuda ? cuda->run(name, inputs, outputs)
              : cpu->run(name, inputs, outputs);
}

} // namespace runtime
} // namespace ssmc
