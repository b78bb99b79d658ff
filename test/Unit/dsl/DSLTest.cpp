//===- DSLTest.cpp - the *.ssm parser and checks --------------------------===//
//
// The example variants parse, expressions get the dimensions docs/dsl.md
// gives them, the AST dump is stable, and every diagnostic comes with its
// exact text, line and column.
//
//===----------------------------------------------------------------------===//

#include "ssmc/Frontends/DSL/Parser.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

using namespace ssmc::dsl;
using llvm::StringRef;

namespace {

/// One printed diagnostic: its place (line and column from 1) and text.
struct Diag {
  unsigned line;
  unsigned column;
  std::string message;
  bool isError = true;

  bool operator==(const Diag &other) const {
    return line == other.line && column == other.column &&
           message == other.message && isError == other.isError;
  }
};

[[maybe_unused]] std::ostream &operator<<(std::ostream &os, const Diag &diag) {
  return os << diag.line << ":" << diag.column << ": "
            << (diag.isError ? "error: " : "note: ") << diag.message;
}

/// What parsing a source gave: the recurrence (null on errors) and every
/// diagnostic. The SourceMgr owns the buffer the AST's locations point in.
struct Parsed {
  std::unique_ptr<llvm::SourceMgr> sourceMgr;
  std::unique_ptr<Recurrence> rec;
  std::vector<Diag> diags;
};

Parsed parse(StringRef text) {
  Parsed result;
  result.sourceMgr = std::make_unique<llvm::SourceMgr>();
  result.sourceMgr->setDiagHandler(
      [](const llvm::SMDiagnostic &diag, void *context) {
        static_cast<std::vector<Diag> *>(context)->push_back(
            {static_cast<unsigned>(diag.getLineNo()),
             static_cast<unsigned>(diag.getColumnNo() + 1),
             diag.getMessage().str(),
             diag.getKind() == llvm::SourceMgr::DK_Error});
      },
      &result.diags);
  unsigned id = result.sourceMgr->AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "test.ssm"), llvm::SMLoc());
  result.rec = parseRecurrence(*result.sourceMgr, id);
  return result;
}

/// A valid recurrence that the error tests edit line by line.
const std::vector<std::string> kBase = {
    /*1*/ "recurrence r",
    /*2*/ "dims b, t, k = 4, v = 4",
    /*3*/ "time t",
    /*4*/ "input x: f32[b, t, k]",
    /*5*/ "input y: bf16[b, t, v]",
    /*6*/ "param w: f32[k]",
    /*7*/ "state S: f32[b, k, v]",
    /*8*/ "let g = exp(x)",
    /*9*/ "update S = w * S + g * y",
    /*10*/ "output o: f32[b, t, v] = sum(k, x * S)",
};

/// kBase with some of its lines (numbered from 1) replaced; a replacement
/// may hold several lines.
std::string edit(std::initializer_list<std::pair<unsigned, StringRef>> edits) {
  std::vector<std::string> lines = kBase;
  for (auto [line, text] : edits)
    lines[line - 1] = text.str();
  return llvm::join(lines, "\n") + "\n";
}

std::string edit(unsigned line, StringRef text) { return edit({{line, text}}); }

/// Expects that \p text fails with exactly the errors \p expected.
void expectErrors(StringRef text, std::vector<Diag> expected) {
  SCOPED_TRACE(text.str());
  Parsed parsed = parse(text);
  EXPECT_EQ(parsed.rec, nullptr);
  EXPECT_EQ(parsed.diags, expected);
}

void expectError(StringRef text, unsigned line, unsigned column,
                 StringRef message) {
  expectErrors(text, {{line, column, message.str()}});
}

/// Parses \p text, which must be valid.
std::unique_ptr<Recurrence> parseValid(StringRef text) {
  Parsed parsed = parse(text);
  EXPECT_TRUE(parsed.diags.empty())
      << text.str() << "\n first: " << parsed.diags.front();
  return std::move(parsed.rec);
}

/// The set of the named dimensions of \p rec.
DimSet dimsNamed(const Recurrence &rec,
                 std::initializer_list<StringRef> names) {
  DimSet set = 0;
  for (StringRef name : names) {
    auto it = llvm::find_if(rec.dims,
                            [&](const Dim &dim) { return dim.name == name; });
    EXPECT_NE(it, rec.dims.end()) << name.str();
    set |= DimSet(1) << (it - rec.dims.begin());
  }
  return set;
}

std::string printed(const Recurrence &rec) {
  std::string text;
  llvm::raw_string_ostream os(text);
  rec.print(os);
  return text;
}

//===----------------------------------------------------------------------===//
// The examples
//===----------------------------------------------------------------------===//

std::string variantPath(StringRef name) {
  return (SSMC_VARIANTS_DIR "/" + name + ".ssm").str();
}

TEST(DSLExamples, EveryVariantParses) {
  for (StringRef name : {"deltanet", "gla", "hgrn", "hgrn2", "mamba1", "mamba2",
                         "retnet", "rotary", "simple_gla"}) {
    SCOPED_TRACE(name.str());
    llvm::SourceMgr sourceMgr;
    std::vector<std::string> messages;
    sourceMgr.setDiagHandler(
        [](const llvm::SMDiagnostic &diag, void *context) {
          static_cast<std::vector<std::string> *>(context)->push_back(
              diag.getMessage().str());
        },
        &messages);
    std::string ioError;
    std::unique_ptr<Recurrence> rec =
        parseRecurrenceFile(variantPath(name), sourceMgr, ioError);
    ASSERT_NE(rec, nullptr) << ioError << (messages.empty() ? "" : messages[0]);
    EXPECT_TRUE(messages.empty());
    EXPECT_EQ(rec->name, name.str());
    EXPECT_EQ(rec->fileName, variantPath(name));
    EXPECT_EQ(rec->dims[rec->timeDim].name, "t");
    unsigned states = llvm::count_if(rec->decls, [](const TensorDecl &decl) {
      return decl.kind == DeclKind::State;
    });
    EXPECT_GE(states, 1u);
    EXPECT_EQ(rec->updates.size(), states);
    EXPECT_FALSE(rec->outputs.empty());
  }
}

TEST(DSLExamples, GlaTree) {
  std::string ioError;
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<Recurrence> rec =
      parseRecurrenceFile(variantPath("gla"), sourceMgr, ioError);
  ASSERT_NE(rec, nullptr);
  ASSERT_EQ(rec->dims.size(), 5u);
  EXPECT_EQ(rec->timeDim, 1u);
  EXPECT_EQ(rec->dims[3].name, "k");
  EXPECT_EQ(rec->dims[3].size, 128);
  EXPECT_EQ(rec->dims[0].size, std::nullopt);

  ASSERT_EQ(rec->decls.size(), 6u);
  const TensorDecl &gk = rec->decls[3];
  EXPECT_EQ(gk.kind, DeclKind::Input);
  EXPECT_EQ(gk.name, "gk");
  EXPECT_EQ(gk.type, ElemType::F32);
  EXPECT_EQ(gk.dims, (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(rec->dimsOf(gk), dimsNamed(*rec, {"b", "h", "k"}));
  EXPECT_EQ(rec->decls[4].kind, DeclKind::State);
  EXPECT_EQ(rec->decls[5].kind, DeclKind::Output);
  EXPECT_EQ(rec->decls[5].type, ElemType::BF16);

  // update S = exp(gk) * S + key * value
  ASSERT_EQ(rec->updates.size(), 1u);
  const Update &update = rec->updates[0];
  EXPECT_EQ(update.state, 4u);
  const Expr &sum = *update.value;
  EXPECT_EQ(sum.kind, ExprKind::Binary);
  EXPECT_EQ(sum.op, '+');
  const Expr &decay = *sum.operands[0];
  EXPECT_EQ(decay.op, '*');
  EXPECT_EQ(decay.operands[0]->kind, ExprKind::Call);
  EXPECT_EQ(decay.operands[0]->callee, "exp");
  const Expr &state = *decay.operands[1];
  EXPECT_EQ(state.kind, ExprKind::Ref);
  EXPECT_EQ(state.refKind, RefKind::State);
  EXPECT_EQ(state.refIndex, 4u);

  // output o = sum(k, q * S) / sqrt(128)
  ASSERT_EQ(rec->outputs.size(), 1u);
  const Output &output = rec->outputs[0];
  EXPECT_EQ(output.decl, 5u);
  const Expr &sumK = *output.value->operands[0];
  EXPECT_EQ(sumK.kind, ExprKind::Sum);
  EXPECT_EQ(sumK.dim, 3u);
  const Expr &root = *output.value->operands[1]->operands[0];
  EXPECT_EQ(root.kind, ExprKind::Number);
  EXPECT_EQ(root.value, 128.0);

  EXPECT_EQ(printed(*rec),
            "recurrence gla (file gla.ssm)\n"
            "  dims b, t (time), h, k = 128, v = 128\n"
            "  input q: bf16[b, t, h, k]\n"
            "  input key: bf16[b, t, h, k]\n"
            "  input value: bf16[b, t, h, v]\n"
            "  input gk: f32[b, t, h, k]\n"
            "  state S: f32[b, h, k, v]\n"
            "  update S = (exp(gk) * S) + (key * value)  : [b, h, k, v]\n"
            "  output o: bf16[b, t, h, v] = sum(k, q * S) / sqrt(128)  : "
            "[b, h, v]\n");
}

//===----------------------------------------------------------------------===//
// Dimensions of expressions
//===----------------------------------------------------------------------===//

TEST(DSLDims, InferredByName) {
  std::unique_ptr<Recurrence> rec = parseValid(R"(recurrence inference
dims b, t, h, k = 8, v = 8
time t
input key: f32[b, t, h, k]
input value: f32[b, t, h, v]
input g: f32[t, b, h]
param w: f32[h, k]
state S: f32[b, h, k, v]
let number = 2.5
let fromInput = key
let fromParam = w
let outer = key * value
let gate = exp(g) + 1
let viaLet = -gate * w
let summed = sum(k, key * w)
let both = sum(v, sum(k, outer))
let pair = max(g, w)
update S = outer
output o: f32[b, t, h, v] = sum(k, key * S)
)");
  ASSERT_NE(rec, nullptr);
  auto letDims = [&](StringRef name) -> DimSet {
    for (const Let &let : rec->lets)
      if (let.name == name)
        return let.value->dims;
    ADD_FAILURE() << "no let " << name.str();
    return 0;
  };
  EXPECT_EQ(letDims("number"), 0u);
  EXPECT_EQ(letDims("fromInput"), dimsNamed(*rec, {"b", "h", "k"}));
  EXPECT_EQ(letDims("fromParam"), dimsNamed(*rec, {"h", "k"}));
  EXPECT_EQ(letDims("outer"), dimsNamed(*rec, {"b", "h", "k", "v"}));
  EXPECT_EQ(letDims("gate"), dimsNamed(*rec, {"b", "h"}));
  EXPECT_EQ(letDims("viaLet"), dimsNamed(*rec, {"b", "h", "k"}));
  EXPECT_EQ(letDims("summed"), dimsNamed(*rec, {"b", "h"}));
  EXPECT_EQ(letDims("both"), dimsNamed(*rec, {"b", "h"}));
  EXPECT_EQ(letDims("pair"), dimsNamed(*rec, {"b", "h", "k"}));
  EXPECT_EQ(rec->updates[0].value->dims, dimsNamed(*rec, {"b", "h", "k", "v"}));
  EXPECT_EQ(rec->outputs[0].value->dims, dimsNamed(*rec, {"b", "h", "v"}));

  // A let reads lets by index; a Sum keeps what it sums over.
  const Expr &viaLet = *rec->lets[5].value;
  EXPECT_EQ(viaLet.operands[0]->kind, ExprKind::Neg);
  EXPECT_EQ(viaLet.operands[0]->operands[0]->refKind, RefKind::Let);
  EXPECT_EQ(viaLet.operands[0]->operands[0]->refIndex, 4u);
  const Expr &summed = *rec->lets[6].value;
  EXPECT_EQ(summed.dim, 3u);
  EXPECT_EQ(summed.operands[0]->dims, dimsNamed(*rec, {"b", "h", "k"}));
}

TEST(DSLDims, UpdatesFollowTheStatesOrder) {
  std::unique_ptr<Recurrence> rec = parseValid(R"(recurrence order
dims b, t
time t
input x: f32[b, t]
state A: f32[b]
state B: f32[b]
state C: f32[b]
update C = C + x
update A = A * x
update B = B - A
output second: f32[b, t] = B
output first: f32[b, t] = A + C
)");
  ASSERT_NE(rec, nullptr);
  ASSERT_EQ(rec->updates.size(), 3u);
  EXPECT_EQ(rec->decls[rec->updates[0].state].name, "A");
  EXPECT_EQ(rec->decls[rec->updates[1].state].name, "B");
  EXPECT_EQ(rec->decls[rec->updates[2].state].name, "C");
  ASSERT_EQ(rec->outputs.size(), 2u);
  EXPECT_EQ(rec->decls[rec->outputs[0].decl].name, "second");
  EXPECT_EQ(rec->decls[rec->outputs[1].decl].name, "first");
}

//===----------------------------------------------------------------------===//
// Lexical rules and expression syntax
//===----------------------------------------------------------------------===//

TEST(DSLSyntax, NumbersCommentsAndContinuations) {
  std::unique_ptr<Recurrence> rec =
      parseValid("# a comment before the recurrence\n"
                 "recurrence syntax   # and one after a statement\n"
                 "\n"
                 "dims b,t,\tv = 3\r\n"
                 "time t\n"
                 "input x: f32[b,\n"
                 "             t, v]\n"
                 "state S: f32[b, v]\n"
                 "let n = 1 + .5 + 1e-3 + 2.5E+2 + 7. + 0.1 + 1e300\n"
                 "let p = x - n - x * n / x\n"
                 "update S = (S\n"
                 "  # a comment inside the parentheses\n"
                 "\n"
                 "  * exp(x)) - -x\n"
                 "output o: f32[b, t, v] = -(-S)");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(printed(*rec),
            "recurrence syntax (file test.ssm)\n"
            "  dims b, t (time), v = 3\n"
            "  input x: f32[b, t, v]\n"
            "  state S: f32[b, v]\n"
            "  let n = (((((1 + 0.5) + 0.001) + 250) + 7) + 0.1) + 1e+300  : "
            "[]\n"
            "  let p = (x - n) - ((x * n) / x)  : [b, v]\n"
            "  update S = (S * exp(x)) - (-x)  : [b, v]\n"
            "  output o: f32[b, t, v] = -(-S)  : [b, v]\n");
}

TEST(DSLSyntax, ExponentNeedsDigits) {
  // `2e` is the number 2 and the name e.
  expectError(edit(8, "let g = 2e"), 8, 10,
              "expected an operator or the end of the line");
}

//===----------------------------------------------------------------------===//
// Diagnostics: characters and syntax
//===----------------------------------------------------------------------===//

TEST(DSLDiagnostics, UnexpectedCharacters) {
  expectError(edit(9, "update S = w * S + g @ y"), 9, 22,
              "unexpected character '@'");
  expectError(edit(8, "let g = exp(x) \xce\xbb"), 8, 16,
              "unexpected character '\xce\xbb'");
  expectError(edit(8, "let g = exp(x)\x01"), 8, 15,
              "unexpected control character 0x01");
  // Inside a statement skipped after an error, bad characters are still
  // reported.
  expectErrors(
      edit(9, "update S = w * * S @ y"),
      {{9, 16, "expected an expression"}, {9, 20, "unexpected character '@'"}});
}

TEST(DSLDiagnostics, HeaderSyntax) {
  expectError(edit(1, "recurrence"), 1, 11,
              "expected a name after 'recurrence'");
  expectError(edit(1, "recurrence time"), 1, 12,
              "expected a name after 'recurrence' ('time' is a keyword)");
  expectError(edit(1, "recurrence r s"), 1, 14, "expected the end of the line");
  expectError(edit(3, "time"), 3, 5,
              "expected the time dimension after 'time'");
  expectError(edit(3, "time t t"), 3, 8, "expected the end of the line");
  expectError(edit(2, "dims b, , t, k = 4, v = 4"), 2, 9,
              "expected a dimension name");
  expectError(edit(2, "dims b, t, k = , v = 4"), 2, 16,
              "expected the size of 'k' after '='");
  expectError(edit(2, "dims b, t, k = 4 v = 4"), 2, 18,
              "expected ',' or the end of the line");
}

TEST(DSLDiagnostics, StatementSyntax) {
  expectErrors(edit(9, "S = w * S"),
               {{9, 1,
                 "expected a statement (recurrence, dims, time, input, "
                 "param, state, let, update or output)"},
                {7, 7, "state 'S' has no update"}});
  expectError(edit(10, "output"), 10, 7, "expected a name after 'output'");
  expectError(edit(10, "output o: f32[b, t, v]"), 10, 23,
              "expected '=' and the value of 'o' after its type");
  expectError(edit({{8, "let"}, {9, "update S = w * S + y"}}), 8, 4,
              "expected a name after 'let'");
  expectError(edit(8, "let g exp(x)"), 8, 7,
              "expected '=' and the value of 'g'");
  expectError(edit(9, "update"), 9, 7,
              "expected the state's name after 'update'");
  expectError(edit(9, "update S := 1"), 9, 10,
              "expected '=' and the new value of 'S'");
  expectError(edit(7, "state S: f32[b, k, v] = 0"), 7, 23,
              "expected the end of the line");
}

TEST(DSLDiagnostics, TypeSyntax) {
  expectError(edit(4, "input x f32[b, t, k]"), 4, 9,
              "expected ':' and the type of 'x'");
  expectError(edit(4, "input x: [b, t, k]"), 4, 10,
              "expected the element type of 'x' (f32, f16 or bf16)");
  expectError(edit(4, "input x: f64[b, t, k]"), 4, 10,
              "unknown element type 'f64' (the types are f32, f16, bf16)");
  expectError(edit(4, "input x: f32(b, t, k)"), 4, 13,
              "expected '[' and the dimensions of 'x'");
  expectError(edit(4, "input x: f32[b, t, k"), 4, 21,
              "expected ']' after the dimensions");
  expectError(edit(4, "input x: f32[b t, k]"), 4, 16,
              "expected ']' after the dimensions");
  expectError(edit(4, "input x: f32[]"), 4, 14, "expected a dimension name");
}

TEST(DSLDiagnostics, ExpressionSyntax) {
  expectError(edit(9, "update S = w * S + g y"), 9, 22,
              "expected an operator or the end of the line");
  expectError(edit(9, "update S = w * S + g * (y"), 9, 26,
              "expected ')' to close the '(' at 9:24");
  expectError(edit(9, "update S = exp(w * S"), 9, 21,
              "expected ')' after the arguments of 'exp'");
  expectError(edit(9, "update S = w * S +"), 9, 19, "expected an expression");
  expectError(edit(8, "let g = exp()"), 8, 13, "expected an expression");
  expectError(edit(8, "let g = 1e999"), 8, 9, "number '1e999' is too large");
  // A newline inside parentheses continues the statement.
  EXPECT_NE(parseValid(edit(9, "update S = (w * S\n  + g * y)")), nullptr);
}

TEST(DSLDiagnostics, NestingLimit) {
  const int limit = 200;
  const std::string message =
      "expression nested too deeply (more than 200 levels)";
  std::string parens = "let g = " + std::string(limit + 1, '(') + "x" +
                       std::string(limit + 1, ')');
  expectError(edit(8, parens), 8, 9 + limit, message);
  std::string chain = "let g = x";
  for (int i = 0; i < limit; ++i)
    chain += " + x";
  expectError(edit(8, chain), 8, 4 * limit + 7, message);
  std::string minuses = "let g = " + std::string(limit, '-') + "x";
  expectError(edit(8, minuses), 8, 9, message);
  // Just inside the limit parses.
  std::string inside = "let g = " + std::string(limit - 1, '(') + "x" +
                       std::string(limit - 1, ')');
  EXPECT_NE(parseValid(edit(8, inside)), nullptr);
}

TEST(DSLDiagnostics, RecoversAtTheNextStatement) {
  expectErrors(edit({{4, "input x: f32[b, t, k"},
                     {8, "let g = exp(x) +"},
                     {9, "update S = w * S + g * yy"}}),
               {{4, 21, "expected ']' after the dimensions"},
                {8, 17, "expected an expression"},
                {9, 24, "'yy' is not declared"}});
}

TEST(DSLDiagnostics, StopsAfterTwentyErrors) {
  std::string lets = "let g = exp(x)";
  for (int i = 0; i < 25; ++i)
    lets += "\nlet a" + std::to_string(i) + " = nope";
  Parsed parsed = parse(edit(8, lets));
  EXPECT_EQ(parsed.rec, nullptr);
  ASSERT_EQ(parsed.diags.size(), kMaxErrors + 1);
  EXPECT_EQ(parsed.diags[0], (Diag{9, 10, "'nope' is not declared"}));
  EXPECT_EQ(parsed.diags[kMaxErrors],
            (Diag{29, 11, "too many errors, stopping here", false}));
}

//===----------------------------------------------------------------------===//
// Diagnostics: the checks
//===----------------------------------------------------------------------===//

TEST(DSLDiagnostics, StatementOrder) {
  expectError(edit(1, "# no recurrence"), 2, 1,
              "expected 'recurrence NAME' as the first statement");
  expectError("", 1, 1, "expected 'recurrence NAME' as the first statement");
  expectError("# only a comment\n", 1, 1,
              "expected 'recurrence NAME' as the first statement");
  expectError(edit(2, "input z: f32[b]"), 2, 1,
              "expected a 'dims' statement before the first declaration");
  expectError(edit(3, "# no time"), 4, 1,
              "expected a 'time' statement before the first declaration");
  expectError(edit({{2, "time t"}, {3, "dims b, t, k = 4, v = 4"}}), 2, 1,
              "expected a 'dims' statement before 'time'");
  expectError(edit(3, "time t\nrecurrence again"), 4, 1,
              "'recurrence' appears twice (first at 1:1)");
  expectError(edit(3, "time t\ndims c"), 4, 1,
              "'dims' appears twice (first at 2:1)");
  expectError(edit(3, "time t\ntime t"), 4, 1,
              "'time' appears twice (first at 3:1)");
  expectError("recurrence r\n", 1, 12,
              "the recurrence has no 'dims' statement");
  expectError("recurrence r\ndims b, t\n", 1, 12,
              "the recurrence has no 'time' statement");
}

TEST(DSLDiagnostics, Names) {
  expectError(edit({{8, "let sum = exp(x)"}, {9, "update S = w * S + y"}}), 8,
              5, "'sum' is a built-in function and cannot be declared");
  expectError(edit(2, "dims b, t, k = 4, v = 4, max"), 2, 26,
              "'max' is a built-in function and cannot be declared");
  expectError(edit({{8, "let y = exp(x)"}, {9, "update S = w * S + y"}}), 8, 5,
              "name 'y' is already declared (at 5:7)");
  expectError(edit(8, "let g = exp(x)\nlet k = 2"), 9, 5,
              "name 'k' is already declared (at 2:12)");
  expectError(edit(2, "dims b, t, k = 4, v = 4, b"), 2, 26,
              "name 'b' is already declared (at 2:6)");
  expectError(edit(9, "update S = w * S + z"), 9, 20, "'z' is not declared");
  expectError(edit(9, "update S = w * S + exp"), 9, 20,
              "'exp' is a function, not a value");
  expectError(edit(9, "update S = w * S + k"), 9, 20,
              "'k' is a dimension, not a value");
  expectError(edit(10, "output o: f32[b, t, v] = sum(k, x * S)\n"
                       "output p: f32[b, t, v] = o"),
              11, 26, "'o' is an output: expressions may not read outputs");
}

TEST(DSLDiagnostics, Dimensions) {
  expectError(edit(4, "input x: f32[b, t, kk]"), 4, 20,
              "unknown dimension 'kk' (the dimensions are b, t, k, v)");
  expectError(edit(3, "time x"), 3, 6,
              "unknown dimension 'x' (the dimensions are b, t, k, v)");
  expectErrors("recurrence r\ndims sum\ntime t\n",
               {{2, 6, "'sum' is a built-in function and cannot be declared"},
                {3, 6, "unknown dimension 't' (no dimensions are declared)"}});
  std::string many = "dims t";
  for (int i = 0; i < 64; ++i)
    many += ", d" + std::to_string(i);
  expectError(edit({{2, many}, {3, "time t"}}), 2,
              static_cast<unsigned>(many.find("d63") + 1),
              "too many dimensions (at most 64)");
  expectErrors(
      edit(2, "dims b, t, k = 0, v = 4.5"),
      {{2, 16, "the size of dimension 'k' must be a positive integer"},
       {2, 23, "the size of dimension 'v' must be a positive integer"}});
  expectError(edit(2, "dims b, t = 16, k = 4, v = 4"), 3, 6,
              "the time dimension 't' must not have a fixed size (its length "
              "comes from the inputs)");
  expectError(edit(2, "dims b, t, k = 4, v = 4, h"), 2, 26,
              "dimension 'h' has no size: give it one in 'dims' (h = 128) or "
              "use it in an input or param");
  expectError(edit({{2, "dims b, t, k = 4, v"}, {5, "input y: bf16[b, t, k]"}}),
              2, 19,
              "dimension 'v' has no size: give it one in 'dims' (v = 128) or "
              "use it in an input or param");
  // A misspelt dimension says nothing of the sizes of the others.
  expectError(
      edit({{2, "dims b, t, k = 4, v"}, {5, "input y: bf16[b, t, vv]"}}), 5, 21,
      "unknown dimension 'vv' (the dimensions are b, t, k, v)");
  expectError("recurrence r\ndims b = 2, t\ntime t\nstate S: f32[b]\n"
              "update S = S + 1\noutput o: f32[b, t] = S\n",
              1, 12,
              "the recurrence has no input (the time dimension 't' takes its "
              "length from the inputs)");
}

TEST(DSLDiagnostics, Types) {
  expectError(edit(4, "input x: f32[b, t, k, b]"), 4, 23,
              "dimension 'b' appears twice in the type of 'x'");
  expectError(edit(6, "param w: f32[t, k]"), 6, 14,
              "param 'w' must not have the time dimension 't'");
  expectError(edit(7, "state S: f32[b, k, v, t]"), 7, 23,
              "state 'S' must not have the time dimension 't'");
  expectError(edit(4, "input x: f32[b, k]"), 4, 7,
              "input 'x' must have the time dimension 't'");
  expectError(edit(10, "output o: f32[b, v] = sum(k, x * S)"), 10, 8,
              "output 'o' must have the time dimension 't'");
  expectError(edit(7, "state S: bf16[b, k, v]"), 7, 10, "states must be f32");
}

TEST(DSLDiagnostics, StatesAndOutputs) {
  expectError(edit(9, "# no update"), 7, 7, "state 'S' has no update");
  expectError(edit(9, "update S = w * S + g * y\nupdate S = S"), 10, 1,
              "'S' is updated twice (first at 9:1)");
  expectErrors(
      edit(9, "update T = w * S"),
      {{9, 8, "'T' is not declared"}, {7, 7, "state 'S' has no update"}});
  expectErrors(edit(9, "update k = w * S"),
               {{9, 8, "'k' is a dimension: only states can be updated"},
                {7, 7, "state 'S' has no update"}});
  expectError(edit(9, "update S = w * S + g * y\nupdate g = 1"), 10, 8,
              "'g' is a let: only states can be updated");
  expectError(edit(9, "update S = w * S + g * y\nupdate x = 1"), 10, 8,
              "'x' is an input: only states can be updated");
  expectError(edit(9, "update S = w * S + g * y\nupdate w = 1"), 10, 8,
              "'w' is a param: only states can be updated");
  expectError(edit(10, "output o: f32[b, t, v] = sum(k, x * S)\nupdate o = 1"),
              11, 8, "'o' is an output: only states can be updated");
  expectError(edit(8, "let g = exp(x) * S"), 8, 18,
              "'S' is a state: a let may not read a state (write the "
              "expression in the update or the output)");
  expectError(edit(7, "state S: f32[b, k]"), 9, 24,
              "update of 'S' ranges over dimension 'v', which 'S' does not "
              "have");
  expectError(edit({{7, "state S: f32[b, v]"},
                    {9, "update S = S + g"},
                    {10, "output o: f32[b, t, v] = S"}}),
              9, 16,
              "update of 'S' ranges over dimension 'k', which 'S' does not "
              "have");
  expectError(edit(10, "output o: f32[b, t, v] = x * S"), 10, 26,
              "output 'o' ranges over dimension 'k', which 'o' does not have");
  expectError(edit({{7, "# no state"},
                    {9, "# no update"},
                    {10, "output o: f32[b, t, v] = y + 1"}}),
              1, 12, "the recurrence has no state");
  expectError(edit(10, "# no output"), 1, 12, "the recurrence has no output");
}

TEST(DSLDiagnostics, Calls) {
  const char *functions =
      "(the functions are exp, log, sqrt, tanh, sin, cos, abs, softplus, "
      "sigmoid, logsigmoid, silu, max, min, sum)";
  expectError(edit(9, "update S = w * S + foo(y)"), 9, 20,
              std::string("unknown function 'foo' ") + functions);
  expectError(edit(9, "update S = w * S + x(y)"), 9, 20,
              std::string("unknown function 'x' ") + functions);
  expectError(edit(8, "let g = exp(x, x)"), 8, 9,
              "'exp' takes 1 argument, 2 given");
  expectError(edit(8, "let g = max(x)"), 8, 9,
              "'max' takes 2 arguments, 1 given");
  expectError(edit(10, "output o: f32[b, t, v] = sum(x * S)"), 10, 26,
              "'sum' takes 2 arguments, 1 given");
  expectError(edit(10, "output o: f32[b, t, v] = sum(x * S, S)"), 10, 30,
              "the first argument of 'sum' must be a dimension (the "
              "dimensions are b, t, k, v)");
  expectError(edit(10, "output o: f32[b, t, v] = sum(x, S)"), 10, 30,
              "unknown dimension 'x' (the dimensions are b, t, k, v)");
  expectError(edit(10, "output o: f32[b, t, v] = sum(k, x * S) + sum(t, y)"),
              10, 46,
              "cannot sum over the time dimension 't' (an expression sees one "
              "step at a time)");
  expectError(edit(10, "output o: f32[b, t, v] = sum(k, y)"), 10, 30,
              "sum over 'k', which the expression does not range over");
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(DSLFiles, CannotOpen) {
  llvm::SourceMgr sourceMgr;
  std::string ioError;
  EXPECT_EQ(parseRecurrenceFile("/nonexistent/dir/x.ssm", sourceMgr, ioError),
            nullptr);
  EXPECT_EQ(ioError,
            "cannot open /nonexistent/dir/x.ssm: No such file or directory");
}

} // namespace
