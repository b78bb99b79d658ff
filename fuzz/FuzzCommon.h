//===- FuzzCommon.h - helpers shared by the fuzz targets and make-seeds ---===//
//
// A scratch directory per process, whole-file writes and the fixed shards
// the index target opens. The seed maker uses the same shards, so that its
// index seeds name tensors that exist.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FUZZ_FUZZCOMMON_H
#define SSMC_FUZZ_FUZZCOMMON_H

#include "FuzzCheck.h"

#include "ssmc/model/Weights.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace ssmc::fuzz {

/// Removes the regular files of `dir` and then `dir` (not recursive: the
/// targets make flat directories).
inline void removeFlatDirectory(const std::string &dir) {
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

/// Where scratch directories go: $SSMC_FUZZ_TMPDIR, else /dev/shm (the
/// targets rewrite a file per input, which a loaded disk makes 25 times
/// slower), else $TMPDIR, else /tmp.
inline std::string scratchBase() {
  if (const char *dir = std::getenv("SSMC_FUZZ_TMPDIR"); dir && *dir)
    return dir;
  if (::access("/dev/shm", W_OK | X_OK) == 0)
    return "/dev/shm";
  if (const char *dir = std::getenv("TMPDIR"); dir && *dir)
    return dir;
  return "/tmp";
}

/// A fresh directory under scratchBase(), removed at exit.
inline const std::string &scratchDirectory() {
  static const std::string dir = [] {
    std::string pattern = scratchBase() + "/ssmc-fuzz-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data())) {
      std::fprintf(stderr, "cannot create %s: %s\n", pattern.c_str(),
                   std::strerror(errno));
      std::abort();
    }
    return std::string(name.data());
  }();
  static const bool registered = [] {
    std::atexit([] { removeFlatDirectory(scratchDirectory()); });
    return true;
  }();
  (void)registered;
  return dir;
}

/// Replaces the file at `path` with `size` bytes; aborts on failure (a full
/// disk is not a finding, but silently fuzzing a stale file would be worse).
inline void writeWholeFile(const std::string &path, const void *bytes,
                           size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  SSMC_FUZZ_CHECK(fd >= 0, path + ": " + std::strerror(errno));
  const char *at = static_cast<const char *>(bytes);
  while (size > 0) {
    ssize_t put = ::write(fd, at, size);
    if (put < 0 && errno == EINTR)
      continue;
    SSMC_FUZZ_CHECK(put > 0, path + ": " + std::strerror(errno));
    at += put;
    size -= static_cast<size_t>(put);
  }
  ::close(fd);
}

/// Reads every byte of every tensor and widens the small ones to float, so
/// that ASan sees any range that leaves the mapping; checks what openFile
/// promises of each tensor.
inline void touchTensors(const model::WeightStore &store) {
  volatile uint8_t sink = 0;
  for (const auto &[name, t] : store.tensors()) {
    SSMC_FUZZ_CHECK(name == t.name, name);
    int64_t numel = t.numel();
    SSMC_FUZZ_CHECK(numel >= 0, name);
    SSMC_FUZZ_CHECK(
        static_cast<uint64_t>(numel) * package::dtypeSize(t.dtype) == t.bytes,
        name);
    const uint8_t *p = static_cast<const uint8_t *>(t.data);
    for (uint64_t i = 0; i < t.bytes; ++i)
      sink = sink ^ p[i];
    if (numel <= (int64_t(1) << 16)) {
      std::vector<float> values = store.toFloat(t);
      SSMC_FUZZ_CHECK(values.size() == static_cast<size_t>(numel), name);
    }
  }
  (void)sink;
}

/// The shards the index target puts next to its fuzzed index: tensors
/// "a", "b" (shard 1), "c" (shard 2) and "a" again (dup.safetensors, so that
/// a tensor claimed by two shards is reachable).
inline std::map<std::string, std::map<std::string, model::TensorBytes>>
fixedShards() {
  using package::DType;
  return {
      {"model-00001-of-00002.safetensors",
       {{"a", model::encodeTensor(DType::F32, {2, 2}, {1, 2, 3, 4})},
        {"b", model::encodeTensor(DType::BF16, {3}, {0.5f, -1, 2})}}},
      {"model-00002-of-00002.safetensors",
       {{"c", model::encodeTensor(DType::F16, {1, 2}, {7, 8})}}},
      {"dup.safetensors", {{"a", model::encodeTensor(DType::F32, {1}, {9})}}},
  };
}

/// Writes fixedShards() into `dir`; aborts on failure.
inline void writeFixedShards(const std::string &dir) {
  for (const auto &[file, tensors] : fixedShards()) {
    std::string err = model::writeSafetensors(dir + "/" + file, tensors);
    SSMC_FUZZ_CHECK(err.empty(), err);
  }
}

} // namespace ssmc::fuzz

#endif // SSMC_FUZZ_FUZZCOMMON_H
