//===- Unicode.h - UTF-8 and the GPT-2 split's character classes -*- C++
//-*-===//
//
// Private to the tokenizer: a strict UTF-8 decoder that also walks invalid
// input (one unit per maximal invalid subpart, as Unicode recommends and as
// Rust's from_utf8_lossy does), and the three classes the split pattern
// names: \p{L}, \p{N} and \s (White_Space).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_TOKENIZER_UNICODE_H
#define SSMC_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ssmc::tokenizer::detail {

/// What the split pattern sees in one character.
enum class CharClass { Letter, Number, Space, Other };

/// The class of code point \p cp: general category L* or N*, White_Space,
/// or anything else (punctuation, symbols, marks, controls, unassigned).
CharClass classify(uint32_t cp);

/// One character of a UTF-8 string, or one maximal invalid subpart.
struct Utf8Unit {
  uint32_t cp = 0;  ///< the code point; 0xFFFD when invalid
  uint32_t len = 0; ///< bytes consumed, >= 1 unless at the end
  bool valid = false;
};

/// Decodes the unit starting at \p pos of \p data (of \p size bytes);
/// pos < size. Overlong forms, surrogates and code points above U+10FFFF
/// are invalid.
Utf8Unit decodeUtf8(const char *data, size_t size, size_t pos);

/// The pieces GPT-2's split pattern cuts \p text into, as (offset, length)
/// byte ranges that tile \p text; appended to \p pieces.
void splitPieces(const std::string &text,
                 std::vector<std::pair<size_t, size_t>> &pieces);

/// Appends the UTF-8 encoding of \p cp (a scalar value) to \p out.
void appendUtf8(std::string &out, uint32_t cp);

} // namespace ssmc::tokenizer::detail

#endif // SSMC_TOKENIZER_UNICODE_H
