//===- NpyTest.cpp - Tests of the .npy reader and writer ------------------===//
//
// Round trips of every dtype at ranks 0 to 4, binary16 rounding (exhaustively
// against decoding), and one test per kind of malformed file, each of which
// must give a message naming the file, never a crash.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

using namespace ssmc::npy;

namespace {

const DType kTypes[] = {DType::F16, DType::F32, DType::F64, DType::I32,
                        DType::I64};

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "ssmc-npy-test-" + name;
}

bool exists(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (f)
    std::fclose(f);
  return f != nullptr;
}

/// A .npy file with the given header text (padded to 64 bytes) and data.
std::string npyBytes(std::string header, const std::string &data,
                     int major = 1) {
  size_t preamble = major == 1 ? 10 : 12;
  header.append(63 - (preamble + header.size()) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  for (size_t i = 0; i < preamble - 8; ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string parseError(const std::string &bytes) {
  Array array;
  return parseNpy(bytes, "bad.npy", array);
}

TEST(NpyTest, RoundTripsEveryDtypeAndRank) {
  const std::vector<std::vector<int64_t>> shapes = {
      {}, {5}, {2, 3}, {2, 1, 3}, {1, 2, 3, 2}, {0, 3}};
  for (DType dtype : kTypes) {
    for (const std::vector<int64_t> &shape : shapes) {
      int64_t numel = 1;
      for (int64_t s : shape)
        numel *= s;
      std::vector<double> data;
      for (int64_t i = 0; i < numel; ++i)
        data.push_back(dtype == DType::I32 || dtype == DType::I64
                           ? static_cast<double>(i * 37 - 100)
                           : 0.25 * static_cast<double>(i) - 1.5);
      std::string path = tempPath(std::string(descr(dtype) + 1) + "-" +
                                  std::to_string(shape.size()) + ".npy");
      ASSERT_EQ(writeNpy(path, shape, data, dtype), "");
      EXPECT_FALSE(exists(path + ".tmp"));
      Array back;
      ASSERT_EQ(readNpy(path, back), "");
      EXPECT_EQ(back.shape, shape);
      EXPECT_EQ(back.dtype, dtype);
      EXPECT_EQ(back.data, data) << descr(dtype) << shapeString(shape);
      std::remove(path.c_str());
    }
  }
}

TEST(NpyTest, WritesNumPyHeader) {
  std::string bytes;
  ASSERT_EQ(
      serializeNpy({2, 3}, std::vector<double>(6, 1.0), DType::F32, bytes), "");
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes.substr(10, 59),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(shapeString({}), "()");
  EXPECT_EQ(shapeString({7}), "(7,)");
}

TEST(NpyTest, ReadsVersion2AndFloat64Bits) {
  double v = -0.1;
  std::string data(reinterpret_cast<const char *>(&v), 8);
  Array array;
  ASSERT_EQ(parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (1,), }",
                              data, 2),
                     "v2.npy", array),
            "");
  EXPECT_EQ(array.shape, std::vector<int64_t>{1});
  EXPECT_EQ(array.data[0], -0.1);
}

TEST(NpyTest, RoundsToF32AndF16ToNearestEven) {
  std::string path = tempPath("round.npy");
  std::vector<double> data = {0.1,          1.0 + 0x1p-11, 1.0 + 3 * 0x1p-11,
                              65519.0,      65520.0,       -0x1p-25,
                              0x1p-25 * 1.5};
  Array back;
  ASSERT_EQ(writeNpy(path, {7}, data, DType::F32), "");
  ASSERT_EQ(readNpy(path, back), "");
  EXPECT_EQ(back.data[0], static_cast<double>(0.1f));
  ASSERT_EQ(writeNpy(path, {7}, data, DType::F16), "");
  ASSERT_EQ(readNpy(path, back), "");
  std::remove(path.c_str());
  EXPECT_EQ(back.data[0], 0.0999755859375);
  EXPECT_EQ(back.data[1], 1.0);               // tie, down to even
  EXPECT_EQ(back.data[2], 1.0 + 4 * 0x1p-11); // tie, up to even
  EXPECT_EQ(back.data[3], 65504.0);           // largest finite
  EXPECT_TRUE(std::isinf(back.data[4]));      // halfway to 2^16: overflow
  EXPECT_EQ(back.data[5], 0.0);               // tie with zero
  EXPECT_TRUE(std::signbit(back.data[5]));
  EXPECT_EQ(back.data[6], 0x1p-24); // smallest subnormal
}

TEST(NpyTest, F16EncodingInvertsDecodingForEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    double v = decodeF16(static_cast<uint16_t>(bits));
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(decodeF16(encodeF16(v))));
      continue;
    }
    ASSERT_EQ(encodeF16(v), bits) << v;
  }
  // Halfway between the largest subnormal and the smallest normal: even.
  EXPECT_EQ(encodeF16(0x1p-14 - 0x1p-25), 0x0400);
  EXPECT_EQ(encodeF16(std::numeric_limits<double>::infinity()), 0x7c00);
  EXPECT_EQ(encodeF16(-1e300), 0xfc00);
}

TEST(NpyTest, RejectsValuesThatDoNotFit) {
  std::string bytes;
  EXPECT_NE(serializeNpy({1}, {0x1p31}, DType::I32, bytes)
                .find("does not fit in '<i4'"),
            std::string::npos);
  EXPECT_NE(serializeNpy({1}, {NAN}, DType::I64, bytes).find("does not fit"),
            std::string::npos);
  EXPECT_NE(serializeNpy({2, 2}, {1.0}, DType::F32, bytes)
                .find("has 4 elements but 1 values were given"),
            std::string::npos);
  std::string path = tempPath("no-such-dir/x.npy");
  std::string err = writeNpy(path, {1}, {1.0}, DType::F32);
  EXPECT_NE(err.find(path + ".tmp: cannot create"), std::string::npos) << err;
  EXPECT_FALSE(exists(path));
}

TEST(NpyTest, WritesAllFilesOrNone) {
  std::string p0 = tempPath("set0.npy"), p1 = tempPath("set1.npy");
  std::remove(p0.c_str());
  std::remove(p1.c_str());
  ASSERT_EQ(writeNpyFiles({{p0, {2}, {1.0, 2.0}, DType::F32},
                           {p1, {}, {3.0}, DType::I32}}),
            "");
  Array a;
  ASSERT_EQ(readNpy(p1, a), "");
  EXPECT_EQ(a.data, std::vector<double>{3.0});
  EXPECT_FALSE(exists(p0 + ".tmp"));
  EXPECT_FALSE(exists(p1 + ".tmp"));
  ASSERT_EQ(std::remove(p0.c_str()), 0);
  ASSERT_EQ(std::remove(p1.c_str()), 0);

  // The second file cannot be made: the first is not left behind.
  EXPECT_EQ(writeNpyFiles({{p0, {2}, {1.0, 2.0}, DType::F32},
                           {p1, {1}, {0x1p31}, DType::I32}}),
            p1 + ": value 2147483648.000000 at index 0 does not fit in "
                 "'<i4'");
  EXPECT_FALSE(exists(p0));
  EXPECT_FALSE(exists(p0 + ".tmp"));
  EXPECT_FALSE(exists(p1));

  // The second cannot be renamed into place (a directory is there): the
  // first, already renamed, is taken back.
  std::string o0 = tempPath("set2.npy"), o1 = tempPath("set3.npy");
  std::remove(o0.c_str());
  ASSERT_TRUE(::mkdir(o1.c_str(), 0700) == 0 || errno == EEXIST);
  EXPECT_EQ(writeNpyFiles({{o0, {1}, {1.0}, DType::F64},
                           {o1, {1}, {2.0}, DType::F64}}),
            o1 + ": cannot rename from " + o1 + ".tmp: Is a directory");
  EXPECT_FALSE(exists(o0));
  EXPECT_FALSE(exists(o0 + ".tmp"));
  EXPECT_FALSE(exists(o1 + ".tmp"));
  ::rmdir(o1.c_str());
}

TEST(NpyTest, ReportsMissingFile) {
  Array array;
  std::string path = tempPath("missing.npy");
  EXPECT_EQ(readNpy(path, array),
            path + ": cannot open: No such file or directory");
}

TEST(NpyTest, ReportsBadMagic) {
  EXPECT_EQ(parseError("hello world, not numpy"),
            "bad.npy: not a .npy file (bad magic)");
  EXPECT_EQ(parseError(""), "bad.npy: not a .npy file (bad magic)");
}

TEST(NpyTest, ReportsTruncatedHeader) {
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x01", 7)),
            "bad.npy: truncated header (7 bytes)");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x02\x00\x10\x00", 10)),
            "bad.npy: truncated header (10 bytes)");
}

TEST(NpyTest, ReportsUnsupportedVersion) {
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x04\x00\x00\x00", 10)),
            "bad.npy: unsupported .npy format version 4.0");
}

TEST(NpyTest, ReportsHeaderPastEndOfFile) {
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 18)),
            "bad.npy: header length 255 runs past the end of the file (18 "
            "bytes)");
  std::string bytes = npyBytes("{}", "");
  bytes[8] = '\xff';
  bytes[9] = '\xff';
  EXPECT_NE(parseError(bytes).find("runs past the end of the file"),
            std::string::npos);
}

TEST(NpyTest, ReportsMalformedHeaderDict) {
  auto err = [](const std::string &header) {
    return parseError(npyBytes(header, ""));
  };
  EXPECT_EQ(err("'descr': '<f4'"), "bad.npy: header does not start with '{'");
  EXPECT_EQ(err("{'descr': '<f4', 'fortran_order': False}"),
            "bad.npy: header lacks 'shape'");
  EXPECT_EQ(err("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}"),
            "bad.npy: expected True or False for 'fortran_order'");
  EXPECT_EQ(err("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
            "bad.npy: expected a non-negative integer in 'shape'");
  EXPECT_EQ(err("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3"),
            "bad.npy: expected ',' or ')' in 'shape'");
  EXPECT_EQ(err("{'descr': '<f4', 'color': 'red'}"),
            "bad.npy: unexpected key 'color' in the header");
  EXPECT_EQ(err("{'descr': '<f4', 'fortran_order': False, 'shape': (), } x"),
            "bad.npy: unexpected text after the header dict");
}

TEST(NpyTest, ReportsUnknownDtype) {
  for (const char *dtype : {"<c8", ">f4", "|u1", "<f16"})
    EXPECT_EQ(parseError(npyBytes(std::string("{'descr': '") + dtype +
                                      "', 'fortran_order': False, "
                                      "'shape': (1,), }",
                                  std::string(8, '\0'))),
              std::string("bad.npy: unsupported dtype '") + dtype +
                  "' (expected '<f2', '<f4', '<f8', '<i4' or '<i8')");
}

TEST(NpyTest, ReportsFortranOrder) {
  EXPECT_EQ(parseError(npyBytes("{'descr': '<f4', 'fortran_order': True, "
                                "'shape': (2, 2), }",
                                std::string(16, '\0'))),
            "bad.npy: fortran_order arrays are not supported (C order only)");
}

TEST(NpyTest, ReportsDataOfTheWrongLength) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(parseError(npyBytes(header, std::string(20, '\0'))),
            "bad.npy: data is 20 bytes but shape (2, 3) of '<f4' needs 24");
  EXPECT_EQ(parseError(npyBytes(header, std::string(28, '\0'))),
            "bad.npy: data is 28 bytes but shape (2, 3) of '<f4' needs 24");
}

TEST(NpyTest, ReportsAbsurdShapes) {
  EXPECT_EQ(parseError(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (4294967296, 4294967296), }",
                                "")),
            "bad.npy: shape (4294967296, 4294967296) is too large");
  EXPECT_EQ(parseError(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (1152921504606846976,), }",
                                "")),
            "bad.npy: shape (1152921504606846976,) is too large");
  EXPECT_EQ(parseError(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (99999999999999999999,), }",
                                "")),
            "bad.npy: dimension in 'shape' is too large");
}

} // namespace
