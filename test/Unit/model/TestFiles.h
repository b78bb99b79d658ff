//===- TestFiles.h - temporary directories and raw files for model tests --===//

#ifndef SSMC_TEST_UNIT_MODEL_TESTFILES_H
#define SSMC_TEST_UNIT_MODEL_TESTFILES_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dirent.h>
#include <ftw.h>

namespace ssmc::modeltest {

/// The directories made by makeTempDir, removed with their contents when the
/// test program exits.
inline struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    for (const std::string &dir : dirs)
      ::nftw(
          dir.c_str(),
          [](const char *path, const struct stat *, int, struct FTW *) {
            return std::remove(path);
          },
          16, FTW_DEPTH | FTW_PHYS);
  }
} tempDirs;

/// A fresh empty directory under the test temp dir.
inline std::string makeTempDir(const std::string &tag) {
  std::string pattern = ::testing::TempDir() + "ssmc-model-" + tag + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char *made = ::mkdtemp(buf.data());
  EXPECT_NE(made, nullptr) << pattern;
  if (!made)
    return pattern;
  tempDirs.dirs.push_back(made);
  return made;
}

/// Writes `bytes` to `path` as they are.
inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  ASSERT_EQ(std::fclose(f), 0);
}

/// The names in `dir` (without . and ..), sorted.
inline std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The bytes of a safetensors file: the 8-byte length of `header` (or
/// `length` when given), `header`, then `data`.
inline std::string safetensorsBytes(const std::string &header,
                                    const std::string &data,
                                    long long length = -1) {
  unsigned long long n =
      length < 0 ? header.size() : static_cast<unsigned long long>(length);
  std::string out;
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

} // namespace ssmc::modeltest

#endif // SSMC_TEST_UNIT_MODEL_TESTFILES_H
