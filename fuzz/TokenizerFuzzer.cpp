//===- TokenizerFuzzer.cpp - fuzzes Tokenizer::parse, encode and decode ---===//
//
// The input is a tokenizer.json. When it parses, a few fixed strings and the
// input itself are encoded and decoded: every id must name a token of the
// vocabulary, and decoding any ids (valid, out of range, negative) must not
// crash. (Round trips are the job of EncodeFuzzer, over a known tokenizer:
// a hostile file may legally make decode(encode(s)) differ from s, e.g. by
// giving an added token the id of a vocabulary entry with other bytes.)
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "ssmc/tokenizer/Tokenizer.h"

#include <cstddef>
#include <cstdint>

using namespace ssmc;

namespace {

void exercise(const tokenizer::Tokenizer &tok, const std::string &text) {
  std::vector<int64_t> ids = tok.encode(text);
  for (int64_t id : ids)
    SSMC_FUZZ_CHECK(id >= 0 && id < tok.vocabSize(),
                    "id " + std::to_string(id) + " of vocabulary " +
                        std::to_string(tok.vocabSize()));
  (void)tok.decode(ids);
  (void)tok.decode(ids, /*skipSpecial=*/true);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  std::string error;
  std::unique_ptr<tokenizer::Tokenizer> tok =
      tokenizer::Tokenizer::parse("tokenizer.json", text, error);
  if (!tok) {
    SSMC_FUZZ_CHECK(!error.empty(), "no tokenizer and no error");
    return 0;
  }
  SSMC_FUZZ_CHECK(tok->vocabSize() >= 0, "vocabSize");
  static const char *const samples[] = {
      "",
      " ",
      "Hello, world! It's 2024 and we're   testing\n\n\ttabs.",
      "<|endoftext|>The end.<|endoftext|>",
      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 "
      "\xff\xfe\xc0\x80 \xed\xa0\x80",
      "'s 't 're 've 'm 'll 'd 'x",
  };
  for (const char *s : samples)
    exercise(*tok, s);
  exercise(*tok, text);
  // Ids outside the vocabulary are skipped, never read.
  (void)tok->decode(
      {-1, 0, 1, tok->vocabSize() - 1, tok->vocabSize(), INT64_MAX, INT64_MIN});
  (void)tok->eosId();
  return 0;
}
