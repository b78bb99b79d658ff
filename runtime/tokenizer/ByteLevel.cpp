//===- ByteLevel.cpp - GPT-2's byte-level alphabet and split pattern ------===//

#include "Unicode.h"
#include "ssmc/tokenizer/Tokenizer.h"

namespace ssmc::tokenizer {

using detail::CharClass;

uint32_t byteToCodePoint(uint8_t byte) {
  auto printable = [](unsigned b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  };
  if (printable(byte))
    return byte;
  // The unprintable bytes take U+0100, U+0101, ... in byte order.
  uint32_t before = 0;
  for (unsigned b = 0; b < byte; ++b)
    before += printable(b) ? 0 : 1;
  return 256 + before;
}

namespace {

/// The byte-level alphabet both ways, built once.
struct Alphabet {
  std::string utf8[256];
  /// Code point -> byte; the alphabet ends at U+0143.
  int16_t byteOf[0x144];

  Alphabet() {
    for (int16_t &b : byteOf)
      b = -1;
    for (unsigned b = 0; b < 256; ++b) {
      uint32_t cp = byteToCodePoint(static_cast<uint8_t>(b));
      detail::appendUtf8(utf8[b], cp);
      byteOf[cp] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet &alphabet() {
  static const Alphabet table;
  return table;
}

} // namespace

std::string byteLevelEncode(const std::string &bytes) {
  const Alphabet &table = alphabet();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    out += table.utf8[static_cast<uint8_t>(c)];
  return out;
}

bool byteLevelDecode(const std::string &text, std::string &bytes) {
  const Alphabet &table = alphabet();
  bytes.clear();
  for (size_t pos = 0; pos < text.size();) {
    detail::Utf8Unit unit = detail::decodeUtf8(text.data(), text.size(), pos);
    if (!unit.valid || unit.cp >= 0x144 || table.byteOf[unit.cp] < 0)
      return false;
    bytes += static_cast<char>(table.byteOf[unit.cp]);
    pos += unit.len;
  }
  return true;
}

std::string toValidUtf8(const std::string &bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    detail::Utf8Unit unit = detail::decodeUtf8(bytes.data(), bytes.size(), pos);
    if (unit.valid)
      out.append(bytes, pos, unit.len);
    else
      detail::appendUtf8(out, 0xFFFD);
    pos += unit.len;
  }
  return out;
}

void detail::splitPieces(const std::string &text,
                         std::vector<std::pair<size_t, size_t>> &pieces) {
  // Decode once: the pattern works on characters, and an invalid subpart
  // is one punctuation-class character.
  struct Char {
    uint32_t cp;
    CharClass cls;
    size_t offset;
  };
  std::vector<Char> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    Utf8Unit unit = decodeUtf8(text.data(), text.size(), pos);
    chars.push_back({unit.valid ? unit.cp : 0xFFFFFFFFu,
                     unit.valid ? classify(unit.cp) : CharClass::Other, pos});
    pos += unit.len;
  }
  size_t n = chars.size();
  auto cpAt = [&](size_t i) { return i < n ? chars[i].cp : 0; };
  auto emit = [&](size_t from, size_t to) {
    size_t end = to < n ? chars[to].offset : text.size();
    pieces.emplace_back(chars[from].offset, end - chars[from].offset);
  };

  size_t i = 0;
  while (i < n) {
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, whatever follows).
    if (chars[i].cp == '\'') {
      uint32_t c1 = cpAt(i + 1), c2 = cpAt(i + 2);
      size_t len = 0;
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
        len = 2;
      else if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') ||
               (c1 == 'l' && c2 == 'l'))
        len = 3;
      if (len) {
        emit(i, i + len);
        i += len;
        continue;
      }
    }
    // ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+': an ASCII space joins the run
    // of one class that follows it.
    size_t j = i;
    if (chars[i].cp == ' ' && i + 1 < n && chars[i + 1].cls != CharClass::Space)
      j = i + 1;
    if (chars[j].cls != CharClass::Space) {
      CharClass cls = chars[j].cls;
      size_t k = j + 1;
      while (k < n && chars[k].cls == cls)
        ++k;
      emit(i, k);
      i = k;
      continue;
    }
    // '\s+(?!\S)|\s+': a whitespace run up to the end of the text, else all
    // of it but its last character (which goes with what follows), else
    // the lone whitespace character.
    size_t k = i + 1;
    while (k < n && chars[k].cls == CharClass::Space)
      ++k;
    if (k < n && k - i >= 2)
      --k;
    emit(i, k);
    i = k;
  }
}

std::vector<std::string> preTokenize(const std::string &text) {
  std::vector<std::pair<size_t, size_t>> ranges;
  detail::splitPieces(text, ranges);
  std::vector<std::string> pieces;
  pieces.reserve(ranges.size());
  for (const auto &[offset, length] : ranges)
    pieces.push_back(text.substr(offset, length));
  return pieces;
}

} // namespace ssmc::tokenizer
