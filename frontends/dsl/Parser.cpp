//===- Parser.cpp - statements of a *.ssm file, and the frontend's driver -===//
//
// A recursive-descent parser over the lexer's tokens. It reads one statement
// at a time and hands it to the checks (Sema); after a syntax error it skips
// to the next statement, so that one run reports every independent error.
//
//===----------------------------------------------------------------------===//

#include "ssmc/Frontends/DSL/Parser.h"

#include "Diagnostics.h"
#include "Lexer.h"
#include "Sema.h"
#include "Syntax.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <optional>

using namespace ssmc::dsl;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// The tallest expression tree the parser builds. The parser and the checks
/// recurse on it, four frames a level; 200 levels stay well inside an 8 MiB
/// stack even with a sanitizer's larger frames.
constexpr unsigned kMaxExprDepth = 200;

class StmtParser {
public:
  StmtParser(const std::vector<Token> &tokens, Diagnostics &diags)
      : tokens(tokens), diags(diags) {}

  /// Parses the next statement, or returns nothing at the end of the file.
  std::optional<syntax::Stmt> parseNext();

private:
  /// The current token. Inside ( ) or [ ] a line end continues the
  /// statement, unless the next line starts a statement (then the line end
  /// stays, and the missing ')' or ']' is reported there).
  const Token &cur() {
    if (nesting > 0) {
      size_t next = pos;
      while (tokens[next].is(TokenKind::Newline))
        ++next;
      if (next != pos && !startsStatement(tokens[next]))
        pos = next;
    }
    return tokens[pos];
  }
  void advance() {
    if (!cur().is(TokenKind::Eof))
      ++pos;
  }
  static bool startsStatement(const Token &tok) {
    return tok.isKeyword() || tok.is(TokenKind::Eof);
  }

  /// Reports \p message at the current token and returns false. A token the
  /// lexer rejected is reported with the lexer's message instead.
  bool fail(const Twine &message) {
    const Token &tok = cur();
    if (tok.is(TokenKind::Error)) {
      diags.error(tok.loc(), tok.message);
      ++pos;
    } else {
      diags.error(tok.loc(), message);
    }
    return false;
  }
  /// Consumes a token of \p kind, or reports \p message.
  bool expect(TokenKind kind, const Twine &message) {
    if (!cur().is(kind))
      return fail(message);
    advance();
    return true;
  }
  /// Consumes the line end (or sees the file end) that ends a statement, or
  /// reports \p message.
  bool expectEnd(const Twine &message) {
    if (cur().is(TokenKind::Eof))
      return true;
    return expect(TokenKind::Newline, message);
  }
  /// Skips the rest of a statement that failed, reporting the lexer's errors
  /// on the way.
  void recover();

  bool parseStatement(syntax::Stmt &stmt);
  bool parseName(syntax::Name &name, const Twine &what);
  bool parseDims(syntax::Stmt &stmt);
  bool parseType(syntax::Stmt &stmt);
  bool parseValue(syntax::Stmt &stmt, const Twine &message);

  std::unique_ptr<syntax::Expr> parseExpr();
  std::unique_ptr<syntax::Expr> parseTerm();
  std::unique_ptr<syntax::Expr> parseUnary();
  std::unique_ptr<syntax::Expr> parsePrimary();
  /// Opens a ( or [, or reports brackets nested too deeply (the parser
  /// recurses on them).
  bool open() {
    if (nesting >= kMaxExprDepth)
      return fail("expression nested too deeply (more than " +
                  Twine(kMaxExprDepth) + " levels)");
    advance();
    ++nesting;
    return true;
  }
  /// Builds a Neg or Binary node, or reports a tree too tall.
  std::unique_ptr<syntax::Expr>
  makeNode(syntax::ExprKind kind, const Token &opTok,
           std::vector<std::unique_ptr<syntax::Expr>> operands);

  const std::vector<Token> &tokens;
  Diagnostics &diags;
  size_t pos = 0;
  /// How many ( and [ are open in the current statement.
  unsigned nesting = 0;
};

} // namespace

std::optional<syntax::Stmt> StmtParser::parseNext() {
  nesting = 0;
  while (tokens[pos].is(TokenKind::Newline))
    ++pos;
  if (tokens[pos].is(TokenKind::Eof))
    return std::nullopt;
  syntax::Stmt stmt;
  stmt.valid = parseStatement(stmt);
  if (!stmt.valid)
    recover();
  return stmt;
}

void StmtParser::recover() {
  int depth = nesting;
  while (!tokens[pos].is(TokenKind::Eof)) {
    const Token &tok = tokens[pos++];
    switch (tok.kind) {
    case TokenKind::Newline: {
      size_t next = pos;
      while (tokens[next].is(TokenKind::Newline))
        ++next;
      if (depth <= 0 || startsStatement(tokens[next])) {
        nesting = 0;
        return;
      }
      break;
    }
    case TokenKind::LParen:
    case TokenKind::LBracket:
      ++depth;
      break;
    case TokenKind::RParen:
    case TokenKind::RBracket:
      --depth;
      break;
    case TokenKind::Error:
      diags.error(tok.loc(), tok.message);
      break;
    default:
      break;
    }
  }
  nesting = 0;
}

bool StmtParser::parseStatement(syntax::Stmt &stmt) {
  using syntax::StmtKind;
  const Token &keyword = cur();
  stmt.loc = keyword.loc();
  switch (keyword.kind) {
  case TokenKind::KwRecurrence:
    stmt.kind = StmtKind::Recurrence;
    advance();
    return parseName(stmt.name, "a name after 'recurrence'") &&
           expectEnd("expected the end of the line");
  case TokenKind::KwDims:
    stmt.kind = StmtKind::Dims;
    advance();
    return parseDims(stmt);
  case TokenKind::KwTime:
    stmt.kind = StmtKind::Time;
    advance();
    return parseName(stmt.name, "the time dimension after 'time'") &&
           expectEnd("expected the end of the line");
  case TokenKind::KwInput:
  case TokenKind::KwParam:
  case TokenKind::KwState:
  case TokenKind::KwOutput: {
    stmt.kind = keyword.is(TokenKind::KwInput)   ? StmtKind::Input
                : keyword.is(TokenKind::KwParam) ? StmtKind::Param
                : keyword.is(TokenKind::KwState) ? StmtKind::State
                                                 : StmtKind::Output;
    StringRef word = keyword.text;
    advance();
    if (!parseName(stmt.name, "a name after '" + word + "'") ||
        !parseType(stmt))
      return false;
    if (stmt.kind == StmtKind::Output)
      return parseValue(stmt, "expected '=' and the value of '" +
                                  stmt.name.text + "' after its type");
    return expectEnd("expected the end of the line");
  }
  case TokenKind::KwLet:
    stmt.kind = StmtKind::Let;
    advance();
    return parseName(stmt.name, "a name after 'let'") &&
           parseValue(stmt,
                      "expected '=' and the value of '" + stmt.name.text + "'");
  case TokenKind::KwUpdate:
    stmt.kind = StmtKind::Update;
    advance();
    return parseName(stmt.name, "the state's name after 'update'") &&
           parseValue(stmt, "expected '=' and the new value of '" +
                                stmt.name.text + "'");
  default:
    return fail("expected a statement (recurrence, dims, time, input, param, "
                "state, let, update or output)");
  }
}

bool StmtParser::parseName(syntax::Name &name, const Twine &what) {
  const Token &tok = cur();
  if (tok.isKeyword())
    return fail("expected " + what + " ('" + tok.text + "' is a keyword)");
  if (!tok.is(TokenKind::Identifier))
    return fail("expected " + what);
  name = {tok.text, tok.loc()};
  advance();
  return true;
}

bool StmtParser::parseDims(syntax::Stmt &stmt) {
  while (true) {
    syntax::DimEntry entry;
    if (!parseName(entry.name, "a dimension name"))
      return false;
    if (cur().is(TokenKind::Equal)) {
      advance();
      const Token &size = cur();
      if (!size.is(TokenKind::Number))
        return fail("expected the size of '" + entry.name.text + "' after '='");
      entry.size = syntax::Name{size.text, size.loc()};
      advance();
    }
    stmt.dims.push_back(entry);
    if (!cur().is(TokenKind::Comma))
      break;
    advance();
  }
  return expectEnd("expected ',' or the end of the line");
}

bool StmtParser::parseType(syntax::Stmt &stmt) {
  StringRef name = stmt.name.text;
  if (!expect(TokenKind::Colon, "expected ':' and the type of '" + name + "'"))
    return false;
  syntax::TensorType type;
  const Token &elem = cur();
  if (!elem.is(TokenKind::Identifier))
    return fail("expected the element type of '" + name +
                "' (f32, f16 or bf16)");
  std::optional<ElemType> elemType =
      llvm::StringSwitch<std::optional<ElemType>>(elem.text)
          .Case("f32", ElemType::F32)
          .Case("f16", ElemType::F16)
          .Case("bf16", ElemType::BF16)
          .Default(std::nullopt);
  if (!elemType)
    return fail("unknown element type '" + elem.text +
                "' (the types are f32, f16, bf16)");
  type.elemType = {elem.text, elem.loc()};
  type.type = *elemType;
  advance();
  if (!cur().is(TokenKind::LBracket))
    return fail("expected '[' and the dimensions of '" + name + "'");
  advance();
  ++nesting;
  while (true) {
    syntax::Name dim;
    if (!parseName(dim, "a dimension name"))
      return false;
    type.dims.push_back(dim);
    if (!cur().is(TokenKind::Comma))
      break;
    advance();
  }
  if (!expect(TokenKind::RBracket, "expected ']' after the dimensions"))
    return false;
  --nesting;
  stmt.type = std::move(type);
  return true;
}

bool StmtParser::parseValue(syntax::Stmt &stmt, const Twine &message) {
  if (!expect(TokenKind::Equal, message))
    return false;
  stmt.value = parseExpr();
  if (!stmt.value)
    return false;
  return expectEnd("expected an operator or the end of the line");
}

std::unique_ptr<syntax::Expr>
StmtParser::makeNode(syntax::ExprKind kind, const Token &opTok,
                     std::vector<std::unique_ptr<syntax::Expr>> operands) {
  auto node = std::make_unique<syntax::Expr>();
  node->kind = kind;
  node->name = {opTok.text, opTok.loc()};
  node->op = opTok.text.front();
  for (const auto &operand : operands)
    node->depth = std::max(node->depth, operand->depth + 1);
  node->operands = std::move(operands);
  if (node->depth > kMaxExprDepth) {
    diags.error(node->name.loc, "expression nested too deeply (more than " +
                                    Twine(kMaxExprDepth) + " levels)");
    return nullptr;
  }
  return node;
}

std::unique_ptr<syntax::Expr> StmtParser::parseExpr() {
  std::unique_ptr<syntax::Expr> lhs = parseTerm();
  while (lhs && (cur().is(TokenKind::Plus) || cur().is(TokenKind::Minus))) {
    const Token &opTok = cur();
    advance();
    std::unique_ptr<syntax::Expr> rhs = parseTerm();
    if (!rhs)
      return nullptr;
    std::vector<std::unique_ptr<syntax::Expr>> operands;
    operands.push_back(std::move(lhs));
    operands.push_back(std::move(rhs));
    lhs = makeNode(syntax::ExprKind::Binary, opTok, std::move(operands));
  }
  return lhs;
}

std::unique_ptr<syntax::Expr> StmtParser::parseTerm() {
  std::unique_ptr<syntax::Expr> lhs = parseUnary();
  while (lhs && (cur().is(TokenKind::Star) || cur().is(TokenKind::Slash))) {
    const Token &opTok = cur();
    advance();
    std::unique_ptr<syntax::Expr> rhs = parseUnary();
    if (!rhs)
      return nullptr;
    std::vector<std::unique_ptr<syntax::Expr>> operands;
    operands.push_back(std::move(lhs));
    operands.push_back(std::move(rhs));
    lhs = makeNode(syntax::ExprKind::Binary, opTok, std::move(operands));
  }
  return lhs;
}

std::unique_ptr<syntax::Expr> StmtParser::parseUnary() {
  if (!cur().is(TokenKind::Minus))
    return parsePrimary();
  // Iterate over a run of minus signs, so that the recursion stays shallow.
  std::vector<const Token *> minuses;
  while (cur().is(TokenKind::Minus)) {
    minuses.push_back(&cur());
    advance();
  }
  std::unique_ptr<syntax::Expr> operand = parsePrimary();
  for (auto it = minuses.rbegin(); operand && it != minuses.rend(); ++it) {
    std::vector<std::unique_ptr<syntax::Expr>> operands;
    operands.push_back(std::move(operand));
    operand = makeNode(syntax::ExprKind::Neg, **it, std::move(operands));
  }
  return operand;
}

std::unique_ptr<syntax::Expr> StmtParser::parsePrimary() {
  const Token &tok = cur();
  auto node = std::make_unique<syntax::Expr>();
  node->name = {tok.text, tok.loc()};
  switch (tok.kind) {
  case TokenKind::Number: {
    node->kind = syntax::ExprKind::Number;
    // The lexer only forms valid numbers; a value past the double range
    // parses as infinity.
    if (tok.text.getAsDouble(node->value) || std::isinf(node->value)) {
      fail("number '" + tok.text + "' is too large");
      return nullptr;
    }
    advance();
    return node;
  }
  case TokenKind::Identifier: {
    advance();
    if (!cur().is(TokenKind::LParen)) {
      node->kind = syntax::ExprKind::Name;
      return node;
    }
    node->kind = syntax::ExprKind::Call;
    if (!open())
      return nullptr;
    while (true) {
      std::unique_ptr<syntax::Expr> arg = parseExpr();
      if (!arg)
        return nullptr;
      node->depth = std::max(node->depth, arg->depth + 1);
      node->operands.push_back(std::move(arg));
      if (!cur().is(TokenKind::Comma))
        break;
      advance();
    }
    if (node->depth > kMaxExprDepth) {
      diags.error(node->name.loc, "expression nested too deeply (more than " +
                                      Twine(kMaxExprDepth) + " levels)");
      return nullptr;
    }
    if (!expect(TokenKind::RParen,
                "expected ')' after the arguments of '" + tok.text + "'"))
      return nullptr;
    --nesting;
    return node;
  }
  case TokenKind::LParen: {
    if (!open())
      return nullptr;
    std::unique_ptr<syntax::Expr> inner = parseExpr();
    if (!inner)
      return nullptr;
    if (!expect(TokenKind::RParen, "expected ')' to close the '(' at " +
                                       diags.position(tok.loc())))
      return nullptr;
    --nesting;
    return inner;
  }
  default:
    fail("expected an expression");
    return nullptr;
  }
}

std::unique_ptr<Recurrence>
ssmc::dsl::parseRecurrence(llvm::SourceMgr &sourceMgr, unsigned bufferId) {
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(bufferId);
  Diagnostics diags(sourceMgr, bufferId);
  std::vector<Token> tokens = lex(buffer->getBuffer());
  auto recurrence = std::make_unique<Recurrence>();
  recurrence->fileName = buffer->getBufferIdentifier().str();

  StmtParser parser(tokens, diags);
  Sema sema(diags, *recurrence);
  while (!diags.stopped()) {
    std::optional<syntax::Stmt> stmt = parser.parseNext();
    if (!stmt)
      break;
    sema.check(*stmt);
  }
  if (!diags.stopped())
    sema.finish(SMLoc::getFromPointer(buffer->getBufferStart()));
  if (diags.numErrors() != 0)
    return nullptr;
  return recurrence;
}

std::unique_ptr<Recurrence>
ssmc::dsl::parseRecurrenceFile(StringRef path, llvm::SourceMgr &sourceMgr,
                               std::string &ioError) {
  ioError.clear();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code error = buffer.getError()) {
    ioError = ("cannot open " + path + ": " + error.message()).str();
    return nullptr;
  }
  unsigned bufferId =
      sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseRecurrence(sourceMgr, bufferId);
}
