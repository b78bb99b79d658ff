//===- EncodeFuzzer.cpp - fuzzes encoding arbitrary bytes -----------------===//
//
// The input is text (any bytes), encoded with a fixed tokenizer: the toy
// tokenizer of 1000 ids (writeToyTokenizer) with three more added tokens.
// Checks what Tokenizer.h promises for a byte-level vocabulary:
// decode(encode(s)) == s, the pre-tokenizer's pieces concatenate to s, and
// toValidUtf8 leaves valid text alone and makes anything valid.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/runtime/Json.h"
#include "ssmc/tokenizer/Tokenizer.h"

#include <cstddef>
#include <cstdint>

using namespace ssmc;
using tokenizer::Tokenizer;

namespace {

const Tokenizer &toyTokenizer() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    std::string path = fuzz::scratchDirectory() + "/tokenizer.json";
    std::string err = tokenizer::writeToyTokenizer(path, 1000);
    SSMC_FUZZ_CHECK(err.empty(), err);
    std::string text;
    std::FILE *file = std::fopen(path.c_str(), "rb");
    SSMC_FUZZ_CHECK(file, path);
    char buffer[4096];
    for (size_t got; (got = std::fread(buffer, 1, sizeof(buffer), file)) > 0;)
      text.append(buffer, got);
    std::fclose(file);
    // Added tokens that overlap each other and ordinary text.
    json::Value root;
    SSMC_FUZZ_CHECK(json::parse(text, root).empty(), "toy tokenizer JSON");
    json::Value added = *root.find("added_tokens");
    int64_t id = 1000;
    for (const char *content : {"<|pad|>", "<|pad|><|pad|>", "  "}) {
      json::Value token = json::Value::object();
      token.set("id", id);
      token.set("content", content);
      token.set("special", id % 2 == 0);
      added.push(std::move(token));
      ++id;
    }
    root.set("added_tokens", std::move(added));
    std::unique_ptr<Tokenizer> parsed =
        Tokenizer::parse(path, json::write(root), err);
    SSMC_FUZZ_CHECK(parsed, err);
    return parsed;
  }();
  return *tok;
}

bool isValidUtf8(const std::string &s) {
  return tokenizer::toValidUtf8(s) == s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Tokenizer &tok = toyTokenizer();
  std::string text(reinterpret_cast<const char *>(data), size);

  std::vector<int64_t> ids = tok.encode(text);
  for (int64_t id : ids)
    SSMC_FUZZ_CHECK(id >= 0 && id < tok.vocabSize(), std::to_string(id));
  SSMC_FUZZ_CHECK(tok.decode(ids) == text, "decode(encode(s)) != s");

  std::string joined;
  for (const std::string &piece : tokenizer::preTokenize(text)) {
    SSMC_FUZZ_CHECK(!piece.empty(), "empty piece");
    joined += piece;
  }
  SSMC_FUZZ_CHECK(joined == text, "pieces do not tile the text");

  std::string valid = tokenizer::toValidUtf8(text);
  SSMC_FUZZ_CHECK(isValidUtf8(valid), "toValidUtf8 is not idempotent");
  std::string decoded;
  if (tokenizer::byteLevelDecode(tokenizer::byteLevelEncode(text), decoded))
    SSMC_FUZZ_CHECK(decoded == text, "byte-level round trip");
  else
    SSMC_FUZZ_CHECK(false, "byteLevelEncode gave undecodable text");
  return 0;
}
