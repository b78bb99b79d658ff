//===- PackageFormat.cpp - reading and writing .ssmpkg bytes --------------===//

#include "ssmc/runtime/Json.h"
#include "ssmc/runtime/Package.h"

#include <cassert>
#include <cstring>

namespace ssmc {
namespace package {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  return "?";
}

bool parseDType(const std::string &name, DType &out) {
  for (DType d : {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I32,
                  DType::I64})
    if (name == dtypeName(d)) {
      out = d;
      return true;
    }
  return false;
}

int64_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  return 0;
}

const char *hostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__)
  return "ppc64";
#else
  return "unknown";
#endif
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

namespace {

json::Value tensorJson(const TensorSpec &spec) {
  json::Value v = json::Value::object();
  v.set("dtype", dtypeName(spec.dtype));
  json::Value shape = json::Value::array();
  for (int64_t s : spec.shape)
    shape.push(s);
  v.set("shape", std::move(shape));
  return v;
}

std::string parseString(const json::Value &obj, const char *key,
                        const std::string &where, std::string &out) {
  const json::Value *v = obj.find(key);
  if (!v || !v->isString())
    return where + ": member \"" + key + "\" is missing or not a string";
  out = v->getString();
  return "";
}

std::string parseTensors(const json::Value &entry, const char *key,
                         const std::string &where,
                         std::vector<TensorSpec> &out) {
  const json::Value *list = entry.find(key);
  if (!list || !list->isArray())
    return where + ": member \"" + key + "\" is missing or not an array";
  for (size_t i = 0; i < list->getArray().size(); ++i) {
    const json::Value &t = list->getArray()[i];
    std::string at = where + " " + key + "[" + std::to_string(i) + "]";
    if (!t.isObject())
      return at + ": not an object";
    TensorSpec spec;
    std::string dtype;
    if (std::string err = parseString(t, "dtype", at, dtype); !err.empty())
      return err;
    if (!parseDType(dtype, spec.dtype))
      return at + ": unknown dtype \"" + dtype + "\"";
    const json::Value *shape = t.find("shape");
    if (!shape || !shape->isArray())
      return at + ": member \"shape\" is missing or not an array";
    for (const json::Value &s : shape->getArray()) {
      if (!s.isInteger() || s.getInteger() < -1)
        return at + ": shape sizes must be integers >= -1";
      spec.shape.push_back(s.getInteger());
    }
    out.push_back(std::move(spec));
  }
  return "";
}

void putU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
/// Why a package of an older format version is rejected, and what to do.
std::string olderVersionAdvice() {
  return "the package was written by an older ssmc; recompile it with this "
         "ssmc, whose runtime reads format version " +
         std::to_string(formatVersion);
}

uint64_t getLE(const std::string &bytes, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

} // namespace

std::string writeManifest(const Manifest &m) {
  json::Value root = json::Value::object();
  root.set("ssmc_version", m.ssmcVersion);
  root.set("format_version", static_cast<int64_t>(m.formatVersion));
  json::Value entries = json::Value::array();
  for (const EntrySpec &e : m.entries) {
    json::Value entry = json::Value::object();
    entry.set("name", e.name);
    entry.set("symbol", e.symbol);
    json::Value args = json::Value::array(), results = json::Value::array();
    for (const TensorSpec &t : e.arguments)
      args.push(tensorJson(t));
    for (const TensorSpec &t : e.results)
      results.push(tensorJson(t));
    entry.set("arguments", std::move(args));
    entry.set("results", std::move(results));
    entries.push(std::move(entry));
  }
  root.set("entries", std::move(entries));
  json::Value objects = json::Value::array();
  for (const Object &o : m.objects) {
    json::Value object = json::Value::object();
    object.set("target", o.target);
    object.set("arch", o.arch);
    // cpu objects always say what they need of the CPU; cuda objects only
    // when the compiler recorded it.
    if (o.target == cpuTarget || !o.cpu.empty())
      object.set("cpu", o.cpu);
    if (o.target == cpuTarget || !o.cpuFeatures.empty()) {
      json::Value features = json::Value::array();
      for (const std::string &f : o.cpuFeatures)
        features.push(f);
      object.set("cpu_features", std::move(features));
    }
    if (o.target == cudaTarget || !o.gpuArch.empty())
      object.set("gpu_arch", o.gpuArch);
    object.set("offset", static_cast<int64_t>(o.offset));
    object.set("size", static_cast<int64_t>(o.size));
    objects.push(std::move(object));
  }
  root.set("objects", std::move(objects));
  if (!m.model.empty()) {
    json::Value model;
    // Written by ssmc itself; text that does not parse is dropped.
    if (json::parse(m.model, model).empty())
      root.set("model", std::move(model));
  }
  return json::write(root, 2) + "\n";
}

namespace {

/// "object 1 (cuda)" for messages.
std::string objectName(size_t i, const Object &o) {
  return "object " + std::to_string(i) + " (" + o.target + ")";
}

std::string parseObject(const json::Value &v, const std::string &at,
                        Object &o) {
  if (!v.isObject())
    return at + ": not an object";
  if (std::string err = parseString(v, "target", at, o.target); !err.empty())
    return err;
  if (o.target != cpuTarget && o.target != cudaTarget)
    return at + ": unknown target \"" + o.target +
           "\" (known targets: cpu, cuda)";
  if (std::string err = parseString(v, "arch", at, o.arch); !err.empty())
    return err;
  bool cpu = o.target == cpuTarget;
  if (cpu || v.find("cpu"))
    if (std::string err = parseString(v, "cpu", at, o.cpu); !err.empty())
      return err;
  if (const json::Value *features = v.find("cpu_features")) {
    if (!features->isArray())
      return at + ": member \"cpu_features\" is not an array";
    for (const json::Value &f : features->getArray()) {
      if (!f.isString())
        return at + ": \"cpu_features\" must hold strings";
      o.cpuFeatures.push_back(f.getString());
    }
  } else if (cpu) {
    return at + ": member \"cpu_features\" is missing or not an array";
  }
  if (!cpu) {
    if (std::string err = parseString(v, "gpu_arch", at, o.gpuArch);
        !err.empty())
      return err;
    int major, minor;
    bool specific;
    if (!parseGpuArch(o.gpuArch, major, minor, specific))
      return at + ": malformed \"gpu_arch\" \"" + o.gpuArch +
             "\" (expected sm_XY, e.g. sm_90)";
  }
  for (auto [key, field] :
       {std::pair<const char *, uint64_t *>{"offset", &o.offset},
        {"size", &o.size}}) {
    const json::Value *n = v.find(key);
    if (!n || !n->isInteger() || n->getInteger() < 0)
      return at + ": member \"" + key +
             "\" is missing or not a non-negative integer";
    *field = static_cast<uint64_t>(n->getInteger());
  }
  if (o.size == 0)
    return at + ": size is 0 (an object is a whole shared object)";
  return "";
}

} // namespace

std::string parseManifest(const std::string &text, Manifest &out) {
  json::Value root;
  if (std::string err = json::parse(text, root); !err.empty())
    return "manifest is not valid JSON: " + err;
  if (!root.isObject())
    return "manifest is not a JSON object";
  Manifest m;
  const std::string where = "manifest";
  if (std::string err = parseString(root, "ssmc_version", where, m.ssmcVersion);
      !err.empty())
    return err;
  const json::Value *version = root.find("format_version");
  if (!version || !version->isInteger())
    return "manifest: member \"format_version\" is missing or not an integer";
  if (version->getInteger() < formatVersion)
    return "manifest has format version " +
           std::to_string(version->getInteger()) + " (" + olderVersionAdvice() +
           ")";
  if (version->getInteger() != formatVersion)
    return "manifest has format version " +
           std::to_string(version->getInteger()) +
           ", which is not supported (the package was written by a newer "
           "ssmc; this runtime reads format version " +
           std::to_string(formatVersion) + ")";
  m.formatVersion = formatVersion;
  const json::Value *entries = root.find("entries");
  if (!entries || !entries->isArray())
    return "manifest: member \"entries\" is missing or not an array";
  for (size_t i = 0; i < entries->getArray().size(); ++i) {
    const json::Value &e = entries->getArray()[i];
    std::string at = "manifest entries[" + std::to_string(i) + "]";
    if (!e.isObject())
      return at + ": not an object";
    EntrySpec entry;
    if (std::string err = parseString(e, "name", at, entry.name); !err.empty())
      return err;
    if (std::string err = parseString(e, "symbol", at, entry.symbol);
        !err.empty())
      return err;
    if (std::string err = parseTensors(e, "arguments", at, entry.arguments);
        !err.empty())
      return err;
    if (std::string err = parseTensors(e, "results", at, entry.results);
        !err.empty())
      return err;
    for (const EntrySpec &other : m.entries)
      if (other.name == entry.name)
        return at + ": duplicate entry name \"" + entry.name + "\"";
    m.entries.push_back(std::move(entry));
  }
  const json::Value *objects = root.find("objects");
  if (!objects || !objects->isArray())
    return "manifest: member \"objects\" is missing or not an array";
  if (objects->getArray().empty())
    return "manifest: the package has no object";
  for (size_t i = 0; i < objects->getArray().size(); ++i) {
    Object o;
    if (std::string err =
            parseObject(objects->getArray()[i],
                        "manifest objects[" + std::to_string(i) + "]", o);
        !err.empty())
      return err;
    for (size_t j = 0; j < m.objects.size(); ++j) {
      const Object &other = m.objects[j];
      if (other.target == o.target)
        return "manifest: " + objectName(j, other) + " and " +
               objectName(i, o) + " are for the same target";
      // [a, a + n) and [b, b + k) overlap when each starts before the other
      // ends; written without sums, which could wrap.
      if (o.offset < other.offset ? other.offset - o.offset < o.size
                                  : o.offset - other.offset < other.size)
        return "manifest: " + objectName(j, other) + " (bytes " +
               std::to_string(other.offset) + "+" + std::to_string(other.size) +
               ") and " + objectName(i, o) + " (bytes " +
               std::to_string(o.offset) + "+" + std::to_string(o.size) +
               ") overlap";
    }
    m.objects.push_back(std::move(o));
  }
  if (const json::Value *model = root.find("model")) {
    if (!model->isObject())
      return "manifest: member \"model\" is not an object";
    m.model = json::write(*model);
  }
  out = std::move(m);
  return "";
}

const Object *Manifest::findObject(const std::string &target) const {
  for (const Object &o : objects)
    if (o.target == target)
      return &o;
  return nullptr;
}

std::string Manifest::targetList() const {
  std::string list;
  for (const Object &o : objects)
    list += (list.empty() ? "" : ", ") + o.target;
  return list.empty() ? "none" : list;
}

bool parseGpuArch(const std::string &gpuArch, int &major, int &minor,
                  bool &archSpecific) {
  if (gpuArch.size() < 5 || gpuArch.compare(0, 3, "sm_") != 0)
    return false;
  std::string digits = gpuArch.substr(3);
  archSpecific = digits.back() == 'a';
  if (archSpecific)
    digits.pop_back();
  if (digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  int number = std::stoi(digits);
  if (number < 10)
    return false;
  major = number / 10;
  minor = number % 10;
  return true;
}

std::string serializeRaw(const Manifest &manifest, const std::string &payload) {
  std::string json = writeManifest(manifest);
  std::string out(magic, sizeof(magic));
  putU32(out, formatVersion);
  putU32(out, 0);
  putU64(out, json.size());
  putU64(out, payload.size());
  out += json;
  out += payload;
  return out;
}

std::string serialize(Manifest manifest,
                      const std::vector<std::string> &objects) {
  assert(manifest.objects.size() == objects.size() &&
         "one byte string per manifest object");
  std::string payload;
  for (size_t i = 0; i < objects.size() && i < manifest.objects.size(); ++i) {
    manifest.objects[i].offset = payload.size();
    manifest.objects[i].size = objects[i].size();
    payload += objects[i];
  }
  return serializeRaw(manifest, payload);
}

std::string deserialize(const std::string &bytes, const std::string &name,
                        Manifest &manifest, std::string &payload) {
  if (bytes.size() < sizeof(magic) ||
      std::memcmp(bytes.data(), magic, sizeof(magic)) != 0)
    return name + ": not an ssmc package (bad magic)";
  if (bytes.size() < headerSize)
    return name + ": truncated package header (" +
           std::to_string(bytes.size()) + " bytes, expected at least " +
           std::to_string(headerSize) + ")";
  uint32_t version = static_cast<uint32_t>(getLE(bytes, 8, 4));
  uint32_t flags = static_cast<uint32_t>(getLE(bytes, 12, 4));
  uint64_t manifestSize = getLE(bytes, 16, 8);
  uint64_t payloadSize = getLE(bytes, 24, 8);
  if (version < formatVersion)
    return name + ": package format version " + std::to_string(version) + " (" +
           olderVersionAdvice() + ")";
  if (version != formatVersion)
    return name + ": package format version " + std::to_string(version) +
           " is not supported (the package was written by a newer ssmc; this "
           "runtime reads format version " +
           std::to_string(formatVersion) + ")";
  if (flags != 0)
    return name + ": unknown package flags " + std::to_string(flags);
  uint64_t available = bytes.size() - headerSize;
  if (manifestSize > available)
    return name + ": manifest size " + std::to_string(manifestSize) +
           " runs past the end of the file (" + std::to_string(bytes.size()) +
           " bytes)";
  if (payloadSize > available - manifestSize)
    return name + ": payload size " + std::to_string(payloadSize) +
           " runs past the end of the file (" + std::to_string(bytes.size()) +
           " bytes; truncated?)";
  if (payloadSize != available - manifestSize)
    return name + ": " +
           std::to_string(available - manifestSize - payloadSize) +
           " unexpected bytes after the payload";
  Manifest m;
  std::string json = bytes.substr(headerSize, manifestSize);
  if (std::string err = parseManifest(json, m); !err.empty())
    return name + ": " + err;
  for (size_t i = 0; i < m.objects.size(); ++i) {
    const Object &o = m.objects[i];
    if (o.offset > payloadSize || o.size > payloadSize - o.offset)
      return name + ": " + objectName(i, o) + " (bytes " +
             std::to_string(o.offset) + "+" + std::to_string(o.size) +
             ") runs past the end of the payload (" +
             std::to_string(payloadSize) + " bytes)";
  }
  manifest = std::move(m);
  payload = bytes.substr(headerSize + manifestSize, payloadSize);
  return "";
}

std::string objectBytes(const std::string &payload, const Object &object) {
  if (object.offset > payload.size())
    return "";
  return payload.substr(object.offset, object.size);
}

} // namespace package
} // namespace ssmc
