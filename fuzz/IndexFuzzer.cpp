//===- IndexFuzzer.cpp - fuzzes WeightStore::open of a sharded checkpoint -===//
//
// The input is a model.safetensors.index.json, written into a directory
// that holds three small valid shards (FuzzCommon.h: "a" and "b" in shard 1,
// "c" in shard 2, "a" again in dup.safetensors). A hostile weight map must
// give an error (unknown shard, a name that leaves the directory, a tensor
// in two shards or in the wrong one), never a crash; a store that opens must
// hold exactly the tensors the map names.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/runtime/Json.h"

#include <cstddef>
#include <cstdint>

using namespace ssmc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = [] {
    std::string d = fuzz::scratchDirectory();
    fuzz::writeFixedShards(d);
    return d;
  }();
  static const std::string indexPath = dir + "/model.safetensors.index.json";
  fuzz::writeWholeFile(indexPath, data, size);
  std::string error;
  std::unique_ptr<model::WeightStore> store =
      model::WeightStore::open(dir, error);
  if (!store) {
    SSMC_FUZZ_CHECK(!error.empty(), "no store and no error");
    return 0;
  }
  // Opened: the index is a JSON object whose weight_map names exactly the
  // tensors of the store.
  json::Value index;
  std::string text(reinterpret_cast<const char *>(data), size);
  SSMC_FUZZ_CHECK(json::parse(text, index).empty(), "index is not JSON");
  const json::Value *map = index.find("weight_map");
  SSMC_FUZZ_CHECK(map && map->isObject(), "no weight_map");
  SSMC_FUZZ_CHECK(map->getObject().size() == store->tensors().size(),
                  "weight_map and store differ in size");
  for (const auto &[name, file] : map->getObject())
    SSMC_FUZZ_CHECK(store->find(name) && file.isString() &&
                        store->find(name)->file == dir + "/" + file.getString(),
                    name);
  fuzz::touchTensors(*store);
  return 0;
}
