//===- PackageTest.cpp - tests of the .ssmpkg format and its reader -------===//

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Package.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace ssmc;

namespace {

package::Manifest sampleManifest() {
  package::Manifest m;
  m.arch = package::hostArch();
  m.cpu = "generic";
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

std::string loadError(const std::string &bytes,
                      const runtime::LoadOptions &options = {}) {
  TempPackage file(bytes);
  std::string error;
  std::unique_ptr<runtime::Package> pkg =
      runtime::Package::load(file.path, error, options);
  EXPECT_EQ(pkg, nullptr);
  return error;
}

void putU64(std::string &bytes, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

TEST(PackageTest, ManifestRoundTrips) {
  package::Manifest m = sampleManifest();
  m.cpuFeatures = {"+avx2", "+fma"};
  std::string bytes = package::serialize(m, "PAYLOAD");
  EXPECT_EQ(bytes.substr(0, 8), std::string("SSMCPKG\0", 8));
  package::Manifest back;
  std::string payload;
  ASSERT_EQ(package::deserialize(bytes, "p", back, payload), "");
  EXPECT_EQ(payload, "PAYLOAD");
  EXPECT_EQ(back.cpuFeatures, m.cpuFeatures);
  ASSERT_EQ(back.entries.size(), 1u);
  EXPECT_EQ(back.entries[0].symbol, "ssmc_entry_f");
  EXPECT_EQ(back.entries[0].arguments[0].shape,
            (std::vector<int64_t>{-1, 16}));
  EXPECT_EQ(back.entries[0].arguments[1].dtype, package::DType::BF16);
  EXPECT_TRUE(back.entries[0].arguments[1].shape.empty());
  EXPECT_EQ(back.entries[0].results[0].dtype, package::DType::I64);
}

TEST(PackageTest, RejectsBadMagic) {
  std::string bytes = package::serialize(sampleManifest(), "x");
  bytes[3] = 'X';
  EXPECT_NE(loadError(bytes).find("not an ssmc package (bad magic)"),
            std::string::npos);
  EXPECT_NE(loadError("").find("bad magic"), std::string::npos);
}

TEST(PackageTest, RejectsTruncatedFiles) {
  std::string bytes = package::serialize(sampleManifest(), "payload");
  EXPECT_NE(loadError(bytes.substr(0, 20)).find("truncated package header"),
            std::string::npos);
  EXPECT_NE(loadError(bytes.substr(0, bytes.size() - 3))
                .find("payload size 7 runs past the end of the file"),
            std::string::npos);
  EXPECT_NE(loadError(bytes + "junk").find("4 unexpected bytes"),
            std::string::npos);
}

TEST(PackageTest, RejectsManifestPastTheEnd) {
  std::string bytes = package::serialize(sampleManifest(), "payload");
  putU64(bytes, 16, 1u << 30);
  EXPECT_NE(loadError(bytes).find("manifest size 1073741824 runs past the end"),
            std::string::npos);
  putU64(bytes, 16, ~0ull);
  EXPECT_NE(loadError(bytes).find("runs past the end"), std::string::npos);
}

TEST(PackageTest, RejectsWrongVersion) {
  std::string bytes = package::serialize(sampleManifest(), "x");
  bytes[8] = 7;
  EXPECT_NE(loadError(bytes).find("package format version 7 is not supported"),
            std::string::npos);
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
  bad.replace(bad.find("\"format_version\": 1"), 19, "\"format_version\": 2");
  EXPECT_NE(package::parseManifest(bad, m).find("format version 2"),
            std::string::npos);
  bad = good;
  bad.replace(bad.find("\"symbol\""), 8, "\"symbo1\"");
  EXPECT_NE(package::parseManifest(bad, m).find("\"symbol\" is missing"),
            std::string::npos);
}

TEST(PackageTest, RejectsOtherTargetsAndArchitectures) {
  package::Manifest m = sampleManifest();
  m.target = "cuda";
  EXPECT_NE(loadError(package::serialize(m, "x")).find("target 'cuda'"),
            std::string::npos);
  m = sampleManifest();
  m.arch = "sparc";
  EXPECT_NE(loadError(package::serialize(m, "x"))
                .find("compiled for sparc but this host is"),
            std::string::npos);
}

TEST(PackageTest, RejectsCpuFeaturesNotOnHost) {
  package::Manifest m = sampleManifest();
  m.cpu = "sapphirerapids";
  m.cpuFeatures = {"+avx2", "+avx512f", "-avx512fp16", "+fma"};
  std::vector<std::string> host = {"avx2", "fma"};
  runtime::LoadOptions options;
  options.hostFeatures = &host;
  std::string err = loadError(package::serialize(m, "x"), options);
  EXPECT_NE(err.find("compiled for CPU 'sapphirerapids' with features this "
                     "host lacks: avx512f"),
            std::string::npos)
      << err;
  EXPECT_EQ(runtime::missingCpuFeatures(m.cpuFeatures, &host),
            std::vector<std::string>{"avx512f"});
  // Features this runtime cannot detect are not held against the host.
  EXPECT_TRUE(runtime::missingCpuFeatures({"+no-such-feature"}).empty());
}

TEST(PackageTest, RejectsPayloadThatIsNotASharedObject) {
  std::string err = loadError(package::serialize(sampleManifest(), "garbage"));
  EXPECT_NE(err.find("cannot load the package's shared object"),
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
