//===- DslFuzzer.cpp - fuzzes the parser and checks of *.ssm files --------===//
//
// The input is a *.ssm file. parseRecurrence must not crash, recurse without
// bound or point a diagnostic outside the buffer, and it fails exactly when it
// reported an error (at most kMaxErrors of them, then one note). A recurrence
// that passes the checks must hold what docs/dsl.md promises of one: declared
// names, well-formed types, updates one per state in the states' order, and
// every expression's dimensions inferred as the language says and within its
// owner's. Its `--emit=ast` dump is printed too, and every number in it must
// read back exactly.
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"

#include "ssmc/Frontends/DSL/AST.h"
#include "ssmc/Frontends/DSL/Parser.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace ssmc::dsl;
using llvm::StringRef;

namespace {

/// The functions of the language (AST.h) and their arities; `sum` is a Sum.
constexpr std::pair<StringRef, unsigned> kFunctions[] = {
    {"exp", 1},  {"log", 1}, {"sqrt", 1},     {"tanh", 1},    {"sin", 1},
    {"cos", 1},  {"abs", 1}, {"softplus", 1}, {"sigmoid", 1}, {"logsigmoid", 1},
    {"silu", 1}, {"max", 2}, {"min", 2},
};

/// The tallest expression the parser accepts (Parser.cpp's kMaxExprDepth).
constexpr unsigned kMaxDepth = 1000;

bool isBuiltin(StringRef name) {
  return name == "sum" || llvm::any_of(kFunctions, [&](const auto &function) {
           return function.first == name;
         });
}

/// What the SourceMgr was asked to print: counted, checked to point inside
/// the buffer, and never printed (the fuzzer would spend its time writing).
struct DiagnosticLog {
  const char *begin;
  const char *end;
  unsigned errors = 0;
  unsigned notes = 0;
};

void logDiagnostic(const llvm::SMDiagnostic &diag, void *context) {
  auto &log = *static_cast<DiagnosticLog *>(context);
  const char *at = diag.getLoc().getPointer();
  SSMC_FUZZ_CHECK(at && at >= log.begin && at <= log.end,
                  "diagnostic outside the buffer: " + diag.getMessage().str());
  SSMC_FUZZ_CHECK(!diag.getMessage().empty(), "empty diagnostic");
  if (diag.getKind() == llvm::SourceMgr::DK_Error)
    ++log.errors;
  else if (diag.getKind() == llvm::SourceMgr::DK_Note)
    ++log.notes;
  else
    SSMC_FUZZ_CHECK(false,
                    "neither error nor note: " + diag.getMessage().str());
  // Only the note that says the frontend stopped, and only after the last
  // error it prints.
  SSMC_FUZZ_CHECK(log.notes == 0 ||
                      (log.notes == 1 && log.errors == kMaxErrors),
                  diag.getMessage().str());
}

/// Checks the tree of \p expr, which sits in let \p let (or in an update or
/// output when \p let is null): references resolve to earlier lets and to
/// declarations of the kind they claim, never to outputs, and never to
/// states from a let; every node's dimensions are the ones the language
/// infers. Returns the height of the tree.
unsigned checkExpr(const Recurrence &rec, const Expr &expr, const Let *let) {
  const DimSet timeBit = DimSet(1) << rec.timeDim;
  const DimSet allDims =
      rec.dims.size() == 64 ? ~DimSet(0) : (DimSet(1) << rec.dims.size()) - 1;
  SSMC_FUZZ_CHECK((expr.dims & ~allDims) == 0, "an undeclared dimension");
  SSMC_FUZZ_CHECK((expr.dims & timeBit) == 0, "the time dimension");

  unsigned height = 0;
  DimSet operandDims = 0;
  for (const ExprPtr &operand : expr.operands) {
    SSMC_FUZZ_CHECK(operand, "a null operand");
    height = std::max(height, checkExpr(rec, *operand, let));
    operandDims |= operand->dims;
  }
  size_t arity = expr.operands.size();
  switch (expr.kind) {
  case ExprKind::Number:
    SSMC_FUZZ_CHECK(arity == 0 && std::isfinite(expr.value) && expr.value >= 0,
                    std::to_string(expr.value));
    SSMC_FUZZ_CHECK(expr.dims == 0, "a number with dimensions");
    break;
  case ExprKind::Ref: {
    SSMC_FUZZ_CHECK(arity == 0, "a reference with operands");
    if (expr.refKind == RefKind::Let) {
      size_t before =
          let ? static_cast<size_t>(let - rec.lets.data()) : rec.lets.size();
      SSMC_FUZZ_CHECK(expr.refIndex < before, "a let read before it is set");
      SSMC_FUZZ_CHECK(expr.dims == rec.lets[expr.refIndex].value->dims,
                      rec.lets[expr.refIndex].name);
      break;
    }
    SSMC_FUZZ_CHECK(expr.refIndex < rec.decls.size(), "a dangling reference");
    const TensorDecl &decl = rec.decls[expr.refIndex];
    DeclKind want = expr.refKind == RefKind::Input   ? DeclKind::Input
                    : expr.refKind == RefKind::Param ? DeclKind::Param
                                                     : DeclKind::State;
    SSMC_FUZZ_CHECK(decl.kind == want, decl.name);
    SSMC_FUZZ_CHECK(!(let && decl.kind == DeclKind::State),
                    "let '" + let->name + "' reads state " + decl.name);
    SSMC_FUZZ_CHECK(expr.dims == rec.dimsOf(decl), decl.name);
    break;
  }
  case ExprKind::Neg:
    SSMC_FUZZ_CHECK(arity == 1 && expr.dims == operandDims, "neg");
    break;
  case ExprKind::Binary:
    SSMC_FUZZ_CHECK(arity == 2 && expr.dims == operandDims,
                    std::string(1, expr.op));
    SSMC_FUZZ_CHECK(StringRef("+-*/").contains(expr.op) && expr.op,
                    "operator " + std::to_string(expr.op));
    break;
  case ExprKind::Call: {
    const auto *function = llvm::find_if(
        kFunctions, [&](const auto &f) { return f.first == expr.callee; });
    SSMC_FUZZ_CHECK(function != std::end(kFunctions),
                    "unknown callee " + expr.callee);
    SSMC_FUZZ_CHECK(arity == function->second, expr.callee);
    SSMC_FUZZ_CHECK(expr.dims == operandDims, expr.callee);
    break;
  }
  case ExprKind::Sum: {
    SSMC_FUZZ_CHECK(arity == 1, "sum");
    SSMC_FUZZ_CHECK(expr.dim < rec.dims.size() && expr.dim != rec.timeDim,
                    "sum over dimension " + std::to_string(expr.dim));
    DimSet summed = DimSet(1) << expr.dim;
    SSMC_FUZZ_CHECK(operandDims & summed, "sum over a missing dimension");
    SSMC_FUZZ_CHECK(expr.dims == (operandDims & ~summed), "sum");
    break;
  }
  }
  SSMC_FUZZ_CHECK(height + 1 <= kMaxDepth, "tree too tall");
  return height + 1;
}

/// Checks what a recurrence that passed the checks promises (docs/dsl.md).
void checkRecurrence(const Recurrence &rec) {
  // The recurrence's own name is not declared: it may be a function's.
  SSMC_FUZZ_CHECK(!rec.name.empty(), "no name");
  SSMC_FUZZ_CHECK(rec.fileName == "fuzz.ssm", rec.fileName);
  SSMC_FUZZ_CHECK(!rec.dims.empty() && rec.dims.size() <= 64,
                  std::to_string(rec.dims.size()) + " dimensions");
  SSMC_FUZZ_CHECK(rec.timeDim < rec.dims.size(), "time dimension");
  SSMC_FUZZ_CHECK(!rec.dims[rec.timeDim].size, "a sized time dimension");

  // Dimensions, declarations and lets share one namespace.
  llvm::StringSet<> names;
  auto declare = [&](const std::string &name) {
    SSMC_FUZZ_CHECK(!name.empty() && !isBuiltin(name), name);
    SSMC_FUZZ_CHECK(names.insert(name).second, "'" + name + "' twice");
  };
  for (const Dim &dim : rec.dims) {
    declare(dim.name);
    SSMC_FUZZ_CHECK(!dim.size || *dim.size > 0, dim.name);
  }

  DimSet sizedByUse = 0;
  size_t states = 0, outputs = 0, inputs = 0;
  for (const TensorDecl &decl : rec.decls) {
    declare(decl.name);
    DimSet seen = 0;
    for (unsigned dim : decl.dims) {
      SSMC_FUZZ_CHECK(dim < rec.dims.size(), decl.name);
      SSMC_FUZZ_CHECK(!(seen & (DimSet(1) << dim)), decl.name);
      seen |= DimSet(1) << dim;
    }
    bool hasTime = seen & (DimSet(1) << rec.timeDim);
    switch (decl.kind) {
    case DeclKind::Input:
      ++inputs;
      sizedByUse |= seen;
      SSMC_FUZZ_CHECK(hasTime, "input without time: " + decl.name);
      break;
    case DeclKind::Param:
      sizedByUse |= seen;
      SSMC_FUZZ_CHECK(!hasTime, "param with time: " + decl.name);
      break;
    case DeclKind::State:
      ++states;
      SSMC_FUZZ_CHECK(!hasTime, "state with time: " + decl.name);
      SSMC_FUZZ_CHECK(decl.type == ElemType::F32,
                      "state not f32: " + decl.name);
      break;
    case DeclKind::Output:
      ++outputs;
      SSMC_FUZZ_CHECK(hasTime, "output without time: " + decl.name);
      break;
    }
  }
  SSMC_FUZZ_CHECK(inputs > 0 && states > 0 && outputs > 0,
                  "no input, state or output");
  for (auto [index, dim] : llvm::enumerate(rec.dims))
    SSMC_FUZZ_CHECK(index == rec.timeDim || dim.size ||
                        (sizedByUse & (DimSet(1) << index)),
                    "dimension '" + dim.name + "' has no size");

  for (const Let &let : rec.lets) {
    declare(let.name);
    SSMC_FUZZ_CHECK(let.value, let.name);
    checkExpr(rec, *let.value, &let);
  }

  // One update per state, in the states' order, each within its state.
  SSMC_FUZZ_CHECK(rec.updates.size() == states,
                  std::to_string(rec.updates.size()) + " updates of " +
                      std::to_string(states) + " states");
  for (auto [index, update] : llvm::enumerate(rec.updates)) {
    SSMC_FUZZ_CHECK(update.state < rec.decls.size() &&
                        rec.decls[update.state].kind == DeclKind::State,
                    "update of a non-state");
    SSMC_FUZZ_CHECK(index == 0 || rec.updates[index - 1].state < update.state,
                    "updates out of order");
    SSMC_FUZZ_CHECK(update.value, "update without value");
    checkExpr(rec, *update.value, nullptr);
    const TensorDecl &state = rec.decls[update.state];
    SSMC_FUZZ_CHECK((update.value->dims & ~rec.dimsOf(state)) == 0,
                    "update of '" + state.name + "' has extra dimensions");
  }

  // One value per output declaration, in file order, each within its type.
  SSMC_FUZZ_CHECK(rec.outputs.size() == outputs, "outputs");
  for (auto [index, output] : llvm::enumerate(rec.outputs)) {
    SSMC_FUZZ_CHECK(output.decl < rec.decls.size() &&
                        rec.decls[output.decl].kind == DeclKind::Output,
                    "output of a non-output");
    SSMC_FUZZ_CHECK(index == 0 || rec.outputs[index - 1].decl < output.decl,
                    "outputs out of order");
    SSMC_FUZZ_CHECK(output.value, "output without value");
    checkExpr(rec, *output.value, nullptr);
    const TensorDecl &decl = rec.decls[output.decl];
    SSMC_FUZZ_CHECK((output.value->dims & ~rec.dimsOf(decl)) == 0,
                    "output '" + decl.name + "' has extra dimensions");
  }
}

/// Collects the numbers of \p expr.
void collectNumbers(const Expr &expr, std::vector<double> &numbers) {
  if (expr.kind == ExprKind::Number)
    numbers.push_back(expr.value);
  for (const ExprPtr &operand : expr.operands)
    collectNumbers(*operand, numbers);
}

/// Prints \p value as the dump does (a let of a one-dimension recurrence)
/// and checks that it reads back exactly.
void checkNumberPrints(double value) {
  Recurrence rec;
  rec.name = "n";
  rec.dims.push_back({"t", std::nullopt, {}});
  auto number = std::make_unique<Expr>();
  number->kind = ExprKind::Number;
  number->value = value;
  rec.lets.push_back({"x", std::move(number), {}});
  std::string text;
  llvm::raw_string_ostream os(text);
  rec.print(os);
  StringRef line = StringRef(text).split("let x = ").second;
  StringRef printed = line.split("  :").first;
  std::string spelt = printed.str();
  char *end = nullptr;
  double back = std::strtod(spelt.c_str(), &end);
  SSMC_FUZZ_CHECK(!spelt.empty() && end == spelt.c_str() + spelt.size() &&
                      back == value,
                  "number prints as '" + spelt + "'");
}

/// Prints the dump of \p rec and checks its shape: a header line, the dims,
/// then one line per input, param, state, let, update and output.
void checkPrint(const Recurrence &rec) {
  std::string text;
  llvm::raw_string_ostream os(text);
  rec.print(os);
  SSMC_FUZZ_CHECK(StringRef(text).starts_with("recurrence " + rec.name + " "),
                  text);
  size_t lines = llvm::count(text, '\n');
  size_t want = 2 + rec.decls.size() + rec.lets.size() + rec.updates.size();
  SSMC_FUZZ_CHECK(lines == want, std::to_string(lines) + " lines, want " +
                                     std::to_string(want) + ":\n" + text);

  std::vector<double> numbers;
  for (const Let &let : rec.lets)
    collectNumbers(*let.value, numbers);
  for (const Update &update : rec.updates)
    collectNumbers(*update.value, numbers);
  for (const Output &output : rec.outputs)
    collectNumbers(*output.value, numbers);
  for (double value : numbers)
    checkNumberPrints(value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The fuzzer's own copy of the input, not null-terminated: ASan sees a
  // read one byte past the end.
  StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr sourceMgr;
  DiagnosticLog log{text.begin(), text.end()};
  sourceMgr.setDiagHandler(logDiagnostic, &log);
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(text, "fuzz.ssm",
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());

  std::unique_ptr<Recurrence> rec = parseRecurrence(sourceMgr, bufferId);
  SSMC_FUZZ_CHECK(log.errors <= kMaxErrors, std::to_string(log.errors));
  if (!rec) {
    SSMC_FUZZ_CHECK(log.errors > 0, "failed without an error");
    return 0;
  }
  SSMC_FUZZ_CHECK(log.errors == 0 && log.notes == 0,
                  "succeeded after an error");
  checkRecurrence(*rec);
  checkPrint(*rec);
  return 0;
}
