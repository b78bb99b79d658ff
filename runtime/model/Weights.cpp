//===- Weights.cpp - safetensors files, memory-mapped and checked ---------===//
//
// Every number read from a header is checked against the file before it is
// used (header length, dtype, shape against byte range, range inside the
// data, no two ranges overlapping), so that a malformed or hostile file gives
// one message naming the file and the tensor, never a crash. Sharded
// checkpoints are opened shard by shard and then checked against their index.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Weights.h"

#include "Files.h"
#include "ssmc/runtime/Json.h"
#include "ssmc/runtime/Npy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <tuple>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ssmc;
using namespace ssmc::model;
using package::DType;

namespace {

/// The safetensors library refuses headers above 100 MB; so does ssmc.
constexpr uint64_t kMaxHeaderBytes = 100000000;

const char *kIndexName = "model.safetensors.index.json";
const char *kSingleName = "model.safetensors";

uint64_t readLE64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// `a * b`, or false when it does not fit in uint64.
bool mulOverflows(uint64_t a, uint64_t b, uint64_t &out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    return true;
  out = a * b;
  return false;
}

bool isNonNegativeInt(const json::Value &v) {
  return v.isInteger() && v.getInteger() >= 0;
}

/// A shard name from an index must stay inside the model directory. A NUL
/// would cut the name short when opened, after the checks below saw all of
/// it: refused too.
bool isSafeRelativePath(const std::string &name) {
  if (name.empty() || name[0] == '/' || name.find('\0') != std::string::npos)
    return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos)
      slash = name.size();
    if (name.compare(start, slash - start, "..") == 0 && slash - start == 2)
      return false;
    start = slash + 1;
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Dtypes and conversions
//===----------------------------------------------------------------------===//

const char *ssmc::model::safetensorsDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  default:
    return "?";
  }
}

bool ssmc::model::parseSafetensorsDType(const std::string &name, DType &out) {
  for (DType d : {DType::F32, DType::F16, DType::BF16})
    if (name == safetensorsDTypeName(d)) {
      out = d;
      return true;
    }
  return false;
}

float ssmc::model::halfToFloat(uint16_t bits) {
  return static_cast<float>(npy::decodeF16(bits));
}

uint16_t ssmc::model::floatToHalf(float value) {
  // Widening to double is exact, so this rounds once, from the float.
  return npy::encodeF16(value);
}

float ssmc::model::bf16ToFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof(f));
  return f;
}

uint16_t ssmc::model::floatToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

std::string ssmc::model::shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

TensorBytes ssmc::model::encodeTensor(DType dtype, std::vector<int64_t> shape,
                                      const std::vector<float> &values) {
  TensorBytes t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  size_t elem = static_cast<size_t>(package::dtypeSize(dtype));
  t.bytes.resize(values.size() * elem);
  uint8_t *at = t.bytes.data();
  for (float v : values) {
    uint32_t bits = 0;
    if (dtype == DType::F32)
      std::memcpy(&bits, &v, sizeof(bits));
    else if (dtype == DType::F16)
      bits = floatToHalf(v);
    else
      bits = floatToBF16(v);
    for (size_t b = 0; b < elem; ++b)
      *at++ = static_cast<uint8_t>(bits >> (8 * b));
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

/// One read-only mapping of a whole file.
struct WeightStore::Mapping {
  void *base = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (base != MAP_FAILED)
      ::munmap(base, size);
  }
};

WeightStore::~WeightStore() = default;

const TensorInfo *WeightStore::find(const std::string &name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &it->second;
}

std::vector<float> WeightStore::toFloat(const TensorInfo &t) const {
  size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  const uint8_t *p = static_cast<const uint8_t *>(t.data);
  if (t.dtype == DType::F32) {
    // An empty vector's data() may be null, which memcpy must not get even
    // for 0 bytes.
    if (n != 0)
      std::memcpy(out.data(), p, n * sizeof(float));
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t bits = static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
    out[i] = t.dtype == DType::F16 ? halfToFloat(bits) : bf16ToFloat(bits);
  }
  return out;
}

namespace {

/// Checks the header entry `name` -> `entry` of the file `path` whose data
/// section holds `dataBytes` bytes starting at file offset `dataStart`.
std::string checkEntry(const std::string &path, const std::string &name,
                       const json::Value &entry, uint64_t dataStart,
                       uint64_t dataBytes, TensorInfo &t) {
  std::string where = path + ": tensor '" + name + "': ";
  if (!entry.isObject())
    return where + "entry must be an object (got " + json::write(entry) + ")";
  const json::Value *dtype = entry.find("dtype");
  const json::Value *shape = entry.find("shape");
  const json::Value *offsets = entry.find("data_offsets");
  if (!dtype || !dtype->isString())
    return where + "missing or non-string 'dtype'";
  if (!parseSafetensorsDType(dtype->getString(), t.dtype))
    return where + "unsupported dtype '" + dtype->getString() +
           "' (expected F32, F16 or BF16)";
  bool shapeOk = shape && shape->isArray();
  if (shapeOk)
    for (const json::Value &d : shape->getArray())
      shapeOk = shapeOk && isNonNegativeInt(d);
  if (!shapeOk)
    return where + "'shape' must be an array of non-negative integers";
  bool offsetsOk = offsets && offsets->isArray() &&
                   offsets->getArray().size() == 2 &&
                   isNonNegativeInt(offsets->getArray()[0]) &&
                   isNonNegativeInt(offsets->getArray()[1]);
  if (!offsetsOk)
    return where + "'data_offsets' must be [begin, end] (two non-negative "
                   "integers)";
  uint64_t begin = static_cast<uint64_t>(offsets->getArray()[0].getInteger());
  uint64_t end = static_cast<uint64_t>(offsets->getArray()[1].getInteger());
  // The element count, with zero sizes counted as one, must fit in int64 so
  // that numel() and index arithmetic downstream cannot overflow.
  uint64_t numel = 1, bound = 1;
  for (const json::Value &d : shape->getArray()) {
    uint64_t s = static_cast<uint64_t>(d.getInteger());
    t.shape.push_back(d.getInteger());
    if (mulOverflows(bound, std::max<uint64_t>(s, 1), bound) ||
        bound > uint64_t(std::numeric_limits<int64_t>::max()))
      return where + "shape " + shapeText(t.shape) + " is too large";
    numel *= s;
  }
  if (begin > end)
    return where + "data_offsets begin " + std::to_string(begin) +
           " is after end " + std::to_string(end);
  if (end > dataBytes)
    return where + "data_offsets end " + std::to_string(end) +
           " is beyond the data (" + std::to_string(dataBytes) + " bytes)";
  uint64_t need = 0;
  bool tooBig =
      mulOverflows(numel, uint64_t(package::dtypeSize(t.dtype)), need);
  if (tooBig || need != end - begin)
    return where + "shape " + shapeText(t.shape) + " of " + dtype->getString() +
           " needs " +
           (tooBig ? std::string("more than 2^64") : std::to_string(need)) +
           " bytes but data_offsets span " + std::to_string(end - begin);
  t.name = name;
  t.file = path;
  t.offset = dataStart + begin;
  t.bytes = end - begin;
  return "";
}

} // namespace

std::unique_ptr<WeightStore> WeightStore::openFile(const std::string &path,
                                                   std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8) {
    ::close(fd);
    error = path + ": file is too small for a safetensors header (" +
            std::to_string(fileSize) + " bytes)";
    return nullptr;
  }
  auto mapping = std::make_unique<Mapping>();
  mapping->size = static_cast<size_t>(fileSize);
  mapping->base = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd);
  if (mapping->base == MAP_FAILED) {
    error = path + ": cannot map: " + std::strerror(mapErrno);
    return nullptr;
  }
  const uint8_t *bytes = static_cast<const uint8_t *>(mapping->base);
  uint64_t headerBytes = readLE64(bytes);
  if (headerBytes > fileSize - 8) {
    error = path + ": header length " + std::to_string(headerBytes) +
            " is larger than the file (" + std::to_string(fileSize) + " bytes)";
    return nullptr;
  }
  if (headerBytes > kMaxHeaderBytes) {
    error = path + ": header length " + std::to_string(headerBytes) +
            " is over the limit of " + std::to_string(kMaxHeaderBytes) +
            " bytes";
    return nullptr;
  }
  json::Value header;
  std::string text(reinterpret_cast<const char *>(bytes + 8),
                   static_cast<size_t>(headerBytes));
  if (std::string err = json::parse(text, header); !err.empty()) {
    error = path + ": bad JSON header: " + err;
    return nullptr;
  }
  if (!header.isObject()) {
    error = path + ": the header is not a JSON object";
    return nullptr;
  }
  uint64_t dataStart = 8 + headerBytes;
  uint64_t dataBytes = fileSize - dataStart;
  std::unique_ptr<WeightStore> store(new WeightStore());
  // (begin, end, name) of every non-empty range, for the overlap check.
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> ranges;
  for (const auto &[name, entry] : header.getObject()) {
    if (name == "__metadata__") {
      if (!entry.isObject()) {
        error = path + ": '__metadata__' must be an object";
        return nullptr;
      }
      continue;
    }
    TensorInfo t;
    if (std::string err =
            checkEntry(path, name, entry, dataStart, dataBytes, t);
        !err.empty()) {
      error = err;
      return nullptr;
    }
    t.data = bytes + t.offset;
    if (t.bytes > 0)
      ranges.emplace_back(t.offset - dataStart, t.offset - dataStart + t.bytes,
                          name);
    // The JSON reader keeps the last of repeated keys, so names are unique.
    store->byName.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    const auto &[b0, e0, n0] = ranges[i - 1];
    const auto &[b1, e1, n1] = ranges[i];
    // Sorted, and disjoint up to here: the predecessor reaches furthest.
    if (b1 < e0) {
      error = path + ": tensors '" + n0 + "' and '" + n1 +
              "' overlap (data bytes [" + std::to_string(b0) + ", " +
              std::to_string(e0) + ") and [" + std::to_string(b1) + ", " +
              std::to_string(e1) + "))";
      return nullptr;
    }
  }
  store->mappings.push_back(std::move(mapping));
  return store;
}

std::unique_ptr<WeightStore> WeightStore::open(const std::string &dir,
                                               std::string &error) {
  std::string single = detail::joinPath(dir, kSingleName);
  if (detail::isRegularFile(single))
    return openFile(single, error);
  std::string indexPath = detail::joinPath(dir, kIndexName);
  if (!detail::isRegularFile(indexPath)) {
    error = dir + ": no " + kSingleName + " or " + kIndexName;
    return nullptr;
  }
  std::string text;
  if (std::string err = detail::readWholeFile(indexPath, text); !err.empty()) {
    error = err;
    return nullptr;
  }
  json::Value index;
  if (std::string err = json::parse(text, index); !err.empty()) {
    error = indexPath + ":" + err;
    return nullptr;
  }
  const json::Value *map =
      index.isObject() ? index.find("weight_map") : nullptr;
  if (!map || !map->isObject() || map->getObject().empty()) {
    error = indexPath + ": missing or empty object 'weight_map'";
    return nullptr;
  }
  // The shards in order of first mention, each opened once.
  std::vector<std::string> shardNames;
  std::map<std::string, std::string> shardOf;
  for (const auto &[name, file] : map->getObject()) {
    if (!file.isString()) {
      error = indexPath + ": tensor '" + name +
              "' must map to a file name (got " + json::write(file) + ")";
      return nullptr;
    }
    const std::string &shard = file.getString();
    if (!isSafeRelativePath(shard)) {
      error = indexPath + ": tensor '" + name + "' names shard '" + shard +
              "' outside the model directory";
      return nullptr;
    }
    shardOf.emplace(name, shard);
    if (std::find(shardNames.begin(), shardNames.end(), shard) ==
        shardNames.end()) {
      if (!detail::isRegularFile(detail::joinPath(dir, shard))) {
        error = indexPath + ": shard '" + shard + "' (of tensor '" + name +
                "') does not exist";
        return nullptr;
      }
      shardNames.push_back(shard);
    }
  }
  std::unique_ptr<WeightStore> store(new WeightStore());
  std::map<std::string, std::string> foundIn;
  for (const std::string &shard : shardNames) {
    std::string shardPath = detail::joinPath(dir, shard);
    std::unique_ptr<WeightStore> part = openFile(shardPath, error);
    if (!part)
      return nullptr;
    for (auto &[name, info] : part->byName) {
      if (auto it = foundIn.find(name); it != foundIn.end()) {
        error = shardPath + ": tensor '" + name + "' is also in " +
                detail::joinPath(dir, it->second);
        return nullptr;
      }
      foundIn.emplace(name, shard);
      store->byName.emplace(name, std::move(info));
    }
    for (auto &m : part->mappings)
      store->mappings.push_back(std::move(m));
  }
  for (const auto &[name, shard] : shardOf) {
    auto it = foundIn.find(name);
    if (it == foundIn.end() || it->second != shard) {
      error = indexPath + ": tensor '" + name + "' is not in shard '" + shard +
              "'" +
              (it == foundIn.end() ? std::string()
                                   : " (it is in '" + it->second + "')");
      return nullptr;
    }
  }
  for (const auto &[name, shard] : foundIn)
    if (!shardOf.count(name)) {
      error = indexPath + ": tensor '" + name + "' of shard '" + shard +
              "' is not in the weight_map";
      return nullptr;
    }
  return store;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

std::string ssmc::model::writeSafetensors(
    const std::string &path,
    const std::map<std::string, TensorBytes> &tensors) {
  json::Value header = json::Value::object();
  json::Value metadata = json::Value::object();
  metadata.set("format", "pt");
  header.set("__metadata__", std::move(metadata));
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    std::string where = path + ": tensor '" + name + "': ";
    if (name == "__metadata__")
      return where + "the name is reserved";
    if (t.dtype != DType::F32 && t.dtype != DType::F16 &&
        t.dtype != DType::BF16)
      return where + "dtype " + package::dtypeName(t.dtype) +
             " cannot be written (expected f32, f16 or bf16)";
    uint64_t numel = 1;
    json::Value shape = json::Value::array();
    for (int64_t s : t.shape) {
      if (s < 0)
        return where + "negative size in shape " + shapeText(t.shape);
      shape.push(s);
      if (mulOverflows(numel, static_cast<uint64_t>(s), numel))
        return where + "shape " + shapeText(t.shape) + " is too large";
    }
    uint64_t need = 0;
    if (mulOverflows(numel, uint64_t(package::dtypeSize(t.dtype)), need) ||
        need != t.bytes.size())
      return where + "shape " + shapeText(t.shape) + " needs " +
             std::to_string(need) + " bytes but " +
             std::to_string(t.bytes.size()) + " are given";
    json::Value entry = json::Value::object();
    entry.set("dtype", safetensorsDTypeName(t.dtype));
    entry.set("shape", std::move(shape));
    json::Value offsets = json::Value::array();
    offsets.push(static_cast<int64_t>(offset));
    offsets.push(static_cast<int64_t>(offset + need));
    entry.set("data_offsets", std::move(offsets));
    header.set(name, std::move(entry));
    offset += need;
  }
  std::string text = json::write(header);
  // Spaces after the JSON align the data start to 8 bytes, as the
  // safetensors library does, so that readers may use it in place.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string file(8 + text.size() + offset, '\0');
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<char>(uint64_t(text.size()) >> (8 * i));
  std::memcpy(&file[8], text.data(), text.size());
  size_t at = 8 + text.size();
  for (const auto &entry : tensors) {
    const std::vector<uint8_t> &bytes = entry.second.bytes;
    if (!bytes.empty())
      std::memcpy(&file[at], bytes.data(), bytes.size());
    at += bytes.size();
  }
  return detail::writeFileAtomic(path, file.data(), file.size());
}
