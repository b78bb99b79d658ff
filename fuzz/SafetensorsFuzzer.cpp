//===- SafetensorsFuzzer.cpp - fuzzes WeightStore::openFile ---------------===//
//
// The input is a whole safetensors file: written to a scratch file, opened,
// and, when it opens, every tensor's bytes are read and the small ones
// widened to float. A malformed file must give an error message, never a
// crash, and a file that opens must keep every tensor inside its mapping.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include <cstddef>
#include <cstdint>

using namespace ssmc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path =
      fuzz::scratchDirectory() + "/model.safetensors";
  fuzz::writeWholeFile(path, data, size);
  std::string error;
  std::unique_ptr<model::WeightStore> store =
      model::WeightStore::openFile(path, error);
  if (!store) {
    SSMC_FUZZ_CHECK(!error.empty(), "no store and no error");
    return 0;
  }
  for (const auto &[name, t] : store->tensors())
    SSMC_FUZZ_CHECK(t.data != nullptr && t.offset >= 8 && t.offset <= size &&
                        t.bytes <= size - t.offset,
                    name);
  fuzz::touchTensors(*store);
  return 0;
}
