//===- Npy.h - NumPy .npy files read and written as float64 ----*- C++ -*-===//
//
// The tensor file format of `ssmc eval` and of the test scripts: NumPy's .npy
// (format 1.0, 2.0 and 3.0 on read; 1.0 on write, 2.0 only when the header
// does not fit), little-endian, C order, arrays of any rank including 0.
// Values are converted to and from double; f16 is decoded exactly and
// encoded with round-to-nearest-even. Plain C++17, no MLIR or LLVM.
//
// Every function returns an empty string on success and otherwise a one-line
// message that names the file and what is wrong with it; malformed input never
// crashes or asserts.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_NPY_H
#define SSMC_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc {
namespace npy {

/// The element types ssmc reads and writes.
enum class DType { F16, F32, F64, I32, I64 };

/// The NumPy descriptor of \p dtype, e.g. "<f4".
const char *descr(DType dtype);

/// The size in bytes of one element of \p dtype.
int64_t itemSize(DType dtype);

/// A dense row-major array; integer elements are stored as doubles.
struct Array {
  std::vector<int64_t> shape;
  DType dtype = DType::F64;
  std::vector<double> data;
};

/// Parses the complete contents \p bytes of a .npy file; \p name is used in
/// messages only.
std::string parseNpy(const std::string &bytes, const std::string &name,
                     Array &out);

/// Reads the .npy file at \p path.
std::string readNpy(const std::string &path, Array &out);

/// Serialises \p data of \p shape as a .npy file (format 1.0) in \p dtype:
/// floats are rounded to nearest-even, integers rounded to nearest (and must
/// fit in the type).
std::string serializeNpy(const std::vector<int64_t> &shape,
                         const std::vector<double> &data, DType dtype,
                         std::string &bytes);

/// Writes a .npy file to `path + ".tmp"` and renames it to \p path, so that
/// \p path is never left half-written.
std::string writeNpy(const std::string &path, const std::vector<int64_t> &shape,
                     const std::vector<double> &data, DType dtype);

/// One array of writeNpyFiles().
struct NpyFile {
  std::string path;
  std::vector<int64_t> shape;
  std::vector<double> data;
  DType dtype = DType::F64;
};

/// Writes all of \p files or none: each to `path + ".tmp"`, then every one
/// renamed into place once all are written. On failure no file of the set
/// is left, neither temporaries nor files already renamed (so an older file
/// at such a path is gone too), and the message names the file that failed.
/// For tools whose outputs belong together (PREFIX0.npy, PREFIX1.npy, ...).
std::string writeNpyFiles(const std::vector<NpyFile> &files);

/// The IEEE binary16 bits nearest to \p value (ties to even; overflow to
/// infinity, NaN to a quiet NaN).
uint16_t encodeF16(double value);

/// The exact value of the IEEE binary16 bits \p bits.
double decodeF16(uint16_t bits);

/// The text NumPy prints for \p shape: "()", "(5,)", "(2, 3)".
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace npy
} // namespace ssmc

#endif // SSMC_RUNTIME_NPY_H
