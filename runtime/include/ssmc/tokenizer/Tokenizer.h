//===- Tokenizer.h - the byte-level BPE of tokenizer.json ---*- C++ -*-===//
//
// The tokenizer of the released Mamba and Mamba-2 checkpoints (GPT-NeoX-20B's):
// a Hugging Face `tokenizers` tokenizer.json with a BPE model, the ByteLevel
// pre-tokenizer (GPT-2's split pattern and byte-to-unicode alphabet) and the
// ByteLevel decoder. Plain C++17, no MLIR, no LLVM, no ICU, no regex engine.
//
// What is read and what is left out:
//   - model: "type" "BPE" (or absent), "vocab", "merges" as "a b" strings or
//     ["a", "b"] pairs, "unk_token" (bytes with no symbol become it, or are
//     dropped when it is null), "ignore_merges"; "dropout" is ignored (it
//     only matters when training), a non-empty "continuing_subword_prefix"
//     or "end_of_word_suffix" is refused.
//   - added_tokens: matched in the input before pre-tokenization, leftmost
//     and longest first, special or not; "lstrip", "rstrip" and
//     "single_word" are ignored (all false in GPT-NeoX's), and so is
//     "normalized" (NFC leaves its added tokens' text unchanged).
//   - normalizer: null or "NFC". NFC is NOT applied: input is taken to be in
//     NFC already (true of almost all text; decomposed input tokenizes to
//     different, still lossless, ids).
//   - pre_tokenizer: "ByteLevel" (alone or in a "Sequence"; null or absent
//     means its defaults) with "add_prefix_space" and "use_regex"; \p{L} and
//     \p{N} are the Unicode 14 general categories, \s is White_Space. Invalid
//     UTF-8 input is accepted: each maximal invalid subpart counts as one
//     punctuation-class character and its bytes are encoded like any others.
//   - post_processor: ignored (the ByteLevel one only adjusts offsets).
//   - decoder: null or "ByteLevel". Decoding returns the raw bytes, so
//     decode(encode(s)) == s for every byte string s (when the vocabulary
//     holds all 256 byte symbols, as byte-level ones do); invalid UTF-8 (from
//     arbitrary id sequences, or a partial character at the end of a stream)
//     is left as it is: use toValidUtf8() for U+FFFD replacement.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_TOKENIZER_TOKENIZER_H
#define SSMC_TOKENIZER_TOKENIZER_H

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ssmc::tokenizer {

/// The code point GPT-2's byte-level alphabet gives byte \p byte: bytes
/// 33-126, 161-172 and 174-255 stand for themselves, the other 68 in order
/// for U+0100 onwards (so the space 0x20 is U+0120 'Ġ').
uint32_t byteToCodePoint(uint8_t byte);

/// \p bytes in the byte-level alphabet: each byte as the UTF-8 of its
/// code point.
std::string byteLevelEncode(const std::string &bytes);

/// The inverse of byteLevelEncode: false (and \p bytes unspecified) when
/// \p text is not valid UTF-8 or holds a character outside the alphabet.
bool byteLevelDecode(const std::string &text, std::string &bytes);

/// Splits \p text as GPT-2's pattern
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// does; the pieces concatenate back to \p text.
std::vector<std::string> preTokenize(const std::string &text);

/// \p bytes with each maximal invalid UTF-8 subpart replaced by U+FFFD.
std::string toValidUtf8(const std::string &bytes);

/// A loaded tokenizer.json; immutable, so safe to share between threads.
class Tokenizer {
public:
  /// Reads and parses the tokenizer.json at \p path. On failure returns null
  /// and sets \p error to one line naming the file and the problem.
  static std::unique_ptr<Tokenizer> load(const std::string &path,
                                         std::string &error);
  /// Parses \p jsonText; \p path only names the file in messages.
  static std::unique_ptr<Tokenizer> parse(const std::string &path,
                                          const std::string &jsonText,
                                          std::string &error);

  /// The ids of \p text (any bytes).
  std::vector<int64_t> encode(const std::string &text) const;
  /// The bytes of \p ids; ids that name no token are skipped, and so are
  /// special added tokens when \p skipSpecial.
  std::string decode(const std::vector<int64_t> &ids,
                     bool skipSpecial = false) const;

  /// One more than the largest id (vocabulary and added tokens).
  int64_t vocabSize() const { return static_cast<int64_t>(tokens.size()); }
  /// The id of \p token (an added token's content, or a vocabulary entry
  /// in the byte-level alphabet).
  std::optional<int64_t> tokenId(const std::string &token) const;
  /// The id of "<|endoftext|>", when present.
  std::optional<int64_t> eosId() const { return tokenId("<|endoftext|>"); }

private:
  Tokenizer() = default;

  /// One id's token.
  struct Token {
    std::string text;  ///< as written in the file
    std::string bytes; ///< what it decodes to
    bool present = false, added = false, special = false;
  };
  /// An added token, for matching in the input.
  struct Added {
    std::string content;
    int64_t id;
  };
  /// What merging a pair gives.
  struct Merge {
    int64_t rank;
    int64_t id;
  };

  std::string init(const std::string &path, const std::string &jsonText);
  void encodeSegment(const std::string &segment,
                     std::vector<int64_t> &out) const;
  void encodeWord(const std::string &word, std::vector<int64_t> &out) const;

  std::vector<Token> tokens; ///< by id
  std::unordered_map<std::string, int64_t> vocab;
  std::unordered_map<std::string, int64_t> addedIds;
  std::unordered_map<uint64_t, Merge> merges; ///< by (left id << 32 | right)
  std::array<int64_t, 256> byteIds{};         ///< -1 when absent
  /// Added tokens by first byte, longest first.
  std::array<std::vector<Added>, 256> addedByFirstByte;
  std::optional<int64_t> unkId;
  bool addPrefixSpace = false;
  bool useRegex = true;
  bool ignoreMerges = false;
};

/// Writes to \p path (through a temporary file and a rename) a small valid
/// tokenizer.json with exactly \p vocabSize ids 0..vocabSize-1:
/// "<|endoftext|>" (id 0), the 256 byte symbols (ids 1..256), and merges
/// from a tiny deterministic BPE training over a fixed English paragraph,
/// then filler merges. Needs 257 <= vocabSize <= 2^20. Returns "" or the
/// error.
std::string writeToyTokenizer(const std::string &path, int64_t vocabSize);

} // namespace ssmc::tokenizer

#endif // SSMC_TOKENIZER_TOKENIZER_H
