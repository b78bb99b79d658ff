//===- Package.h - the versioned .ssmpkg package format --------*- C++ -*-===//
//
// The contract between the compiler (codegen/Package writes packages) and the
// runtime (runtime/cpu and runtime/cuda load them). Plain C++17, no MLIR or
// LLVM.
//
// A package is ONE file, all integers little-endian:
//
//   offset  size  field
//   0       8     magic "SSMCPKG\0"
//   8       4     u32 format version (formatVersion)
//   12      4     u32 flags (0; no flag is defined in version 2)
//   16      8     u64 manifest size M
//   24      8     u64 payload size P
//   32      M     manifest: UTF-8 JSON, described below
//   32 + M  P     payload: the bytes of every object, one after another
//
// and its size is exactly 32 + M + P. The manifest of version 2 is an object
//
//   {"ssmc_version": "0.2.0", "format_version": 2,
//    "entries": [{"name": "f", "symbol": "ssmc_entry_f",
//                 "arguments": [{"dtype": "f32", "shape": [-1, 16]}, ...],
//                 "results": [{"dtype": "f32", "shape": [-1, 16]}, ...]}],
//    "objects": [{"target": "cpu", "arch": "x86_64", "cpu": "znver5",
//                 "cpu_features": ["+avx2", ...], "offset": 0, "size": N},
//                {"target": "cuda", "arch": "x86_64", "gpu_arch": "sm_90",
//                 "offset": N, "size": M}]}
//
// where a shape lists the static sizes of a tensor (its length is the rank;
// -1 marks a dynamic size) and a dtype is one of f32 f16 bf16 f64 i32 i64.
//
// Every object is an ELF shared object for the host architecture "arch" that
// exports the symbol of every entry; it lies at bytes [offset, offset + size)
// of the payload. Objects do not overlap and there is at most one object per
// target:
//   - "cpu": native code for the host CPU "cpu" (an LLVM CPU name), compiled
//     with "cpu_features" (LLVM feature names, "+name" enabled; "-name"
//     entries may be omitted);
//   - "cuda": host code that launches kernels of an embedded GPU binary
//     through the mgpu* functions of MLIR's CUDA runtime wrappers (the CUDA
//     runtime, runtime/cuda, implements them); "gpu_arch" is the GPU it was
//     compiled for ("sm_90"; a suffix "a" marks arch-specific code that runs on
//     exactly that GPU). "cpu" and "cpu_features" are optional here.
// Readers ignore members they do not know, so adding members does not need a
// new version; changing the meaning or layout of anything above does.
// The format version is the whole contract between writer and reader:
// "ssmc_version" records which ssmc wrote the package, for people (ssmc-exec
// --list prints it), and is never compared, so a package that another ssmc
// wrote in this format loads; one of another format version is refused
// with what to do (recompile it, or use the newer ssmc's runtime).
// Version 1 (one cpu shared object as the payload, its CPU in the top-level
// manifest) is no longer read: such packages are recompiled.
//
// Every entry symbol has the ABI of ssmc/Codegen/CPU/Pipeline.h:
// void NAME(void **argv), argv[0] -> result descriptors one after another,
// argv[1 + i] -> the strided memref descriptor of argument i. In a cuda
// object the descriptors' pointers are device pointers.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_PACKAGE_H
#define SSMC_RUNTIME_PACKAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc {
namespace package {

/// The first 8 bytes of every package.
constexpr char magic[8] = {'S', 'S', 'M', 'C', 'P', 'K', 'G', '\0'};
/// The format version this code writes and reads.
constexpr uint32_t formatVersion = 2;
/// The size of the fixed header.
constexpr uint64_t headerSize = 32;
/// The version string of ssmc recorded in manifests.
constexpr const char *ssmcVersion = "0.2.0";

/// Element types of entry arguments and results.
enum class DType { F32, F16, BF16, F64, I32, I64 };

/// "f32", "f16", ...
const char *dtypeName(DType dtype);
/// Parses a dtype name; false when unknown.
bool parseDType(const std::string &name, DType &out);
/// Bytes per element.
int64_t dtypeSize(DType dtype);

/// The type of one argument or result: static sizes, -1 where dynamic.
struct TensorSpec {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// One exported function.
struct EntrySpec {
  std::string name;
  std::string symbol;
  std::vector<TensorSpec> arguments;
  std::vector<TensorSpec> results;
};

/// The targets an object can be for.
constexpr const char *cpuTarget = "cpu";
constexpr const char *cudaTarget = "cuda";

/// One shared object of the payload and what it was compiled for.
struct Object {
  /// cpuTarget or cudaTarget.
  std::string target;
  /// The host architecture, in hostArch() spelling.
  std::string arch;
  /// The LLVM CPU name the host code was compiled for ("" when not recorded;
  /// required for cpu objects).
  std::string cpu;
  /// LLVM feature names the host code was compiled with ("+avx2", ...).
  std::vector<std::string> cpuFeatures;
  /// cuda objects: the GPU the kernels were compiled for ("sm_90").
  std::string gpuArch;
  /// The bytes [offset, offset + size) of the payload.
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// Everything the manifest says.
struct Manifest {
  std::string ssmcVersion = package::ssmcVersion;
  uint32_t formatVersion = package::formatVersion;
  std::vector<EntrySpec> entries;
  std::vector<Object> objects;
  /// For a compiled model: its description (the config, the entries of its
  /// stages and the checkpoint tensors their arguments take), as JSON text;
  /// empty otherwise.
  std::string model;

  /// The object for \p target, or null.
  const Object *findObject(const std::string &target) const;
  /// The targets of the objects, e.g. "cpu, cuda" (for messages).
  std::string targetList() const;
};

/// The manifest as JSON text.
std::string writeManifest(const Manifest &manifest);
/// Parses and checks manifest JSON (members, types, known targets, at most one
/// object per target, objects that do not overlap); "" on success, otherwise
/// a message.
std::string parseManifest(const std::string &json, Manifest &out);

/// The complete bytes of a package: \p manifest with the offset and size of
/// every object set so that \p objects (objects[i] the bytes of
/// manifest.objects[i]; the counts must agree) lie one after another in the
/// payload.
std::string serialize(Manifest manifest,
                      const std::vector<std::string> &objects);

/// The complete bytes of a package made of \p manifest exactly as given and
/// \p payload; for tests of malformed packages.
std::string serializeRaw(const Manifest &manifest, const std::string &payload);

/// Splits the complete bytes of a package into its manifest and its payload,
/// checking magic, version, sizes and that every object lies inside the
/// payload; \p name (the file) is used in messages only.
std::string deserialize(const std::string &bytes, const std::string &name,
                        Manifest &manifest, std::string &payload);

/// The bytes of \p object in \p payload (checked by deserialize()).
std::string objectBytes(const std::string &payload, const Object &object);

/// Parses a CUDA architecture "sm_XY" (also "sm_XYa", "sm_XYZ"): the compute
/// capability major.minor and whether the code is arch-specific ("a"); false
/// when malformed.
bool parseGpuArch(const std::string &gpuArch, int &major, int &minor,
                  bool &archSpecific);

/// The architecture this code was compiled for, in manifest spelling
/// ("x86_64", "aarch64", ...).
const char *hostArch();

/// "(2, -1, 16)"-style text of a shape, with "?" for dynamic sizes.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace package
} // namespace ssmc

#endif // SSMC_RUNTIME_PACKAGE_H
