//===- Package.h - the versioned .ssmpkg package format --------*- C++ -*-===//
//
// The contract between the compiler (codegen/Package writes packages) and the
// runtime (runtime/cpu loads them). Plain C++17, no MLIR or LLVM.
//
// A package is ONE file, all integers little-endian:
//
//   offset  size  field
//   0       8     magic "SSMCPKG\0"
//   8       4     u32 format version (packageFormatVersion)
//   12      4     u32 flags (0; no flag is defined in version 1)
//   16      8     u64 manifest size M
//   24      8     u64 payload size P
//   32      M     manifest: UTF-8 JSON, described below
//   32 + M  P     payload: the shared object (ELF) holding the entry symbols
//
// and its size is exactly 32 + M + P. The manifest of version 1 is an object
//
//   {"ssmc_version": "0.1.0", "format_version": 1, "target": "cpu",
//    "arch": "x86_64", "cpu": "znver4", "cpu_features": ["+avx2", ...],
//    "entries": [{"name": "f", "symbol": "ssmc_entry_f",
//                 "arguments": [{"dtype": "f32", "shape": [-1, 16]}, ...],
//                 "results": [{"dtype": "f32", "shape": [-1, 16]}, ...]}]}
//
// where a shape lists the static sizes of a tensor (its length is the rank;
// -1 marks a dynamic size) and a dtype is one of f32 f16 bf16 f64 i32 i64.
// "cpu_features" lists the LLVM feature names the code was compiled with
// ("+name" enabled; "-name" disabled entries may be omitted). Readers ignore
// members they do not know, so adding members does not need a new version;
// changing the meaning or layout of anything above does.
//
// Every entry symbol has the ABI of ssmc/Codegen/CPU/Pipeline.h:
// void NAME(void **argv), argv[0] -> result descriptors one after another,
// argv[1 + i] -> the strided memref descriptor of argument i.
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
constexpr uint32_t formatVersion = 1;
/// The size of the fixed header.
constexpr uint64_t headerSize = 32;
/// The version string of ssmc recorded in manifests.
constexpr const char *ssmcVersion = "0.1.0";

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

/// Everything the manifest says.
struct Manifest {
  std::string ssmcVersion = package::ssmcVersion;
  uint32_t formatVersion = package::formatVersion;
  std::string target = "cpu";
  std::string arch;
  std::string cpu;
  std::vector<std::string> cpuFeatures;
  std::vector<EntrySpec> entries;
};

/// The manifest as JSON text.
std::string writeManifest(const Manifest &manifest);
/// Parses and checks manifest JSON; "" on success, otherwise a message.
std::string parseManifest(const std::string &json, Manifest &out);

/// The complete bytes of a package made of \p manifest and \p payload.
std::string serialize(const Manifest &manifest, const std::string &payload);

/// Splits the complete bytes of a package into its manifest and its payload,
/// checking magic, version and sizes; \p name is used in messages only.
std::string deserialize(const std::string &bytes, const std::string &name,
                        Manifest &manifest, std::string &payload);

/// The architecture this code was compiled for, in manifest spelling
/// ("x86_64", "aarch64", ...).
const char *hostArch();

/// "(2, -1, 16)"-style text of a shape, with "?" for dynamic sizes.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace package
} // namespace ssmc

#endif // SSMC_RUNTIME_PACKAGE_H
