//===- ssmc-exec.cpp - run a package's entry on .npy files, runtime only --===//
//
// The runtime's command-line tool: loads a .ssmpkg for the CPU or a CUDA GPU
// and runs one entry on .npy inputs, writing PREFIX0.npy, PREFIX1.npy, ...
// It links only the runtime (no MLIR or LLVM), so that it can be carried to
// a GPU machine together with a package.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/Npy.h"
#include "ssmc/runtime/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace ssmc;
using package::DType;
using runtime::HostTensor;

namespace {

const char *usage =
    "usage: ssmc-exec PACKAGE --entry NAME [--input FILE.npy]... "
    "--output PREFIX\n"
    "                 [--device cpu|cuda] [--time N]\n"
    "       ssmc-exec PACKAGE --list\n"
    "\n"
    "Runs entry NAME of the .ssmpkg PACKAGE on the .npy inputs (one per\n"
    "argument, in order) and writes result i to PREFIX<i>.npy: every result\n"
    "or, on an error, none.\n"
    "\n"
    "  --entry NAME      the entry to run\n"
    "  --input FILE      an input .npy file (repeat for each argument); its\n"
    "                    dtype must be the argument's, except that f32 files\n"
    "                    feed bf16 arguments (rounded to nearest even)\n"
    "  --output PREFIX   where results go; bf16 results are written as f32\n"
    "  --device DEVICE   cpu (default) or cuda; where CUDA cannot be used\n"
    "                    (no driver or no GPU) cuda runs the package's cpu\n"
    "                    code and says so ($SSMC_CUDA_DRIVER names the driver\n"
    "                    library when libcuda.so.1 is not it)\n"
    "  --time N          also run the entry N more times and print the median\n"
    "                    time (cuda: on device-resident inputs, between CUDA\n"
    "                    events; cpu: wall clock)\n"
    "  --list            print the package's objects and entries\n"
    "  --help            print this\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ssmc-exec: %s\n", message.c_str());
  return 1;
}

/// The package dtype of a .npy dtype.
DType fromNpy(npy::DType dtype) {
  switch (dtype) {
  case npy::DType::F16:
    return DType::F16;
  case npy::DType::F32:
    return DType::F32;
  case npy::DType::F64:
    return DType::F64;
  case npy::DType::I32:
    return DType::I32;
  case npy::DType::I64:
    return DType::I64;
  }
  return DType::F64;
}

/// The .npy dtype results of \p dtype are written in.
npy::DType toNpy(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return npy::DType::F16;
  case DType::F32:
  case DType::BF16:
    return npy::DType::F32;
  case DType::F64:
    return npy::DType::F64;
  case DType::I32:
    return npy::DType::I32;
  case DType::I64:
    return npy::DType::I64;
  }
  return npy::DType::F64;
}

/// \p array as a host tensor of \p dtype (values exactly representable, or
/// rounded for f16 and bf16).
HostTensor toHost(const npy::Array &array, DType dtype) {
  HostTensor h(dtype, array.shape);
  for (size_t k = 0; k < array.data.size(); ++k)
    h.set(static_cast<int64_t>(k), array.data[k]);
  return h;
}

std::vector<double> values(const HostTensor &h) {
  std::vector<double> out(static_cast<size_t>(h.numElements()));
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = h.get(static_cast<int64_t>(k));
  return out;
}

std::string typeString(const package::TensorSpec &t) {
  std::string s = std::string(package::dtypeName(t.dtype)) + "[";
  for (size_t d = 0; d < t.shape.size(); ++d)
    s += (d ? ", " : "") +
         (t.shape[d] < 0 ? std::string("?") : std::to_string(t.shape[d]));
  return s + "]";
}

std::string typeList(const std::vector<package::TensorSpec> &types) {
  std::string s;
  for (const package::TensorSpec &t : types)
    s += (s.empty() ? "" : ", ") + typeString(t);
  return "(" + s + ")";
}

int list(const std::string &path) {
  package::Manifest manifest;
  std::string payload;
  if (std::string err = runtime::readPackage(path, manifest, payload);
      !err.empty())
    return fail(err);
  std::printf("%s: format version %u, written by ssmc %s\n", path.c_str(),
              manifest.formatVersion, manifest.ssmcVersion.c_str());
  for (const package::Object &o : manifest.objects) {
    std::printf("object %s: %s", o.target.c_str(), o.arch.c_str());
    if (!o.cpu.empty())
      std::printf(", cpu %s", o.cpu.c_str());
    if (!o.gpuArch.empty())
      std::printf(", %s", o.gpuArch.c_str());
    std::printf(", %llu bytes\n", static_cast<unsigned long long>(o.size));
  }
  for (const package::EntrySpec &e : manifest.entries)
    std::printf("entry %s%s -> %s\n", e.name.c_str(),
                typeList(e.arguments).c_str(), typeList(e.results).c_str());
  return 0;
}

/// The median milliseconds of \p reps runs of \p entry on \p inputs: on the
/// device between CUDA events when the package runs there, else wall clock.
std::string timeEntry(const runtime::DevicePackage &pkg,
                      const std::string &entry,
                      const std::vector<HostTensor> &inputs, int reps,
                      double &median) {
  std::vector<double> times;
  if (runtime::CUDAPackage *gpu = pkg.cudaPackage()) {
    std::vector<runtime::DeviceTensor> in(inputs.size()), out;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (std::string err = gpu->upload(inputs[i], in[i]); !err.empty())
        return err;
    runtime::CUDAEvent start, end;
    std::string err = start.create();
    if (err.empty())
      err = end.create();
    for (int r = 0; r < reps && err.empty(); ++r) {
      float ms = 0;
      err = start.record();
      if (err.empty())
        err = gpu->runOnDevice(entry, in, out);
      if (err.empty())
        err = end.record();
      if (err.empty())
        err = runtime::CUDAEvent::elapsedMs(start, end, ms);
      times.push_back(ms);
    }
    if (!err.empty())
      return err;
  } else {
    std::vector<HostTensor> out;
    for (int r = 0; r < reps; ++r) {
      auto start = std::chrono::steady_clock::now();
      if (std::string err = pkg.run(entry, inputs, out); !err.empty())
        return err;
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
  }
  std::sort(times.begin(), times.end());
  median = times[times.size() / 2];
  return "";
}

} // namespace

int main(int argc, char **argv) {
  std::string path, entryName, prefix, device = package::cpuTarget;
  std::vector<std::string> inputFiles;
  bool listOnly = false;
  int reps = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool hasValue = false;
    if (arg.compare(0, 2, "--") == 0 && arg.find('=') != std::string::npos) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      hasValue = true;
    }
    auto take = [&](std::string &out) {
      if (!hasValue) {
        if (i + 1 >= argc)
          return false;
        value = argv[++i];
      }
      out = value;
      return true;
    };
    std::string taken;
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg == "--list") {
      listOnly = true;
    } else if (arg == "--entry" || arg == "--output" || arg == "--device" ||
               arg == "--input" || arg == "--time") {
      if (!take(taken))
        return fail(arg + " needs a value");
      if (arg == "--entry")
        entryName = taken;
      else if (arg == "--output")
        prefix = taken;
      else if (arg == "--device")
        device = taken;
      else if (arg == "--time") {
        char *end = nullptr;
        long n = std::strtol(taken.c_str(), &end, 10);
        if (taken.empty() || *end || n < 1 || n > 1000000)
          return fail("--time needs a positive count, got '" + taken + "'");
        reps = static_cast<int>(n);
      } else
        inputFiles.push_back(taken);
    } else if (arg.compare(0, 1, "-") == 0 && arg != "-") {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (path.empty()) {
      path = arg;
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
  }
  if (path.empty())
    return fail("no package given (see --help)");
  if (listOnly)
    return list(path);
  if (entryName.empty())
    return fail("--entry NAME is required (--list shows the entries)");
  if (prefix.empty())
    return fail("--output PREFIX is required");

  runtime::DeviceOptions options;
  options.device = device;
  std::string error;
  std::unique_ptr<runtime::DevicePackage> pkg =
      runtime::DevicePackage::load(path, error, options);
  if (!pkg)
    return fail(error);
  if (!pkg->notice().empty())
    std::fprintf(stderr, "ssmc-exec: %s\n", pkg->notice().c_str());
  const package::EntrySpec *entry = pkg->findEntry(entryName);
  if (!entry)
    return fail(runtime::noEntryMessage(pkg->manifest(), entryName));

  std::vector<HostTensor> inputs;
  for (size_t i = 0; i < inputFiles.size(); ++i) {
    npy::Array array;
    if (std::string err = npy::readNpy(inputFiles[i], array); !err.empty())
      return fail(err);
    DType dtype = fromNpy(array.dtype);
    // bf16 has no .npy dtype: f32 files feed bf16 arguments.
    if (i < entry->arguments.size() &&
        entry->arguments[i].dtype == DType::BF16 && dtype == DType::F32)
      dtype = DType::BF16;
    inputs.push_back(toHost(array, dtype));
  }
  std::vector<HostTensor> outputs;
  if (std::string err = pkg->run(entryName, inputs, outputs); !err.empty())
    return fail(err);
  // Timed before anything is written, so that a failing timed run leaves no
  // output either.
  double ms = 0;
  if (reps > 0) {
    if (std::string err = timeEntry(*pkg, entryName, inputs, reps, ms);
        !err.empty())
      return fail(err);
  }
  // The outputs belong together: all of them are written or none.
  std::vector<npy::NpyFile> files;
  for (size_t i = 0; i < outputs.size(); ++i)
    files.push_back({prefix + std::to_string(i) + ".npy", outputs[i].shape,
                     values(outputs[i]), toNpy(outputs[i].dtype)});
  if (std::string err = npy::writeNpyFiles(files); !err.empty())
    return fail(err);
  for (size_t i = 0; i < outputs.size(); ++i)
    std::printf("output %zu: shape %s %s -> %s\n", i,
                npy::shapeString(outputs[i].shape).c_str(),
                package::dtypeName(outputs[i].dtype), files[i].path.c_str());
  if (reps > 0)
    std::printf("time: %.4f ms (median of %d runs on %s)\n", ms, reps,
                pkg->device().c_str());
  return 0;
}
