//===- Files.h - whole-file reads and atomic writes for the model reader --===//
//
// Private to runtime/model. Every function returns "" on success or a
// one-line message naming the file.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_RUNTIME_MODEL_FILES_H
#define SSMC_RUNTIME_MODEL_FILES_H

#include <string>

namespace ssmc::model::detail {

/// `dir` and `name` joined by one '/'.
std::string joinPath(const std::string &dir, const std::string &name);

/// Whether `path` names an existing regular file (symlinks followed).
bool isRegularFile(const std::string &path);

/// Reads the whole file at `path` into `out`.
std::string readWholeFile(const std::string &path, std::string &out);

/// Writes `bytes` to a fresh "PATH.tmp-XXXXXX" next to `path` and renames it
/// into place, so that `path` is never seen half-written; on failure the
/// temporary file is removed.
std::string writeFileAtomic(const std::string &path, const void *bytes,
                            size_t size);

/// Creates `dir` and its missing parents.
std::string makeDirectories(const std::string &dir);

} // namespace ssmc::model::detail

#endif // SSMC_RUNTIME_MODEL_FILES_H
