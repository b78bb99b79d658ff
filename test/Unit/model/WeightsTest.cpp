//===- WeightsTest.cpp - safetensors round trips and malformed files ------===//
//
// Round trips of every dtype (values, shapes, alignment, no temporary files
// left), the f16 / bf16 conversions, and one exact message per kind of
// malformed file, each built byte by byte; truncations and byte flips of a
// valid file must give messages, never crashes.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Weights.h"

#include "TestFiles.h"
#include "ssmc/runtime/Json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

using namespace ssmc;
using namespace ssmc::model;
using package::DType;

namespace {

std::string f32Bytes(const std::vector<float> &values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(&s[0], values.data(), s.size());
  return s;
}

/// The error of opening a file with exactly `bytes`, with the file's path
/// (in a fresh directory) shown as "BAD".
std::string openError(const std::string &bytes) {
  std::string path = modeltest::makeTempDir("bad") + "/bad.safetensors";
  modeltest::writeBytes(path, bytes);
  std::string error;
  std::unique_ptr<WeightStore> store = WeightStore::openFile(path, error);
  EXPECT_EQ(store, nullptr);
  if (error.rfind(path, 0) == 0)
    error = "BAD" + error.substr(path.size());
  return error;
}

TEST(WeightsTest, ConvertsHalfAndBFloat16) {
  for (float v : {0.0f, -0.0f, 1.0f, -2.5f, 0.099975586f, 65504.0f,
                  5.9604645e-08f /* smallest f16 subnormal */})
    EXPECT_EQ(halfToFloat(floatToHalf(v)), v) << v;
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(1e6f), 0x7c00); // overflow to infinity
  for (float v : {0.0f, 1.0f, -3.0f, 0x1.8p100f, 0.0078125f})
    EXPECT_EQ(bf16ToFloat(floatToBF16(v)), v) << v;
  EXPECT_EQ(floatToBF16(1.0f), 0x3f80);
  // Ties go to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
  EXPECT_EQ(bf16ToFloat(floatToBF16(1.0f + 0x1p-8f)), 1.0f);
  EXPECT_EQ(bf16ToFloat(floatToBF16(1.0f + 3 * 0x1p-8f)), 1.0f + 0x1p-6f);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(std::nanf("")))));
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(std::nanf("")))));
}

TEST(WeightsTest, RoundTripsEveryDtype) {
  std::string dir = modeltest::makeTempDir("roundtrip");
  std::string path = dir + "/model.safetensors";
  std::vector<float> values = {1.0f, -2.0f, 0.5f, 0.25f, -0.125f, 3.0f};
  std::map<std::string, TensorBytes> tensors;
  tensors["a.f32"] = encodeTensor(DType::F32, {2, 3}, values);
  tensors["b.f16"] = encodeTensor(DType::F16, {3, 2}, values);
  tensors["c.bf16"] = encodeTensor(DType::BF16, {6}, values);
  tensors["d.scalar"] = encodeTensor(DType::F32, {}, {7.0f});
  tensors["e.empty"] = encodeTensor(DType::BF16, {0, 3}, {});
  ASSERT_EQ(writeSafetensors(path, tensors), "");
  EXPECT_EQ(modeltest::listDir(dir),
            std::vector<std::string>{"model.safetensors"});

  std::string error;
  std::unique_ptr<WeightStore> store = WeightStore::open(dir, error);
  ASSERT_NE(store, nullptr) << error;
  ASSERT_EQ(store->tensors().size(), 5u);
  const TensorInfo *a = store->find("a.f32");
  const TensorInfo *b = store->find("b.f16");
  const TensorInfo *c = store->find("c.bf16");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(b->dtype, DType::F16);
  EXPECT_EQ(c->dtype, DType::BF16);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(c->shape, (std::vector<int64_t>{6}));
  EXPECT_EQ(a->bytes, 24u);
  EXPECT_EQ(b->bytes, 12u);
  EXPECT_EQ(a->file, path);
  EXPECT_EQ(store->toFloat(*a), values);
  EXPECT_EQ(store->toFloat(*b), values);
  EXPECT_EQ(store->toFloat(*c), values);
  EXPECT_EQ(store->toFloat(*store->find("d.scalar")), std::vector<float>{7.0f});
  EXPECT_EQ(store->find("d.scalar")->numel(), 1);
  EXPECT_EQ(store->find("e.empty")->numel(), 0);
  EXPECT_TRUE(store->toFloat(*store->find("e.empty")).empty());
  EXPECT_EQ(store->find("absent"), nullptr);
  // The data starts 8-aligned, and the first tensor (in name order) there.
  EXPECT_EQ(a->offset % 8, 0u);
  EXPECT_EQ(std::memcmp(a->data, f32Bytes(values).data(), 24), 0);
}

TEST(WeightsTest, RoundsWhenEncoding) {
  std::string path = modeltest::makeTempDir("rounding") + "/m.safetensors";
  std::vector<float> values = {1.0f + 0x1p-12f, 0.1f};
  ASSERT_EQ(
      writeSafetensors(path, {{"h", encodeTensor(DType::F16, {2}, values)},
                              {"b", encodeTensor(DType::BF16, {2}, values)}}),
      "");
  std::string error;
  auto store = WeightStore::openFile(path, error);
  ASSERT_NE(store, nullptr) << error;
  std::vector<float> h = store->toFloat(*store->find("h"));
  std::vector<float> b = store->toFloat(*store->find("b"));
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], halfToFloat(floatToHalf(0.1f)));
  EXPECT_NEAR(h[1], 0.1f, 1e-4);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_NEAR(b[1], 0.1f, 1e-3);
}

TEST(WeightsTest, RefusesToWriteBadTensors) {
  std::string dir = modeltest::makeTempDir("badwrite");
  std::string path = dir + "/m.safetensors";
  TensorBytes shortOne = encodeTensor(DType::F32, {2, 2}, {1, 2, 3});
  EXPECT_EQ(writeSafetensors(path, {{"w", shortOne}}),
            path + ": tensor 'w': shape [2, 2] needs 16 bytes but 12 are "
                   "given");
  TensorBytes f64;
  f64.dtype = DType::F64;
  f64.shape = {1};
  f64.bytes.resize(8);
  EXPECT_EQ(writeSafetensors(path, {{"w", f64}}),
            path + ": tensor 'w': dtype f64 cannot be written (expected f32, "
                   "f16 or bf16)");
  EXPECT_TRUE(modeltest::listDir(dir).empty());
}

TEST(WeightsTest, RefusesFileTooSmall) {
  EXPECT_EQ(openError("abc"),
            "BAD: file is too small for a safetensors header (3 bytes)");
  std::string path = modeltest::makeTempDir("absent") + "/absent";
  std::string error;
  EXPECT_EQ(WeightStore::openFile(path, error), nullptr);
  EXPECT_EQ(error, path + ": cannot open: No such file or directory");
}

TEST(WeightsTest, RefusesHeaderLongerThanFile) {
  EXPECT_EQ(openError(modeltest::safetensorsBytes("{}", "1234567890", 1000)),
            "BAD: header length 1000 is larger than the file (20 bytes)");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes("{}", "", 0x7fffffffffffffffLL)),
      "BAD: header length 9223372036854775807 is larger than the file "
      "(10 bytes)");
}

TEST(WeightsTest, RefusesAbsurdHeaderLength) {
  // A sparse file of 100 MB + 16 bytes claiming a header of 100 MB + 1.
  std::string path = modeltest::makeTempDir("absurd") + "/big.safetensors";
  modeltest::writeBytes(path, modeltest::safetensorsBytes("", "", 100000001));
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100000016), 0);
  ::close(fd);
  std::string error;
  EXPECT_EQ(WeightStore::openFile(path, error), nullptr);
  EXPECT_EQ(error, path + ": header length 100000001 is over the limit of "
                          "100000000 bytes");
  ::unlink(path.c_str());
}

TEST(WeightsTest, RefusesBadJsonHeader) {
  json::Value v;
  std::string jsonErr = json::parse("{\"w\": ", v);
  EXPECT_EQ(openError(modeltest::safetensorsBytes("{\"w\": ", "")),
            "BAD: bad JSON header: " + jsonErr);
  EXPECT_EQ(openError(modeltest::safetensorsBytes("[1]", "")),
            "BAD: the header is not a JSON object");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(R"({"__metadata__": 3})", "")),
      "BAD: '__metadata__' must be an object");
  EXPECT_EQ(openError(modeltest::safetensorsBytes(R"({"w": 3})", "")),
            "BAD: tensor 'w': entry must be an object (got 3)");
}

TEST(WeightsTest, RefusesUnsupportedDtypes) {
  for (const char *dtype : {"F64", "I8", "BOOL", "f32"}) {
    std::string header = std::string(R"({"w": {"dtype": ")") + dtype +
                         R"(", "shape": [1], "data_offsets": [0, 8]}})";
    EXPECT_EQ(openError(modeltest::safetensorsBytes(header, "12345678")),
              std::string("BAD: tensor 'w': unsupported dtype '") + dtype +
                  "' (expected F32, F16 or BF16)");
  }
  EXPECT_EQ(openError(modeltest::safetensorsBytes(
                R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "1234")),
            "BAD: tensor 'w': missing or non-string 'dtype'");
}

TEST(WeightsTest, RefusesBadShapesAndOffsets) {
  auto header = [](const std::string &shape, const std::string &offsets) {
    return R"({"w": {"dtype": "F32", "shape": )" + shape +
           R"(, "data_offsets": )" + offsets + "}}";
  };
  std::string data(24, 'x');
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header("[2, 3]", "[0, 20]"), data)),
      "BAD: tensor 'w': shape [2, 3] of F32 needs 24 bytes but "
      "data_offsets span 20");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header("[2, 4]", "[0, 32]"), data)),
      "BAD: tensor 'w': data_offsets end 32 is beyond the data (24 "
      "bytes)");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header("[1]", "[8, 4]"), data)),
      "BAD: tensor 'w': data_offsets begin 8 is after end 4");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header("[-1]", "[0, 4]"), data)),
      "BAD: tensor 'w': 'shape' must be an array of non-negative "
      "integers");
  EXPECT_EQ(openError(modeltest::safetensorsBytes(header("3", "[0, 4]"), data)),
            "BAD: tensor 'w': 'shape' must be an array of non-negative "
            "integers");
  EXPECT_EQ(openError(modeltest::safetensorsBytes(header("[1]", "[0]"), data)),
            "BAD: tensor 'w': 'data_offsets' must be [begin, end] (two "
            "non-negative integers)");
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header("[1]", "[-4, 0]"), data)),
      "BAD: tensor 'w': 'data_offsets' must be [begin, end] (two "
      "non-negative integers)");
  EXPECT_EQ(openError(modeltest::safetensorsBytes(
                header("[4294967296, 4294967296]", "[0, 24]"), data)),
            "BAD: tensor 'w': shape [4294967296, 4294967296] is too large");
  EXPECT_EQ(openError(modeltest::safetensorsBytes(
                header("[2147483648, 2147483648]", "[0, 24]"), data)),
            "BAD: tensor 'w': shape [2147483648, 2147483648] of F32 needs "
            "more than 2^64 bytes but data_offsets span 24");
}

TEST(WeightsTest, RefusesOverlappingTensors) {
  std::string header =
      R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
          "b": {"dtype": "F16", "shape": [8], "data_offsets": [8, 24]}})";
  EXPECT_EQ(
      openError(modeltest::safetensorsBytes(header, std::string(24, 'x'))),
      "BAD: tensors 'a' and 'b' overlap (data bytes [0, 16) and "
      "[8, 24))");
  // Empty tensors take no bytes, so they overlap nothing.
  std::string fine =
      R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
          "b": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}})";
  std::string dir = modeltest::makeTempDir("overlap");
  modeltest::writeBytes(
      dir + "/x.safetensors",
      modeltest::safetensorsBytes(fine, std::string(16, 'x')));
  std::string error;
  EXPECT_NE(WeightStore::openFile(dir + "/x.safetensors", error), nullptr)
      << error;
}

TEST(WeightsTest, RefusesDirectoryWithoutWeights) {
  std::string dir = modeltest::makeTempDir("empty");
  std::string error;
  EXPECT_EQ(WeightStore::open(dir, error), nullptr);
  EXPECT_EQ(error,
            dir + ": no model.safetensors or model.safetensors.index.json");
}

TEST(WeightsTest, SurvivesTruncationAndCorruption) {
  std::string dir = modeltest::makeTempDir("fuzz");
  std::string good = dir + "/good.safetensors";
  ASSERT_EQ(
      writeSafetensors(
          good, {{"a", encodeTensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6})},
                 {"b", encodeTensor(DType::BF16, {4}, {1, 2, 3, 4})},
                 {"c", encodeTensor(DType::F16, {1, 1, 2}, {5, 6})}}),
      "");
  std::string bytes;
  {
    std::FILE *f = std::fopen(good.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[4096];
    size_t got = std::fread(buf, 1, sizeof(buf), f);
    std::fclose(f);
    bytes.assign(buf, got);
  }
  std::string path = dir + "/mutant.safetensors";
  auto tryOpen = [&](const std::string &mutant) {
    modeltest::writeBytes(path, mutant);
    std::string error;
    std::unique_ptr<WeightStore> store = WeightStore::openFile(path, error);
    if (!store) {
      EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
      return;
    }
    // Whatever opens must be readable in full.
    for (const auto &entry : store->tensors())
      store->toFloat(entry.second);
  };
  for (size_t n = 0; n < bytes.size(); ++n)
    tryOpen(bytes.substr(0, n));
  uint64_t state = 12345;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string mutant = bytes;
    for (int k = 0; k < 1 + trial % 3; ++k) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      size_t at = (state >> 33) % std::min<size_t>(mutant.size(), 200);
      mutant[at] = static_cast<char>(state >> 56);
    }
    tryOpen(mutant);
  }
}

} // namespace
