//===- DeviceHarness.h - the GPU benchmark's view of the CUDA runtime -----===//
//
// What bench/gpu/gpu_bench.cpp needs from ssmc's CUDA runtime: load a
// package for the GPU, run an entry on host tensors (checks), and time an
// entry on device-resident inputs with CUDA events (benchmarks).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_BENCH_GPU_DEVICEHARNESS_H
#define SSMC_BENCH_GPU_DEVICEHARNESS_H

#include "ssmc/runtime/CUDARuntime.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace gpubench {

using ssmc::package::DType;
using ssmc::runtime::HostTensor;

class Device {
public:
  /// Loads \p path for the CUDA device; "" or why not.
  std::string open(const std::string &path) {
    std::string error;
    package = ssmc::runtime::CUDAPackage::load(path, error);
    return package ? "" : error;
  }

  std::string describe() const { return package->device().describe(); }

  /// Runs \p entry on host tensors (copied in and out).
  std::string run(const std::string &entry,
                  const std::vector<HostTensor> &inputs,
                  std::vector<HostTensor> &outputs) {
    return package->run(entry, inputs, outputs);
  }

  /// The median over \p reps calls of \p entry on device-resident copies of
  /// \p inputs, between CUDA events around each call (three calls first to
  /// warm up), in \p ms.
  std::string time(const std::string &entry,
                   const std::vector<HostTensor> &inputs, int reps,
                   double &ms) {
    std::vector<ssmc::runtime::DeviceTensor> in(inputs.size()), out;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (std::string err = package->upload(inputs[i], in[i]); !err.empty())
        return err;
    for (int i = 0; i < 3; ++i)
      if (std::string err = package->runOnDevice(entry, in, out);
          !err.empty())
        return err;
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
      ssmc::runtime::CUDAEvent start, end;
      std::string err = start.create();
      if (err.empty())
        err = end.create();
      if (err.empty())
        err = start.record();
      if (err.empty())
        err = package->runOnDevice(entry, in, out);
      if (err.empty())
        err = end.record();
      float elapsed = 0;
      if (err.empty())
        err = ssmc::runtime::CUDAEvent::elapsedMs(start, end, elapsed);
      if (!err.empty())
        return err;
      times.push_back(elapsed);
    }
    std::sort(times.begin(), times.end());
    ms = times[times.size() / 2];
    return "";
  }

private:
  std::unique_ptr<ssmc::runtime::CUDAPackage> package;
};

} // namespace gpubench

#endif // SSMC_BENCH_GPU_DEVICEHARNESS_H
