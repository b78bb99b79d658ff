// Tests of tokenizer.json loading, encoding, decoding and the toy tokenizer.

#include "ssmc/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace ssmc::tokenizer;

namespace {

using Ids = std::vector<int64_t>;

/// A handmade tokenizer: "hello" and " world" need merges in rank order
/// ("e l" would win over "l l" if ranks were ignored); "Ġ" is the space.
const char *handmade = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<|endoftext|>", "special": true},
    {"id": 18, "content": "<pad>", "special": true},
    {"id": 19, "content": "  ", "special": false}
  ],
  "normalizer": {"type": "NFC"},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
     "use_regex": true}]},
  "post_processor": {"type": "ByteLevel", "trim_offsets": false},
  "decoder": {"type": "ByteLevel"},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": null,
    "continuing_subword_prefix": null, "end_of_word_suffix": null,
    "fuse_unk": false,
    "vocab": {"<|endoftext|>": 0, "h": 1, "e": 2, "l": 3, "o": 4,
              "\u0120": 5, "w": 6, "r": 7, "d": 8, "ll": 9, "he": 10,
              "hell": 11, "hello": 12, "\u0120w": 13, "el": 14, "or": 15,
              "\u0120wor": 16, "ld": 17},
    "merges": ["l l", "h e", ["he", "ll"], "hell o", "\u0120 w", "e l",
               ["o", "r"], "\u0120w or", "l d"]
  }
})";

std::unique_ptr<Tokenizer> parseOrDie(const std::string &text) {
  std::string error;
  std::unique_ptr<Tokenizer> tokenizer =
      Tokenizer::parse("tok.json", text, error);
  EXPECT_TRUE(tokenizer) << error;
  EXPECT_EQ(error, "");
  return tokenizer;
}

/// The message parsing \p text gives (and that it fails).
std::string parseError(const std::string &text) {
  std::string error;
  EXPECT_FALSE(Tokenizer::parse("tok.json", text, error));
  return error;
}

/// A minimal tokenizer.json around \p model (and extra top-level members).
std::string withModel(const std::string &model, const std::string &extra = "") {
  return "{" + extra + "\"model\": " + model + "}";
}

std::string tempPath(const std::string &name) {
  const char *dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/ssmc-tok-" +
         std::to_string(getpid()) + "-" + name;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Strings that must survive encode then decode unchanged.
std::vector<std::string> roundTripSamples() {
  std::vector<std::string> samples = {
      "",
      "hello world",
      "Hello, World! It's 2024; we're at 3.14.",
      "  leading and trailing  ",
      "tabs\tand\nnewlines\r\n\n\n",
      "na\xC3\xAFve caf\xC3\xA9",
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",
      "emoji \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD and \xF0\x9F\x98\x80!",
      "invalid \xFF\xFE and truncated \xE2\x82",
      "surrogate \xED\xA0\x80 overlong \xC0\xAF",
      std::string("nul \0 inside", 12),
      "<|endoftext|>",
      "text<|endoftext|>more<|endoftext|><|endoftext|>",
      "<|endoftext", // not the whole special token
      "the state space model's selective scan",
  };
  std::string allBytes;
  for (unsigned b = 0; b < 256; ++b)
    allBytes += static_cast<char>(b);
  samples.push_back(allBytes);
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    size_t length = rng() % 64;
    for (size_t j = 0; j < length; ++j)
      s += static_cast<char>(rng() % 256);
    samples.push_back(s);
  }
  return samples;
}

} // namespace

TEST(TokenizerTest, MergesApplyInRankOrder) {
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("hello world"), (Ids{12, 16, 17}));
  // "h e" (rank 1) beats "e l" (rank 5): he|l, not h|el.
  EXPECT_EQ(tok->encode("hel"), (Ids{10, 3}));
  // Equal ranks: leftmost first.
  EXPECT_EQ(tok->encode("lll"), (Ids{9, 3}));
  EXPECT_EQ(tok->encode("world"), (Ids{6, 15, 17}));
  EXPECT_EQ(tok->encode(""), (Ids{}));
}

TEST(TokenizerTest, AddedTokensMatchInsideText) {
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("hello<|endoftext|>world"), (Ids{12, 0, 6, 15, 17}));
  EXPECT_EQ(tok->encode("<|endoftext|><pad>hello"), (Ids{0, 18, 12}));
  // A non-special added token (two spaces, as GPT-NeoX has) splits too.
  EXPECT_EQ(tok->encode("hello  world"), (Ids{12, 19, 6, 15, 17}));
  EXPECT_EQ(tok->encode("hello   world"), (Ids{12, 19, 16, 17}));
}

TEST(TokenizerTest, BytesWithoutSymbolAreDroppedWithoutUnk) {
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("hzel"), (Ids{10, 3}));
}

TEST(TokenizerTest, Decode) {
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->decode({12, 16, 17}), "hello world");
  EXPECT_EQ(tok->decode({12, 0, 16}), "hello<|endoftext|> wor");
  EXPECT_EQ(tok->decode({12, 0, 18, 16}, /*skipSpecial=*/true), "hello wor");
  EXPECT_EQ(tok->decode({12, 19, 17}, /*skipSpecial=*/true), "hello  ld");
  // Ids that name nothing are skipped.
  EXPECT_EQ(tok->decode({-1, 20, 1000, 12}), "hello");
}

TEST(TokenizerTest, Lookups) {
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocabSize(), 20);
  EXPECT_EQ(tok->tokenId("hello"), 12);
  EXPECT_EQ(tok->tokenId("\xC4\xA0wor"), 16);
  EXPECT_EQ(tok->tokenId("<pad>"), 18);
  EXPECT_EQ(tok->tokenId("zzz"), std::nullopt);
  EXPECT_EQ(tok->eosId(), 0);
}

TEST(TokenizerTest, AddPrefixSpace) {
  std::string text = handmade;
  text.replace(text.find("\"add_prefix_space\": false"), 25,
               "\"add_prefix_space\": true");
  auto tok = parseOrDie(text);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("hello"), (Ids{5, 12}));
  EXPECT_EQ(tok->encode(" world"), (Ids{16, 17}));
}

TEST(TokenizerTest, UnknownTokenAndIgnoreMerges) {
  const char *model = R"({"type": "BPE", "unk_token": "<unk>",
      "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5},
      "merges": ["a b"]})";
  auto tok = parseOrDie(withModel(model));
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("abc"), (Ids{4, 3}));
  EXPECT_EQ(tok->encode("abz"), (Ids{4, 0}));
  EXPECT_EQ(tok->eosId(), std::nullopt);
  std::string ignoring = model;
  ignoring.replace(ignoring.find("\"unk_token\""), 0,
                   "\"ignore_merges\": true, ");
  auto direct = parseOrDie(withModel(ignoring));
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->encode("abc"), (Ids{5}));
  EXPECT_EQ(direct->encode("abcab"), (Ids{4, 3, 4}));
}

TEST(TokenizerTest, HandmadeRoundTrips) {
  // Only bytes with symbols survive; words over h, e, l, o, w, r, d do.
  auto tok = parseOrDie(handmade);
  ASSERT_TRUE(tok);
  for (const char *s : {"hello world", "held  older", "<pad>lower<|endoftext|>",
                        " hello   world "})
    EXPECT_EQ(tok->decode(tok->encode(s)), s);
}

TEST(ToyTokenizerTest, LoadsAndRoundTrips) {
  std::string path = tempPath("toy512.json");
  ASSERT_EQ(writeToyTokenizer(path, 512), "");
  std::string error;
  std::unique_ptr<Tokenizer> tok = Tokenizer::load(path, error);
  ASSERT_TRUE(tok) << error;
  EXPECT_EQ(tok->vocabSize(), 512);
  EXPECT_EQ(tok->eosId(), 0);
  EXPECT_EQ(tok->tokenId(byteLevelEncode("A")), 'A' + 1);
  EXPECT_EQ(tok->encode("<|endoftext|>"), (Ids{0}));
  // Trained on a paragraph about state space models: its words compress.
  EXPECT_LT(tok->encode("the state space model").size(), 8u);
  for (const std::string &s : roundTripSamples()) {
    Ids ids = tok->encode(s);
    for (int64_t id : ids) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, 512);
    }
    EXPECT_EQ(tok->decode(ids), s);
  }
  EXPECT_EQ(tok->decode(tok->encode("x<|endoftext|>y"), true), "xy");
  std::remove(path.c_str());
}

TEST(ToyTokenizerTest, SizesAndDeterminism) {
  for (int64_t size : {257, 258, 300, 5000}) {
    std::string path = tempPath("toy" + std::to_string(size) + ".json");
    ASSERT_EQ(writeToyTokenizer(path, size), "");
    std::string first = readFile(path);
    ASSERT_EQ(writeToyTokenizer(path, size), "");
    EXPECT_EQ(readFile(path), first) << "size " << size;
    std::string error;
    std::unique_ptr<Tokenizer> tok = Tokenizer::parse(path, first, error);
    ASSERT_TRUE(tok) << error;
    EXPECT_EQ(tok->vocabSize(), size);
    std::string s = "Filler merges, 130 million parameters; it's quick!";
    EXPECT_EQ(tok->decode(tok->encode(s)), s);
    if (size == 257) {
      EXPECT_EQ(tok->encode("ab"), (Ids{'a' + 1, 'b' + 1}));
    }
    std::remove(path.c_str());
  }
}

TEST(ToyTokenizerTest, Errors) {
  EXPECT_EQ(writeToyTokenizer("t.json", 256),
            "t.json: toy tokenizer vocabSize must be in [257, 1048576], got "
            "256");
  std::string error = writeToyTokenizer("/nonexistent-dir/t.json", 300);
  EXPECT_EQ(error, "/nonexistent-dir/t.json.tmp: cannot create: No such file "
                   "or directory");
}

TEST(TokenizerErrorTest, FileAndJson) {
  std::string error;
  EXPECT_FALSE(Tokenizer::load("/nonexistent-dir/tokenizer.json", error));
  EXPECT_EQ(error, "/nonexistent-dir/tokenizer.json: cannot open: No such "
                   "file or directory");
  EXPECT_EQ(parseError("{\"model\": "),
            "tok.json:1:11: unexpected end of input, expected a value");
  EXPECT_EQ(parseError("[]"),
            "tok.json: expected a JSON object at the top level");
  EXPECT_EQ(parseError("{}"), "tok.json: missing \"model\"");
  EXPECT_EQ(parseError(withModel("3")), "tok.json: \"model\" is not an object");
}

TEST(TokenizerErrorTest, Model) {
  EXPECT_EQ(parseError(withModel(R"({"type": "WordPiece", "vocab": {}})")),
            "tok.json: model type \"WordPiece\" is not supported (expected "
            "\"BPE\")");
  EXPECT_EQ(parseError(withModel(R"({"type": "BPE"})")),
            "tok.json: missing \"model.vocab\"");
  EXPECT_EQ(parseError(withModel(R"({"vocab": []})")),
            "tok.json: \"model.vocab\" is not an object");
  EXPECT_EQ(parseError(withModel(
                R"({"vocab": {}, "continuing_subword_prefix": "##"})")),
            "tok.json: model.continuing_subword_prefix is not supported");
  EXPECT_EQ(
      parseError(withModel(R"({"vocab": {"a": 0}, "unk_token": "<unk>"})")),
      "tok.json: model.unk_token \"<unk>\" is not in the vocabulary");
}

TEST(TokenizerErrorTest, VocabIds) {
  EXPECT_EQ(parseError(withModel(R"({"vocab": {"a": 0, "b": 0}})")),
            "tok.json: model.vocab[\"b\"]: duplicate id 0 (also \"a\")");
  EXPECT_EQ(parseError(withModel(R"({"vocab": {"a": 0, "b": 7}})")),
            "tok.json: model.vocab[\"b\"]: id 7 out of range [0, 2)");
  EXPECT_EQ(parseError(withModel(R"({"vocab": {"a": -1}})")),
            "tok.json: model.vocab[\"a\"]: id -1 out of range [0, 1)");
  EXPECT_EQ(parseError(withModel(R"({"vocab": {"a": 0.5}})")),
            "tok.json: model.vocab[\"a\"] is not an integer");
}

TEST(TokenizerErrorTest, Merges) {
  EXPECT_EQ(parseError(
                withModel(R"({"vocab": {"a": 0, "b": 1}, "merges": ["a x"]})")),
            "tok.json: model.merges[0] \"a x\": unknown token \"x\"");
  EXPECT_EQ(parseError(withModel(
                R"({"vocab": {"a": 0, "b": 1}, "merges": [["q", "b"]]})")),
            "tok.json: model.merges[0] \"q b\": unknown token \"q\"");
  EXPECT_EQ(parseError(
                withModel(R"({"vocab": {"a": 0, "b": 1}, "merges": ["a b"]})")),
            "tok.json: model.merges[0] \"a b\": merged token \"ab\" is not "
            "in the vocabulary");
  EXPECT_EQ(
      parseError(withModel(
          R"({"vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "ab"]})")),
      "tok.json: model.merges[1]: expected \"A B\" or [\"A\", \"B\"]");
  EXPECT_EQ(parseError(withModel(R"({"vocab": {"a": 0}, "merges": {}})")),
            "tok.json: \"model.merges\" is not an array");
}

TEST(TokenizerErrorTest, AddedTokens) {
  const std::string model = R"({"vocab": {"a": 0, "b": 1}})";
  EXPECT_EQ(parseError(withModel(model, R"("added_tokens": {}, )")),
            "tok.json: \"added_tokens\" is not an array");
  EXPECT_EQ(parseError(withModel(
                model, R"("added_tokens": [{"id": 1, "content": "<s>"}], )")),
            "tok.json: added_tokens[0]: duplicate id 1 (also \"b\")");
  EXPECT_EQ(parseError(withModel(
                model, R"("added_tokens": [{"id": 5, "content": "<s>"}], )")),
            "tok.json: added_tokens[0].id: id 5 out of range [0, 3)");
  EXPECT_EQ(parseError(withModel(model, R"("added_tokens": [{"id": 2}], )")),
            "tok.json: added_tokens[0]: missing \"content\" string");
  EXPECT_EQ(
      parseError(withModel(model, R"("added_tokens": [{"content": "x"}], )")),
      "tok.json: added_tokens[0]: missing \"id\"");
}

TEST(TokenizerErrorTest, Components) {
  const std::string model = R"({"vocab": {"a": 0}})";
  EXPECT_EQ(
      parseError(
          withModel(model, R"("pre_tokenizer": {"type": "Metaspace"}, )")),
      "tok.json: pre_tokenizer type \"Metaspace\" is not supported (expected "
      "\"ByteLevel\")");
  EXPECT_EQ(
      parseError(withModel(model, R"("normalizer": {"type": "Lowercase"}, )")),
      "tok.json: normalizer type \"Lowercase\" is not supported (expected "
      "null or \"NFC\")");
  EXPECT_EQ(
      parseError(withModel(model, R"("decoder": {"type": "WordPiece"}, )")),
      "tok.json: decoder type \"WordPiece\" is not supported (expected "
      "\"ByteLevel\")");
}

TEST(TokenizerErrorTest, MangledFilesNeverCrash) {
  std::string path = tempPath("toy-mangle.json");
  ASSERT_EQ(writeToyTokenizer(path, 300), "");
  std::string good = readFile(path);
  std::remove(path.c_str());
  std::mt19937 rng(3);
  int accepted = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string text = good;
    if (trial % 3 == 0) {
      text.resize(rng() % text.size());
    } else {
      for (int flips = 1 + rng() % 4; flips > 0; --flips)
        text[rng() % text.size()] = static_cast<char>(rng() % 256);
    }
    std::string error;
    std::unique_ptr<Tokenizer> tok = Tokenizer::parse("m.json", text, error);
    if (tok) {
      ++accepted;
      EXPECT_EQ(error, "");
      Ids ids = tok->encode("mangled text, 123 \xFF!");
      (void)tok->decode(ids);
    } else {
      EXPECT_EQ(error.rfind("m.json:", 0), 0u) << error;
      EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
  }
  // Flips inside token strings can leave a valid file.
  EXPECT_GE(accepted, 0);
}
