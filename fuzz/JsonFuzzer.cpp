//===- JsonFuzzer.cpp - fuzzes json::parse and json::write ----------------===//
//
// The input is a JSON document. Parsing must not crash or recurse without
// bound (nesting deeper than 256 levels is refused); a document that parses
// must hold no more values than its text has bytes, and must be a fixed
// point of write-then-parse in both the compact and the indented form.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/runtime/Json.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

using namespace ssmc;

namespace {

/// The nesting depth of `v` (a scalar is 0, [] is 1) and its value count.
void measure(const json::Value &v, unsigned level, unsigned &depth,
             size_t &count) {
  ++count;
  if (v.isArray() || v.isObject())
    depth = std::max(depth, level + 1);
  if (v.isArray())
    for (const json::Value &e : v.getArray())
      measure(e, level + 1, depth, count);
  if (v.isObject())
    for (const auto &member : v.getObject())
      measure(member.second, level + 1, depth, count);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  json::Value value;
  std::string err = json::parse(text, value);
  if (!err.empty()) {
    // "LINE:COL: message".
    SSMC_FUZZ_CHECK(err.find(": ") != std::string::npos, err);
    return 0;
  }
  unsigned depth = 0;
  size_t count = 0;
  measure(value, 0, depth, count);
  SSMC_FUZZ_CHECK(depth <= 256, "nesting " + std::to_string(depth));
  SSMC_FUZZ_CHECK(count <= size, "more values than bytes");

  for (unsigned indent : {0u, 2u}) {
    std::string once = json::write(value, indent);
    json::Value back;
    err = json::parse(once, back);
    SSMC_FUZZ_CHECK(err.empty(), err + "\n" + once);
    std::string twice = json::write(back, indent);
    SSMC_FUZZ_CHECK(once == twice, once + "\n" + twice);
  }
  return 0;
}
