//===- PackageTest.cpp - tests of the .ssmpkg format and its reader -------===//

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Package.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace ssmc;

namespace {

package::Object cpuObject() {
  package::Object o;
  o.target = package::cpuTarget;
  o.arch = package::hostArch();
  o.cpu = "generic";
  return o;
}

package::Object cudaObject(const std::string &gpuArch = "sm_90") {
  package::Object o;
  o.target = package::cudaTarget;
  o.arch = package::hostArch();
  o.gpuArch = gpuArch;
  return o;
}

/// A manifest with one entry and one cpu object.
package::Manifest sampleManifest() {
  package::Manifest m;
  m.objects.push_back(cpuObject());
  package::EntrySpec e;
  e.name = "f";
  e.symbol = "ssmc_entry_f";
  e.arguments.push_back({package::DType::F32, {-1, 16}});
  e.arguments.push_back({package::DType::BF16, {}});
  e.results.push_back({package::DType::I64, {3}});
  m.entries.push_back(e);
  return m;
}

/// A package file on disk for the duration of a test.
class TempPackage {
public:
  explicit TempPackage(const std::string &bytes) {
    char name[] = "/tmp/ssmc-package-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~TempPackage() { std::remove(path.c_str()); }
  std::string path;
};

/// The message of loading the package file \p bytes, its path spelled
/// "p.ssmpkg".
std::string loadError(const std::string &bytes,
                      const runtime::LoadOptions &options = {}) {
  TempPackage file(bytes);
  std::string error;
  std::unique_ptr<runtime::Package> pkg =
      runtime::Package::load(file.path, error, options);
  EXPECT_EQ(pkg, nullptr);
  if (error.rfind(file.path, 0) == 0)
    error.replace(0, file.path.size(), "p.ssmpkg");
  return error;
}

void putU64(std::string &bytes, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

/// The message of deserialize() for \p manifest written as is over
/// \p payload ("" when it is accepted).
std::string deserializeError(const package::Manifest &manifest,
                             const std::string &payload) {
  package::Manifest back;
  std::string out;
  return package::deserialize(package::serializeRaw(manifest, payload),
                              "p.ssmpkg", back, out);
}

TEST(PackageTest, ManifestRoundTrips) {
  package::Manifest m = sampleManifest();
  m.objects[0].cpuFeatures = {"+avx2", "+fma"};
  m.objects.push_back(cudaObject("sm_90a"));
  std::string bytes = package::serialize(m, {"CPUCODE", "CUDACODE!"});
  EXPECT_EQ(bytes.substr(0, 8), std::string("SSMCPKG\0", 8));
  EXPECT_EQ(bytes[8], 2);
  package::Manifest back;
  std::string payload;
  ASSERT_EQ(package::deserialize(bytes, "p", back, payload), "");
  EXPECT_EQ(payload, "CPUCODECUDACODE!");
  EXPECT_EQ(back.formatVersion, 2u);
  ASSERT_EQ(back.objects.size(), 2u);
  const package::Object &cpu = back.objects[0], &cuda = back.objects[1];
  EXPECT_EQ(cpu.target, "cpu");
  EXPECT_EQ(cpu.arch, package::hostArch());
  EXPECT_EQ(cpu.cpu, "generic");
  EXPECT_EQ(cpu.cpuFeatures, m.objects[0].cpuFeatures);
  EXPECT_EQ(cpu.offset, 0u);
  EXPECT_EQ(cpu.size, 7u);
  EXPECT_EQ(cuda.target, "cuda");
  EXPECT_EQ(cuda.gpuArch, "sm_90a");
  EXPECT_TRUE(cuda.cpu.empty());
  EXPECT_EQ(cuda.offset, 7u);
  EXPECT_EQ(cuda.size, 9u);
  EXPECT_EQ(package::objectBytes(payload, cpu), "CPUCODE");
  EXPECT_EQ(package::objectBytes(payload, cuda), "CUDACODE!");
  EXPECT_EQ(back.findObject("cuda"), &back.objects[1]);
  EXPECT_EQ(back.findObject("rocm"), nullptr);
  EXPECT_EQ(back.targetList(), "cpu, cuda");
  ASSERT_EQ(back.entries.size(), 1u);
  EXPECT_EQ(back.entries[0].symbol, "ssmc_entry_f");
  EXPECT_EQ(back.entries[0].arguments[0].shape,
            (std::vector<int64_t>{-1, 16}));
  EXPECT_EQ(back.entries[0].arguments[1].dtype, package::DType::BF16);
  EXPECT_TRUE(back.entries[0].arguments[1].shape.empty());
  EXPECT_EQ(back.entries[0].results[0].dtype, package::DType::I64);
}

TEST(PackageTest, RejectsBadMagic) {
  std::string bytes = package::serialize(sampleManifest(), {"x"});
  bytes[3] = 'X';
  EXPECT_NE(loadError(bytes).find("not an ssmc package (bad magic)"),
            std::string::npos);
  EXPECT_NE(loadError("").find("bad magic"), std::string::npos);
}

TEST(PackageTest, RejectsTruncatedFiles) {
  std::string bytes = package::serialize(sampleManifest(), {"payload"});
  std::string size = std::to_string(bytes.size() - 3);
  EXPECT_EQ(loadError(bytes.substr(0, 20)),
            "p.ssmpkg: truncated package header (20 bytes, expected at least "
            "32)");
  EXPECT_EQ(loadError(bytes.substr(0, bytes.size() - 3)),
            "p.ssmpkg: payload size 7 runs past the end of the file (" + size +
                " bytes; truncated?)");
  EXPECT_EQ(loadError(bytes + "junk"),
            "p.ssmpkg: 4 unexpected bytes after the payload");
}

TEST(PackageTest, RejectsManifestPastTheEnd) {
  std::string bytes = package::serialize(sampleManifest(), {"payload"});
  std::string size = std::to_string(bytes.size());
  putU64(bytes, 16, 1u << 30);
  EXPECT_EQ(loadError(bytes), "p.ssmpkg: manifest size 1073741824 runs past "
                              "the end of the file (" +
                                  size + " bytes)");
  putU64(bytes, 16, ~0ull);
  EXPECT_EQ(loadError(bytes), "p.ssmpkg: manifest size 18446744073709551615 "
                              "runs past the end of the file (" +
                                  size + " bytes)");
}

TEST(PackageTest, RejectsWrongVersion) {
  std::string bytes = package::serialize(sampleManifest(), {"x"});
  bytes[8] = 7;
  EXPECT_NE(loadError(bytes).find("package format version 7 is not supported"),
            std::string::npos);
}

TEST(PackageTest, RejectsVersion1WithAdvice) {
  std::string bytes = package::serialize(sampleManifest(), {"x"});
  bytes[8] = 1;
  std::string err = loadError(bytes);
  EXPECT_NE(err.find(": package format version 1 (the package was written by "
                     "an older ssmc; recompile it with this ssmc, whose "
                     "runtime reads format version 2)"),
            std::string::npos)
      << err;
  // A version 1 manifest (which had no "objects") says the same.
  package::Manifest m;
  err = package::parseManifest(
      R"({"ssmc_version": "0.1.0", "format_version": 1, "target": "cpu",
          "arch": "x86_64", "cpu": "znver4", "cpu_features": [],
          "entries": []})",
      m);
  EXPECT_NE(err.find("manifest has format version 1 (the package was written "
                     "by an older ssmc; recompile it"),
            std::string::npos)
      << err;
}

TEST(PackageTest, TheFormatVersionIsTheContractNotTheSsmcVersion) {
  // A package that another ssmc wrote in this format loads: its
  // ssmc_version is recorded for people, never compared.
  package::Manifest m = sampleManifest();
  m.ssmcVersion = "9.9.9";
  package::Manifest back;
  std::string payload;
  ASSERT_EQ(package::deserialize(package::serialize(m, {"x"}), "p.ssmpkg",
                                 back, payload),
            "");
  EXPECT_EQ(back.ssmcVersion, "9.9.9");
  // Another format version is refused, with what to do.
  std::string bytes = package::serialize(sampleManifest(), {"x"});
  bytes[8] = 3;
  EXPECT_EQ(package::deserialize(bytes, "p.ssmpkg", back, payload),
            "p.ssmpkg: package format version 3 is not supported (the "
            "package was written by a newer ssmc; this runtime reads format "
            "version 2)");
  bytes[8] = 1;
  EXPECT_EQ(package::deserialize(bytes, "p.ssmpkg", back, payload),
            "p.ssmpkg: package format version 1 (the package was written by "
            "an older ssmc; recompile it with this ssmc, whose runtime reads "
            "format version 2)");
}

TEST(PackageTest, RejectsBadManifests) {
  std::string good = package::writeManifest(sampleManifest());
  package::Manifest m;
  EXPECT_NE(package::parseManifest("{", m).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(package::parseManifest("[]", m).find("not a JSON object"),
            std::string::npos);
  std::string bad = good;
  bad.replace(bad.find("\"bf16\""), 6, "\"f8\"");
  EXPECT_NE(package::parseManifest(bad, m).find("unknown dtype \"f8\""),
            std::string::npos);
  bad = good;
  bad.replace(bad.find("\"format_version\": 2"), 19, "\"format_version\": 3");
  EXPECT_EQ(package::parseManifest(bad, m),
            "manifest has format version 3, which is not supported (the "
            "package was written by a newer ssmc; this runtime reads format "
            "version 2)");
  bad = good;
  bad.replace(bad.find("\"symbol\""), 8, "\"symbo1\"");
  EXPECT_NE(package::parseManifest(bad, m).find("\"symbol\" is missing"),
            std::string::npos);
}

TEST(PackageTest, ChecksObjects) {
  package::Manifest m = sampleManifest();
  m.objects.push_back(cudaObject());
  m.objects[0].offset = 0;
  m.objects[0].size = 8;
  m.objects[1].offset = 8;
  m.objects[1].size = 4;
  EXPECT_EQ(deserializeError(m, std::string(12, 'x')), "");
  // Gaps are allowed.
  EXPECT_EQ(deserializeError(m, std::string(20, 'x')), "");
  EXPECT_EQ(deserializeError(m, std::string(11, 'x')),
            "p.ssmpkg: object 1 (cuda) (bytes 8+4) runs past the end of the "
            "payload (11 bytes)");
  m.objects[1].offset = 7;
  EXPECT_EQ(deserializeError(m, std::string(12, 'x')),
            "p.ssmpkg: manifest: object 0 (cpu) (bytes 0+8) and object 1 "
            "(cuda) (bytes 7+4) overlap");
  m.objects[1].offset = ~0ull >> 1;
  EXPECT_NE(deserializeError(m, std::string(12, 'x')).find("runs past the end"),
            std::string::npos);
  m.objects[1] = m.objects[0];
  m.objects[1].offset = 8;
  EXPECT_EQ(deserializeError(m, std::string(16, 'x')),
            "p.ssmpkg: manifest: object 0 (cpu) and object 1 (cpu) are for "
            "the same target");
  m.objects[1] = cudaObject("sm90");
  m.objects[1].offset = 8;
  m.objects[1].size = 4;
  EXPECT_NE(deserializeError(m, std::string(12, 'x'))
                .find("manifest objects[1]: malformed \"gpu_arch\" \"sm90\""),
            std::string::npos);
  m.objects[1].gpuArch = "sm_90";
  m.objects[1].target = "rocm";
  EXPECT_NE(deserializeError(m, std::string(12, 'x'))
                .find("manifest objects[1]: unknown target \"rocm\""),
            std::string::npos);
  m.objects[1].target = "cuda";
  m.objects[1].size = 0;
  EXPECT_NE(deserializeError(m, std::string(12, 'x')).find("size is 0"),
            std::string::npos);
  m.objects.clear();
  EXPECT_NE(deserializeError(m, "").find("the package has no object"),
            std::string::npos);
}

TEST(PackageTest, ParsesGpuArch) {
  int major = 0, minor = 0;
  bool specific = true;
  EXPECT_TRUE(package::parseGpuArch("sm_90", major, minor, specific));
  EXPECT_EQ(major, 9);
  EXPECT_EQ(minor, 0);
  EXPECT_FALSE(specific);
  EXPECT_TRUE(package::parseGpuArch("sm_86", major, minor, specific));
  EXPECT_EQ(major, 8);
  EXPECT_EQ(minor, 6);
  EXPECT_TRUE(package::parseGpuArch("sm_100a", major, minor, specific));
  EXPECT_EQ(major, 10);
  EXPECT_EQ(minor, 0);
  EXPECT_TRUE(specific);
  for (const char *bad : {"sm90", "sm_", "sm_9", "sm_x0", "compute_90", ""})
    EXPECT_FALSE(package::parseGpuArch(bad, major, minor, specific)) << bad;
}

TEST(PackageTest, CpuRuntimeNeedsACpuObjectForThisHost) {
  package::Manifest m = sampleManifest();
  m.objects[0] = cudaObject();
  EXPECT_NE(loadError(package::serialize(m, {"x"}))
                .find("the package has no cpu object (its objects: cuda)"),
            std::string::npos);
  m = sampleManifest();
  m.objects[0].arch = "sparc";
  EXPECT_NE(loadError(package::serialize(m, {"x"}))
                .find("the package's cpu object was compiled for sparc but "
                      "this host is"),
            std::string::npos);
}

TEST(PackageTest, RejectsCpuFeaturesNotOnHost) {
  package::Manifest m = sampleManifest();
  m.objects[0].cpu = "sapphirerapids";
  m.objects[0].cpuFeatures = {"+avx2", "+avx512f", "-avx512fp16", "+fma"};
  std::vector<std::string> host = {"avx2", "fma"};
  runtime::LoadOptions options;
  options.hostFeatures = &host;
  std::string err = loadError(package::serialize(m, {"x"}), options);
  EXPECT_NE(err.find("cpu object was compiled for CPU 'sapphirerapids' with "
                     "features this host lacks: avx512f"),
            std::string::npos)
      << err;
  EXPECT_EQ(runtime::missingCpuFeatures(m.objects[0].cpuFeatures, &host),
            std::vector<std::string>{"avx512f"});
  // Features this runtime cannot detect are not held against the host.
  EXPECT_TRUE(runtime::missingCpuFeatures({"+no-such-feature"}).empty());
}

TEST(PackageTest, RejectsPayloadThatIsNotASharedObject) {
  std::string err =
      loadError(package::serialize(sampleManifest(), {"garbage"}));
  EXPECT_NE(err.find(": cpu object: cannot load the shared object"),
            std::string::npos)
      << err;
}

TEST(PackageTest, ReportsMissingFile) {
  std::string error;
  EXPECT_EQ(runtime::Package::load("/nonexistent/x.ssmpkg", error), nullptr);
  EXPECT_NE(error.find("cannot open package '/nonexistent/x.ssmpkg'"),
            std::string::npos);
}

} // namespace
