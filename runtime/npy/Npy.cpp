//===- Npy.cpp - NumPy .npy reader and writer -----------------------------===//
//
// Byte order is handled explicitly (little-endian on disk whatever the host),
// and every length read from a file is checked against the file's size before
// it is used, so a malformed file gives a message, never a crash.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

using namespace ssmc::npy;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

const DType kAllTypes[] = {DType::F16, DType::F32, DType::F64, DType::I32,
                           DType::I64};

/// Recursive-descent parser of the header, a Python dict literal such as
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  /// Parses the whole header; returns "" or what is wrong with it.
  std::string parse(std::string &descrOut, bool &fortranOut,
                    std::vector<int64_t> &shapeOut) {
    bool seenDescr = false, seenFortran = false, seenShape = false;
    if (!consume('{'))
      return "header does not start with '{'";
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return "expected a quoted key in the header";
      if (!consume(':'))
        return "expected ':' after '" + key + "' in the header";
      if (key == "descr") {
        if (!parseString(descrOut))
          return "expected a quoted string for 'descr'";
        seenDescr = true;
      } else if (key == "fortran_order") {
        if (consumeWord("True"))
          fortranOut = true;
        else if (consumeWord("False"))
          fortranOut = false;
        else
          return "expected True or False for 'fortran_order'";
        seenFortran = true;
      } else if (key == "shape") {
        if (std::string err = parseShape(shapeOut); !err.empty())
          return err;
        seenShape = true;
      } else {
        return "unexpected key '" + key + "' in the header";
      }
      if (!consume(',')) {
        if (!consume('}'))
          return "expected ',' or '}' after '" + key + "' in the header";
        break;
      }
    }
    skipSpace();
    if (pos != text.size())
      return "unexpected text after the header dict";
    if (!seenDescr || !seenFortran || !seenShape)
      return std::string("header lacks '") +
             (!seenDescr     ? "descr"
              : !seenFortran ? "fortran_order"
                             : "shape") +
             "'";
    return "";
  }

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(const char *word) {
    skipSpace();
    size_t len = std::strlen(word);
    if (text.compare(pos, len, word) != 0)
      return false;
    pos += len;
    return true;
  }

  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos];
    size_t end = text.find(quote, pos + 1);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return true;
  }

  std::string parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return "expected a tuple for 'shape'";
    while (!consume(')')) {
      skipSpace();
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        return "expected a non-negative integer in 'shape'";
      int64_t v = 0;
      for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10)
          return "dimension in 'shape' is too large";
        v = v * 10 + (text[pos] - '0');
      }
      if (pos < text.size() && text[pos] == 'L') // Python 2 longs.
        ++pos;
      shape.push_back(v);
      if (!consume(',')) {
        if (!consume(')'))
          return "expected ',' or ')' in 'shape'";
        break;
      }
    }
    return "";
  }

  const std::string &text;
  size_t pos = 0;
};

uint64_t loadLE(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

void storeLE(std::string &out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// numel * itemSize of \p shape, or -1 when it overflows int64.
int64_t byteCount(const std::vector<int64_t> &shape, DType dtype,
                  int64_t &numel) {
  numel = 1;
  for (int64_t s : shape) {
    if (s < 0)
      return -1;
    if (s != 0 && numel > std::numeric_limits<int64_t>::max() / s)
      return -1;
    numel *= s;
  }
  int64_t size = itemSize(dtype);
  if (numel > std::numeric_limits<int64_t>::max() / size)
    return -1;
  return numel * size;
}

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

} // namespace

const char *ssmc::npy::descr(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "<f2";
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  }
  return "?";
}

int64_t ssmc::npy::itemSize(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  return 1;
}

std::string ssmc::npy::shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

uint16_t ssmc::npy::encodeF16(double value) {
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  double a = std::fabs(value);
  if (std::isnan(value))
    return 0x7e00;
  if (a >= 65520.0) // Halfway between 65504 and 2^16 rounds to even: inf.
    return sign | 0x7c00;
  if (a < 0x1p-14) // Subnormal: a multiple of 2^-24; 1024 carries to normal.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 0x1p24));
  int e;
  std::frexp(a, &e); // a = m 2^e with m in [0.5, 1).
  --e;               // a = 1.f 2^e.
  // The 11-bit significand rounded to even; 2048 carries into the exponent
  // because the fields are added, not or-ed.
  auto q = static_cast<uint16_t>(std::nearbyint(std::ldexp(a, 10 - e)));
  return sign | static_cast<uint16_t>(((e + 15) << 10) + (q - 1024));
}

double ssmc::npy::decodeF16(uint16_t bits) {
  double sign = (bits & 0x8000) ? -1.0 : 1.0;
  int exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (exp == 0x1f)
    return frac ? std::numeric_limits<double>::quiet_NaN()
                : sign * std::numeric_limits<double>::infinity();
  if (exp == 0)
    return sign * std::ldexp(frac, -24);
  return sign * std::ldexp(frac + 1024, exp - 25);
}

std::string ssmc::npy::parseNpy(const std::string &bytes,
                                const std::string &name, Array &out) {
  auto fail = [&](const std::string &what) { return name + ": " + what; };
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t size = bytes.size();
  if (size < kMagicLen || bytes.compare(0, kMagicLen, kMagic) != 0)
    return fail("not a .npy file (bad magic)");
  if (size < 8)
    return fail("truncated header (" + std::to_string(size) + " bytes)");
  int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    return fail("unsupported .npy format version " + std::to_string(major) +
                "." + std::to_string(minor));
  size_t lenBytes = major == 1 ? 2 : 4, preamble = 8 + lenBytes;
  if (size < preamble)
    return fail("truncated header (" + std::to_string(size) + " bytes)");
  uint64_t headerLen = loadLE(p + 8, static_cast<int>(lenBytes));
  if (headerLen > size - preamble)
    return fail("header length " + std::to_string(headerLen) +
                " runs past the end of the file (" + std::to_string(size) +
                " bytes)");

  std::string header = bytes.substr(preamble, headerLen), descrText;
  bool fortran = false;
  Array result;
  if (std::string err =
          HeaderParser(header).parse(descrText, fortran, result.shape);
      !err.empty())
    return fail(err);
  bool known = false;
  for (DType t : kAllTypes)
    if (descrText == descr(t)) {
      result.dtype = t;
      known = true;
    }
  if (!known)
    return fail("unsupported dtype '" + descrText +
                "' (expected '<f2', '<f4', '<f8', '<i4' or '<i8')");
  if (fortran)
    return fail("fortran_order arrays are not supported (C order only)");
  int64_t numel = 0;
  int64_t need = byteCount(result.shape, result.dtype, numel);
  if (need < 0)
    return fail("shape " + shapeString(result.shape) + " is too large");
  uint64_t have = size - preamble - headerLen;
  if (have != static_cast<uint64_t>(need))
    return fail("data is " + std::to_string(have) + " bytes but shape " +
                shapeString(result.shape) + " of '" + descrText + "' needs " +
                std::to_string(need));

  const unsigned char *data = p + preamble + headerLen;
  int64_t item = itemSize(result.dtype);
  result.data.resize(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i) {
    uint64_t raw = loadLE(data + i * item, static_cast<int>(item));
    double &v = result.data[static_cast<size_t>(i)];
    switch (result.dtype) {
    case DType::F16:
      v = decodeF16(static_cast<uint16_t>(raw));
      break;
    case DType::F32: {
      auto bits = static_cast<uint32_t>(raw);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      v = f;
      break;
    }
    case DType::F64:
      std::memcpy(&v, &raw, sizeof v);
      break;
    case DType::I32:
      v = static_cast<int32_t>(static_cast<uint32_t>(raw));
      break;
    case DType::I64:
      v = static_cast<double>(static_cast<int64_t>(raw));
      break;
    }
  }
  out = std::move(result);
  return "";
}

std::string ssmc::npy::readNpy(const std::string &path, Array &out) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file)
    return path + ": cannot open: " + std::strerror(errno);
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
    bytes.append(buffer, n);
  if (std::ferror(file.get()))
    return path + ": cannot read: " + std::strerror(errno);
  return parseNpy(bytes, path, out);
}

std::string ssmc::npy::serializeNpy(const std::vector<int64_t> &shape,
                                    const std::vector<double> &data,
                                    DType dtype, std::string &bytes) {
  int64_t numel = 0;
  if (byteCount(shape, dtype, numel) < 0)
    return "shape " + shapeString(shape) + " is invalid or too large";
  if (static_cast<size_t>(numel) != data.size())
    return "shape " + shapeString(shape) + " has " + std::to_string(numel) +
           " elements but " + std::to_string(data.size()) +
           " values were given";

  std::string header =
      std::string("{'descr': '") + descr(dtype) +
      "', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }";
  // Pad with spaces so that the data starts 64-byte aligned, as NumPy does.
  size_t preamble = header.size() + 1 > 0xffff - 64 ? 12 : 10;
  header.append(63 - (preamble + header.size()) % 64, ' ');
  header.push_back('\n');

  std::string result(kMagic, kMagicLen);
  result.push_back(static_cast<char>(preamble == 10 ? 1 : 2));
  result.push_back(0);
  storeLE(result, header.size(), static_cast<int>(preamble - 8));
  result += header;
  int64_t item = itemSize(dtype);
  result.reserve(result.size() + data.size() * static_cast<size_t>(item));
  for (size_t i = 0; i < data.size(); ++i) {
    double v = data[i];
    uint64_t raw = 0;
    if (dtype == DType::I32 || dtype == DType::I64) {
      double r = std::nearbyint(v);
      double limit = dtype == DType::I32 ? 0x1p31 : 0x1p63;
      if (!(r >= -limit && r < limit))
        return "value " + std::to_string(v) + " at index " + std::to_string(i) +
               " does not fit in '" + descr(dtype) + "'";
      raw = static_cast<uint64_t>(static_cast<int64_t>(r));
    } else if (dtype == DType::F16) {
      raw = encodeF16(v);
    } else if (dtype == DType::F32) {
      auto f = static_cast<float>(v);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      raw = bits;
    } else {
      std::memcpy(&raw, &v, sizeof raw);
    }
    storeLE(result, raw, static_cast<int>(item));
  }
  bytes = std::move(result);
  return "";
}

namespace {

/// Writes \p bytes to \p tmp; "" or a message, with nothing left at \p tmp.
std::string writeTemporary(const std::string &tmp, const std::string &bytes) {
  File file(std::fopen(tmp.c_str(), "wb"));
  if (!file)
    return tmp + ": cannot create: " + std::strerror(errno);
  bool ok =
      std::fwrite(bytes.data(), 1, bytes.size(), file.get()) == bytes.size();
  // fclose flushes: its failure is a failed write too.
  ok = (std::fclose(file.release()) == 0) && ok;
  if (!ok) {
    std::string err = tmp + ": cannot write: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return err;
  }
  return "";
}

/// Renames \p tmp to \p path; "" or a message, with \p tmp removed.
std::string renameInto(const std::string &tmp, const std::string &path) {
  if (std::rename(tmp.c_str(), path.c_str()) == 0)
    return "";
  std::string err =
      path + ": cannot rename from " + tmp + ": " + std::strerror(errno);
  std::remove(tmp.c_str());
  return err;
}

} // namespace

std::string ssmc::npy::writeNpy(const std::string &path,
                                const std::vector<int64_t> &shape,
                                const std::vector<double> &data, DType dtype) {
  std::string bytes;
  if (std::string err = serializeNpy(shape, data, dtype, bytes); !err.empty())
    return path + ": " + err;
  std::string tmp = path + ".tmp";
  if (std::string err = writeTemporary(tmp, bytes); !err.empty())
    return err;
  return renameInto(tmp, path);
}

std::string ssmc::npy::writeNpyFiles(const std::vector<NpyFile> &files) {
  // Every file to its temporary first, so that a failure (a value that
  // does not fit, a full disk) leaves no file of the set behind...
  std::vector<std::string> temporaries;
  auto removeAll = [](const std::vector<std::string> &paths) {
    for (const std::string &p : paths)
      std::remove(p.c_str());
  };
  for (const NpyFile &f : files) {
    std::string bytes, err = serializeNpy(f.shape, f.data, f.dtype, bytes);
    if (!err.empty())
      err = f.path + ": " + err;
    else
      err = writeTemporary(f.path + ".tmp", bytes);
    if (!err.empty()) {
      removeAll(temporaries);
      return err;
    }
    temporaries.push_back(f.path + ".tmp");
  }
  // ...then all renamed into place; a rename that fails takes back the
  // ones before it.
  std::vector<std::string> renamed;
  for (size_t i = 0; i < files.size(); ++i) {
    if (std::string err = renameInto(temporaries[i], files[i].path);
        !err.empty()) {
      removeAll(renamed);
      for (size_t j = i + 1; j < files.size(); ++j)
        std::remove(temporaries[j].c_str());
      return err;
    }
    renamed.push_back(files[i].path);
  }
  return "";
}
