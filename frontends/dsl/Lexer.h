//===- Lexer.h - the tokens of the *.ssm language -------------------------===//
//
// The lexer turns a whole buffer into tokens up front (files are small), so
// that the parser may look past line ends. Newlines are tokens: the parser
// decides where they end a statement.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_LEXER_H
#define SSMC_FRONTENDS_DSL_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>
#include <vector>

namespace ssmc::dsl {

enum class TokenKind {
  Eof,
  Newline,
  Identifier,
  Number,
  /// A character the language does not use; Token::message says which.
  Error,
  // Statement keywords (reserved: they never name anything).
  KwRecurrence,
  KwDims,
  KwTime,
  KwInput,
  KwParam,
  KwState,
  KwLet,
  KwUpdate,
  KwOutput,
  // Punctuation and operators.
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
};

struct Token {
  TokenKind kind;
  /// The token's characters. For Newline and Eof: empty, placed just after
  /// the last token of their line (so that "expected ..." points there).
  llvm::StringRef text;
  /// For Error tokens: the diagnostic.
  std::string message;

  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  bool is(TokenKind k) const { return kind == k; }
  bool isKeyword() const {
    return kind >= TokenKind::KwRecurrence && kind <= TokenKind::KwOutput;
  }
};

/// Splits \p buffer into tokens, ending with one Eof token. Never fails:
/// characters outside the language become Error tokens.
std::vector<Token> lex(llvm::StringRef buffer);

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_LEXER_H
