//===- Unicode.cpp - UTF-8 and the character classes of the GPT-2 split ---===//

#include "Unicode.h"

#include <algorithm>

namespace ssmc::tokenizer::detail {

namespace {

struct CodePointRange {
  uint32_t first, last;
};

#include "UnicodeTables.inc"

template <size_t N>
bool inRanges(const CodePointRange (&ranges)[N], uint32_t cp) {
  const CodePointRange *it = std::upper_bound(
      ranges, ranges + N, cp,
      [](uint32_t c, const CodePointRange &r) { return c < r.first; });
  return it != ranges && cp <= (it - 1)->last;
}

/// Unicode's White_Space property (what \s matches in the Unicode-aware
/// regex engines the reference tokenizers use).
bool isWhiteSpace(uint32_t cp) {
  if (cp <= 0x20)
    return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  switch (cp) {
  case 0x85:
  case 0xA0:
  case 0x1680:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x3000:
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200A;
  }
}

} // namespace

CharClass classify(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
      return CharClass::Letter;
    if (cp >= '0' && cp <= '9')
      return CharClass::Number;
    return isWhiteSpace(cp) ? CharClass::Space : CharClass::Other;
  }
  if (isWhiteSpace(cp))
    return CharClass::Space;
  if (inRanges(letterRanges, cp))
    return CharClass::Letter;
  if (inRanges(numberRanges, cp))
    return CharClass::Number;
  return CharClass::Other;
}

Utf8Unit decodeUtf8(const char *data, size_t size, size_t pos) {
  auto byteAt = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
  Utf8Unit unit;
  unit.cp = 0xFFFD;
  unit.len = 1;
  uint8_t lead = byteAt(pos);
  if (lead < 0x80) {
    unit.cp = lead;
    unit.valid = true;
    return unit;
  }
  // The length, the initial bits, and the range of the second byte (which
  // rules out overlong forms, surrogates and values above U+10FFFF).
  uint32_t need, cp;
  uint8_t lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    cp = lead & 0x0F;
    if (lead == 0xE0)
      lo = 0xA0;
    else if (lead == 0xED)
      hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    cp = lead & 0x07;
    if (lead == 0xF0)
      lo = 0x90;
    else if (lead == 0xF4)
      hi = 0x8F;
  } else {
    return unit;
  }
  for (uint32_t i = 1; i <= need; ++i) {
    if (pos + i >= size)
      return unit;
    uint8_t b = byteAt(pos + i);
    if (b < lo || b > hi)
      return unit;
    cp = (cp << 6) | (b & 0x3F);
    unit.len = i + 1;
    lo = 0x80;
    hi = 0xBF;
  }
  unit.cp = cp;
  unit.valid = true;
  return unit;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

} // namespace ssmc::tokenizer::detail
