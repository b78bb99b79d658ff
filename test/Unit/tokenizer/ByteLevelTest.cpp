// Tests of GPT-2's byte-level alphabet, its split pattern and UTF-8 repair.

#include "ssmc/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

using namespace ssmc::tokenizer;

namespace {

using Pieces = std::vector<std::string>;

std::string join(const Pieces &pieces) {
  std::string out;
  for (const std::string &piece : pieces)
    out += piece;
  return out;
}

} // namespace

TEST(ByteLevelTest, AlphabetKnownCodePoints) {
  EXPECT_EQ(byteToCodePoint('A'), 0x41u);
  EXPECT_EQ(byteToCodePoint('!'), 0x21u);
  EXPECT_EQ(byteToCodePoint('~'), 0x7Eu);
  EXPECT_EQ(byteToCodePoint(0xA1), 0xA1u);
  EXPECT_EQ(byteToCodePoint(0xAC), 0xACu);
  EXPECT_EQ(byteToCodePoint(0xAE), 0xAEu);
  EXPECT_EQ(byteToCodePoint(0xFF), 0xFFu);
  EXPECT_EQ(byteToCodePoint(0x00), 0x100u);
  EXPECT_EQ(byteToCodePoint(' '), 0x120u);  // 'Ġ'
  EXPECT_EQ(byteToCodePoint('\n'), 0x10Au); // 'Ċ'
  EXPECT_EQ(byteToCodePoint(0x7F), 0x121u);
  EXPECT_EQ(byteToCodePoint(0xA0), 0x142u);
  EXPECT_EQ(byteToCodePoint(0xAD), 0x143u);
  EXPECT_EQ(byteLevelEncode(" hello\n"), "\xC4\xA0hello\xC4\x8A");
}

TEST(ByteLevelTest, AlphabetRoundTripsAllBytes) {
  std::set<uint32_t> seen;
  std::string all;
  for (unsigned b = 0; b < 256; ++b) {
    uint32_t cp = byteToCodePoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << "byte " << b;
    EXPECT_LE(cp, 0x143u);
    all += static_cast<char>(b);
    std::string one(1, static_cast<char>(b)), back;
    ASSERT_TRUE(byteLevelDecode(byteLevelEncode(one), back)) << "byte " << b;
    EXPECT_EQ(back, one);
  }
  std::string back;
  ASSERT_TRUE(byteLevelDecode(byteLevelEncode(all), back));
  EXPECT_EQ(back, all);
}

TEST(ByteLevelTest, DecodeRejectsCharactersOutsideTheAlphabet) {
  std::string bytes;
  EXPECT_FALSE(byteLevelDecode("a b", bytes)); // U+0020 is not an image
  EXPECT_FALSE(byteLevelDecode("\xE2\x82\xAC", bytes)); // U+20AC
  EXPECT_FALSE(byteLevelDecode("\xC5\x84", bytes));     // U+0144
  EXPECT_FALSE(byteLevelDecode("\xFF", bytes));         // invalid UTF-8
  EXPECT_TRUE(byteLevelDecode("", bytes));
  EXPECT_EQ(bytes, "");
}

TEST(PreTokenizeTest, WordsAndSpaces) {
  EXPECT_EQ(preTokenize("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(preTokenize("Hello, world!"),
            (Pieces{"Hello", ",", " world", "!"}));
  EXPECT_EQ(preTokenize("  spaces  "), (Pieces{" ", " spaces", "  "}));
  EXPECT_EQ(preTokenize("a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(preTokenize(" "), (Pieces{" "}));
  EXPECT_EQ(preTokenize(""), (Pieces{}));
}

TEST(PreTokenizeTest, Contractions) {
  EXPECT_EQ(preTokenize("I'm here"), (Pieces{"I", "'m", " here"}));
  EXPECT_EQ(preTokenize("don't we'll they're I've he'd it's"),
            (Pieces{"don", "'t", " we", "'ll", " they", "'re", " I", "'ve",
                    " he", "'d", " it", "'s"}));
  // Case-sensitive, as in GPT-2.
  EXPECT_EQ(preTokenize("I'LL"), (Pieces{"I", "'", "LL"}));
  EXPECT_EQ(preTokenize(" 's"), (Pieces{" '", "s"}));
  EXPECT_EQ(preTokenize("'sa"), (Pieces{"'s", "a"}));
}

TEST(PreTokenizeTest, NumbersAndPunctuation) {
  EXPECT_EQ(preTokenize("x=1+2"), (Pieces{"x", "=", "1", "+", "2"}));
  EXPECT_EQ(preTokenize("abc123def"), (Pieces{"abc", "123", "def"}));
  EXPECT_EQ(preTokenize("in 2024, 3.14"),
            (Pieces{"in", " 2024", ",", " 3", ".", "14"}));
  EXPECT_EQ(preTokenize("a -> b"), (Pieces{"a", " ->", " b"}));
  EXPECT_EQ(preTokenize("x\xC2\xB2"), (Pieces{"x", "\xC2\xB2"})); // x² (No)
  // Arabic-Indic digits are \p{N}.
  EXPECT_EQ(preTokenize("ab\xD9\xA3\xD9\xA4"),
            (Pieces{"ab", "\xD9\xA3\xD9\xA4"}));
}

TEST(PreTokenizeTest, TabsAndNewlines) {
  EXPECT_EQ(preTokenize("a\tb\nc"), (Pieces{"a", "\t", "b", "\n", "c"}));
  EXPECT_EQ(preTokenize("a \n\nb"), (Pieces{"a", " \n", "\n", "b"}));
  EXPECT_EQ(preTokenize("end.\n\n"), (Pieces{"end", ".", "\n\n"}));
  EXPECT_EQ(preTokenize("a\t b"), (Pieces{"a", "\t", " b"}));
  EXPECT_EQ(preTokenize("a \tb"), (Pieces{"a", " ", "\t", "b"}));
}

TEST(PreTokenizeTest, NonAscii) {
  EXPECT_EQ(preTokenize("na\xC3\xAFve caf\xC3\xA9"), // naïve café
            (Pieces{"na\xC3\xAFve", " caf\xC3\xA9"}));
  // 你好，世界: the fullwidth comma is punctuation.
  EXPECT_EQ(preTokenize("\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96"
                        "\xE7\x95\x8C"),
            (Pieces{"\xE4\xBD\xA0\xE5\xA5\xBD", "\xEF\xBC\x8C",
                    "\xE4\xB8\x96\xE7\x95\x8C"}));
  // Кириллица и ελληνικά.
  EXPECT_EQ(preTokenize("\xD0\x9C\xD0\xB8\xD1\x80 \xCE\xBA\xCF\x8C\xCF\x83"
                        "\xCE\xBC\xCE\xBF\xCF\x82"),
            (Pieces{"\xD0\x9C\xD0\xB8\xD1\x80",
                    " \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82"}));
  // A combining accent (Mn) is not a letter.
  EXPECT_EQ(preTokenize("e\xCC\x81"), (Pieces{"e", "\xCC\x81"}));
  // An emoji is a symbol: it joins the space before it.
  EXPECT_EQ(preTokenize("hi \xF0\x9F\x91\x8B there"),
            (Pieces{"hi", " \xF0\x9F\x91\x8B", " there"}));
  // No-break and ideographic spaces are whitespace, but only U+0020 joins
  // the next word.
  EXPECT_EQ(preTokenize("x\xC2\xA0y"), (Pieces{"x", "\xC2\xA0", "y"}));
  EXPECT_EQ(preTokenize("x\xE3\x80\x80y"), (Pieces{"x", "\xE3\x80\x80", "y"}));
}

TEST(PreTokenizeTest, InvalidUtf8IsPunctuation) {
  EXPECT_EQ(preTokenize("ab\xFF\xFExy"), (Pieces{"ab", "\xFF\xFE", "xy"}));
  EXPECT_EQ(preTokenize("x \xE2\x82"), (Pieces{"x", " \xE2\x82"}));
  EXPECT_EQ(preTokenize("\xC0\x80!"), (Pieces{"\xC0\x80!"}));
}

TEST(PreTokenizeTest, PiecesTileRandomBytes) {
  std::mt19937 rng(7);
  const std::string alphabet = " \t\n'a1.\xC3\xA9\xE4\xBD\xA0\xF0\x9F\x98\x80"
                               "\x80\xFF";
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s;
    size_t length = rng() % 40;
    for (size_t i = 0; i < length; ++i)
      s += trial % 2 ? static_cast<char>(rng() % 256)
                     : alphabet[rng() % alphabet.size()];
    Pieces pieces = preTokenize(s);
    EXPECT_EQ(join(pieces), s);
    for (const std::string &piece : pieces)
      EXPECT_FALSE(piece.empty());
  }
}

TEST(Utf8Test, ToValidUtf8ReplacesMaximalSubparts) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(toValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(toValidUtf8("a\xFFz"), "a" + fffd + "z");
  EXPECT_EQ(toValidUtf8("\xE2\x82"), fffd);                   // truncated
  EXPECT_EQ(toValidUtf8("\xF0\x9F\x98"), fffd);               // truncated
  EXPECT_EQ(toValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd); // surrogate
  EXPECT_EQ(toValidUtf8("\xC0\xAF"), fffd + fffd);            // overlong
  EXPECT_EQ(toValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);
}
