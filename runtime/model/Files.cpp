//===- Files.cpp - whole-file reads and atomic writes for the model reader ===//

#include "Files.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssmc::model::detail {

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  if (dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string readWholeFile(const std::string &path, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return path + ": cannot open: " + std::strerror(errno);
  out.clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      std::string err = path + ": cannot read: " + std::strerror(errno);
      ::close(fd);
      return err;
    }
    if (got == 0)
      break;
    out.append(buf, static_cast<size_t>(got));
  }
  ::close(fd);
  return "";
}

std::string writeFileAtomic(const std::string &path, const void *bytes,
                            size_t size) {
  std::string pattern = path + ".tmp-XXXXXX";
  std::vector<char> tmpName(pattern.begin(), pattern.end());
  tmpName.push_back('\0');
  int fd = ::mkstemp(tmpName.data());
  if (fd < 0)
    return pattern + ": cannot create: " + std::strerror(errno);
  std::string tmp(tmpName.data());
  // mkstemp creates 0600; checkpoints are meant to be shared like any file.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  const char *at = static_cast<const char *>(bytes);
  size_t left = size;
  while (left > 0) {
    ssize_t put = ::write(fd, at, left);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0) {
      std::string err = tmp + ": cannot write: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    at += put;
    left -= static_cast<size_t>(put);
  }
  if (::close(fd) != 0) {
    std::string err = tmp + ": cannot write: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err =
        path + ": cannot rename from " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  return "";
}

std::string makeDirectories(const std::string &dir) {
  if (dir.empty())
    return "";
  std::string prefix;
  size_t pos = 0;
  while (pos <= dir.size()) {
    size_t slash = dir.find('/', pos);
    if (slash == std::string::npos)
      slash = dir.size();
    prefix = dir.substr(0, slash);
    pos = slash + 1;
    if (prefix.empty() || prefix == "." || prefix == "..")
      continue;
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return prefix + ": cannot create directory: " + std::strerror(errno);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return dir + ": not a directory";
  return "";
}

} // namespace ssmc::model::detail
