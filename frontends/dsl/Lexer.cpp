//===- Lexer.cpp - the tokens of the *.ssm language -----------------------===//

#include "Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace ssmc::dsl;
using llvm::StringRef;

namespace {
bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

TokenKind keywordOrIdentifier(StringRef text) {
  return llvm::StringSwitch<TokenKind>(text)
      .Case("recurrence", TokenKind::KwRecurrence)
      .Case("dims", TokenKind::KwDims)
      .Case("time", TokenKind::KwTime)
      .Case("input", TokenKind::KwInput)
      .Case("param", TokenKind::KwParam)
      .Case("state", TokenKind::KwState)
      .Case("let", TokenKind::KwLet)
      .Case("update", TokenKind::KwUpdate)
      .Case("output", TokenKind::KwOutput)
      .Default(TokenKind::Identifier);
}

/// The message for an unexpected character starting at \p text, which
/// covers a whole UTF-8 sequence.
std::string unexpectedCharacter(StringRef text) {
  std::string message;
  llvm::raw_string_ostream os(message);
  unsigned char first = text.front();
  if (first >= 0x80 || llvm::isPrint(first))
    os << "unexpected character '" << text << "'";
  else
    os << "unexpected control character "
       << llvm::format_hex(first, /*Width=*/4, /*Upper=*/true);
  return message;
}
} // namespace

std::vector<Token> ssmc::dsl::lex(StringRef buffer) {
  std::vector<Token> tokens;
  const char *cur = buffer.begin();
  const char *end = buffer.end();
  // Where Newline and Eof tokens go: after the last token of the current
  // line, or at the line end when the line has none.
  const char *lineTokenEnd = nullptr;

  auto push = [&](TokenKind kind, const char *begin, const char *stop) {
    tokens.push_back({kind, StringRef(begin, stop - begin), {}});
    if (kind != TokenKind::Newline)
      lineTokenEnd = stop;
  };

  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++cur;
      continue;
    }
    if (c == '#') {
      while (cur != end && *cur != '\n')
        ++cur;
      continue;
    }
    if (c == '\n') {
      const char *at = lineTokenEnd ? lineTokenEnd : cur;
      push(TokenKind::Newline, at, at);
      lineTokenEnd = nullptr;
      ++cur;
      continue;
    }
    const char *begin = cur;
    if (isIdentStart(c)) {
      while (cur != end && isIdentChar(*cur))
        ++cur;
      StringRef text(begin, cur - begin);
      push(keywordOrIdentifier(text), begin, cur);
      continue;
    }
    if (llvm::isDigit(c) ||
        (c == '.' && cur + 1 != end && llvm::isDigit(cur[1]))) {
      while (cur != end && llvm::isDigit(*cur))
        ++cur;
      if (cur != end && *cur == '.') {
        ++cur;
        while (cur != end && llvm::isDigit(*cur))
          ++cur;
      }
      // An exponent only when digits follow: `2e` is the number 2 and the
      // name e, which the parser then rejects.
      if (cur != end && (*cur == 'e' || *cur == 'E')) {
        const char *digits = cur + 1;
        if (digits != end && (*digits == '+' || *digits == '-'))
          ++digits;
        if (digits != end && llvm::isDigit(*digits)) {
          cur = digits;
          while (cur != end && llvm::isDigit(*cur))
            ++cur;
        }
      }
      push(TokenKind::Number, begin, cur);
      continue;
    }
    TokenKind kind;
    switch (c) {
    case '(':
      kind = TokenKind::LParen;
      break;
    case ')':
      kind = TokenKind::RParen;
      break;
    case '[':
      kind = TokenKind::LBracket;
      break;
    case ']':
      kind = TokenKind::RBracket;
      break;
    case ',':
      kind = TokenKind::Comma;
      break;
    case ':':
      kind = TokenKind::Colon;
      break;
    case '=':
      kind = TokenKind::Equal;
      break;
    case '+':
      kind = TokenKind::Plus;
      break;
    case '-':
      kind = TokenKind::Minus;
      break;
    case '*':
      kind = TokenKind::Star;
      break;
    case '/':
      kind = TokenKind::Slash;
      break;
    default:
      kind = TokenKind::Error;
      break;
    }
    ++cur;
    if (kind != TokenKind::Error) {
      push(kind, begin, cur);
      continue;
    }
    // Take a whole UTF-8 sequence, so that the message shows the character.
    if (static_cast<unsigned char>(c) >= 0xC0)
      while (cur != end && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
        ++cur;
    push(TokenKind::Error, begin, cur);
    tokens.back().message = unexpectedCharacter(tokens.back().text);
  }
  const char *at = lineTokenEnd ? lineTokenEnd : end;
  tokens.push_back({TokenKind::Eof, StringRef(at, 0), {}});
  return tokens;
}
