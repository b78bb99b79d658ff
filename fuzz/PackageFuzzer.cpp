//===- PackageFuzzer.cpp - fuzzes the .ssmpkg header and manifest parsers -===//
//
// The input is both a whole package (package::deserialize: magic, version,
// sizes, manifest, object ranges) and a bare manifest (parseManifest); no
// object is ever loaded. What parses must survive a round trip: the manifest
// written back (writeManifest) and the package rebuilt (serialize) read
// back to the same fields, and every object lies inside the payload.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/runtime/Package.h"

#include <cstddef>
#include <cstdint>

using namespace ssmc;
using namespace ssmc::package;

namespace {

bool sameTensors(const std::vector<TensorSpec> &a,
                 const std::vector<TensorSpec> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].dtype != b[i].dtype || a[i].shape != b[i].shape)
      return false;
  return true;
}

bool sameManifest(const Manifest &a, const Manifest &b) {
  if (a.ssmcVersion != b.ssmcVersion || a.formatVersion != b.formatVersion ||
      a.model != b.model || a.entries.size() != b.entries.size() ||
      a.objects.size() != b.objects.size())
    return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const EntrySpec &x = a.entries[i], &y = b.entries[i];
    if (x.name != y.name || x.symbol != y.symbol ||
        !sameTensors(x.arguments, y.arguments) ||
        !sameTensors(x.results, y.results))
      return false;
  }
  for (size_t i = 0; i < a.objects.size(); ++i) {
    const Object &x = a.objects[i], &y = b.objects[i];
    if (x.target != y.target || x.arch != y.arch || x.cpu != y.cpu ||
        x.cpuFeatures != y.cpuFeatures || x.gpuArch != y.gpuArch ||
        x.offset != y.offset || x.size != y.size)
      return false;
  }
  return true;
}

/// A manifest that parsed must be written and read back unchanged.
void checkManifestRoundTrip(const Manifest &m) {
  std::string text = writeManifest(m);
  Manifest back;
  std::string err = parseManifest(text, back);
  SSMC_FUZZ_CHECK(err.empty(), err + "\n" + text);
  SSMC_FUZZ_CHECK(sameManifest(m, back), text);
  (void)m.targetList();
  for (const Object &o : m.objects)
    SSMC_FUZZ_CHECK(m.findObject(o.target) == &o, o.target);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);

  Manifest manifest;
  if (parseManifest(bytes, manifest).empty())
    checkManifestRoundTrip(manifest);

  Manifest fromPackage;
  std::string payload;
  if (!deserialize(bytes, "fuzz.ssmpkg", fromPackage, payload).empty())
    return 0;
  SSMC_FUZZ_CHECK(payload.size() <= size, "payload larger than the file");
  checkManifestRoundTrip(fromPackage);
  std::vector<std::string> objects;
  for (const Object &o : fromPackage.objects) {
    SSMC_FUZZ_CHECK(o.offset <= payload.size() &&
                        o.size <= payload.size() - o.offset,
                    o.target);
    objects.push_back(objectBytes(payload, o));
    SSMC_FUZZ_CHECK(objects.back().size() == o.size, o.target);
    int major, minor;
    bool specific;
    if (o.target == cudaTarget)
      SSMC_FUZZ_CHECK(parseGpuArch(o.gpuArch, major, minor, specific),
                      o.gpuArch);
  }
  // Rebuilt from its parts (objects packed one after another), the package
  // reads back with the same objects.
  std::string rebuilt = serialize(fromPackage, objects);
  Manifest again;
  std::string againPayload;
  std::string err = deserialize(rebuilt, "rebuilt", again, againPayload);
  SSMC_FUZZ_CHECK(err.empty(), err);
  SSMC_FUZZ_CHECK(again.objects.size() == objects.size(), "object count");
  for (size_t i = 0; i < objects.size(); ++i)
    SSMC_FUZZ_CHECK(objectBytes(againPayload, again.objects[i]) == objects[i],
                    "object bytes");
  return 0;
}
