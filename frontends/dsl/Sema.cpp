//===- Sema.cpp - the checks of a *.ssm recurrence ------------------------===//

#include "Sema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>

using namespace ssmc::dsl;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// The functions of the language and how many arguments each takes.
struct Builtin {
  StringRef name;
  unsigned arity;
};
constexpr Builtin kBuiltins[] = {
    {"exp", 1},  {"log", 1}, {"sqrt", 1},     {"tanh", 1},    {"sin", 1},
    {"cos", 1},  {"abs", 1}, {"softplus", 1}, {"sigmoid", 1}, {"logsigmoid", 1},
    {"silu", 1}, {"max", 2}, {"min", 2},      {"sum", 2},
};

const Builtin *lookupBuiltin(StringRef name) {
  for (const Builtin &builtin : kBuiltins)
    if (builtin.name == name)
      return &builtin;
  return nullptr;
}

std::string builtinList() {
  std::string list;
  for (const Builtin &builtin : kBuiltins) {
    if (!list.empty())
      list += ", ";
    list += builtin.name;
  }
  return list;
}

StringRef kindName(DeclKind kind) {
  switch (kind) {
  case DeclKind::Input:
    return "input";
  case DeclKind::Param:
    return "param";
  case DeclKind::State:
    return "state";
  case DeclKind::Output:
    return "output";
  }
  llvm_unreachable("unknown declaration kind");
}

/// "an input", "a param", "a state" or "an output".
std::string withArticle(DeclKind kind) {
  StringRef name = kindName(kind);
  return ((kind == DeclKind::Param || kind == DeclKind::State ? "a " : "an ") +
          name)
      .str();
}

DimSet bit(unsigned dim) { return DimSet(1) << dim; }

/// The most dimensions a recurrence may name (DimSet is a 64-bit mask).
constexpr unsigned kMaxDims = 64;

} // namespace

std::string Sema::dimList() const {
  if (rec.dims.empty())
    return "(no dimensions are declared)";
  std::string list = "(the dimensions are ";
  for (auto [i, dim] : llvm::enumerate(rec.dims)) {
    if (i != 0)
      list += ", ";
    list += dim.name;
  }
  return list + ")";
}

bool Sema::checkNewName(const syntax::Name &name) {
  if (lookupBuiltin(name.text)) {
    diags.error(name.loc, "'" + name.text +
                              "' is a built-in function and cannot be "
                              "declared");
    return false;
  }
  auto it = symbols.find(name.text);
  if (it != symbols.end()) {
    diags.error(name.loc, "name '" + name.text + "' is already declared (at " +
                              where(it->second.loc) + ")");
    return false;
  }
  return true;
}

void Sema::markBroken(const syntax::Name &name) {
  if (name.text.empty() || lookupBuiltin(name.text))
    return;
  symbols.try_emplace(name.text, Symbol{Symbol::Kind::Broken, 0, name.loc});
}

std::optional<unsigned> Sema::lookupDim(const syntax::Name &name) {
  auto it = symbols.find(name.text);
  if (it != symbols.end() && it->second.kind == Symbol::Kind::Dim)
    return it->second.index;
  diags.error(name.loc, "unknown dimension '" + name.text + "' " + dimList());
  return std::nullopt;
}

void Sema::check(const syntax::Stmt &stmt) {
  using syntax::StmtKind;
  if (stmt.kind == StmtKind::Unknown)
    return;
  if (stmt.kind == StmtKind::Recurrence)
    return checkRecurrence(stmt);
  if (!recurrenceLoc && !reportedNoRecurrence) {
    diags.error(stmt.loc, "expected 'recurrence NAME' as the first statement");
    reportedNoRecurrence = true;
  }
  switch (stmt.kind) {
  case StmtKind::Dims:
    return checkDims(stmt);
  case StmtKind::Time:
    return checkTime(stmt);
  default:
    break;
  }

  // A declaration, let, update or output.
  if (stmt.kind == StmtKind::Input)
    sawInput = true;
  if (stmt.kind == StmtKind::State)
    sawState = true;
  if (stmt.kind == StmtKind::Output)
    sawOutput = true;
  if (headerBroken)
    return;
  if (!dimsLoc || !timeLoc) {
    diags.error(stmt.loc, Twine("expected a '") + (dimsLoc ? "time" : "dims") +
                              "' statement before the first declaration");
    headerBroken = true;
    return;
  }
  switch (stmt.kind) {
  case StmtKind::Let:
    return checkLet(stmt);
  case StmtKind::Update:
    return checkUpdate(stmt);
  default:
    return checkTensorDecl(stmt);
  }
}

void Sema::checkRecurrence(const syntax::Stmt &stmt) {
  if (recurrenceLoc) {
    diags.error(stmt.loc, "'recurrence' appears twice (first at " +
                              where(*recurrenceLoc) + ")");
    return;
  }
  recurrenceLoc = stmt.loc;
  recurrenceNameLoc = stmt.name.text.empty() ? stmt.loc : stmt.name.loc;
  rec.name = stmt.name.text.str();
}

void Sema::checkDims(const syntax::Stmt &stmt) {
  if (dimsLoc) {
    diags.error(stmt.loc,
                "'dims' appears twice (first at " + where(*dimsLoc) + ")");
    return;
  }
  dimsLoc = stmt.loc;
  // After a declaration that came too early, the report has been made.
  if (headerBroken)
    return;
  if (!stmt.valid) {
    headerBroken = true;
    return;
  }
  for (const syntax::DimEntry &entry : stmt.dims) {
    if (!checkNewName(entry.name))
      continue;
    if (rec.dims.size() == kMaxDims) {
      diags.error(entry.name.loc,
                  "too many dimensions (at most " + Twine(kMaxDims) + ")");
      headerBroken = true;
      return;
    }
    Dim dim;
    dim.name = entry.name.text.str();
    dim.loc = entry.name.loc;
    if (entry.size) {
      int64_t size = 0;
      // Plain digits only: `1e3` or `128.0` are not sizes.
      if (!llvm::all_of(entry.size->text, llvm::isDigit) ||
          entry.size->text.getAsInteger(10, size) || size <= 0)
        diags.error(entry.size->loc, "the size of dimension '" +
                                         entry.name.text +
                                         "' must be a positive integer");
      else
        dim.size = size;
    }
    symbols[entry.name.text] = {Symbol::Kind::Dim,
                                static_cast<unsigned>(rec.dims.size()),
                                entry.name.loc};
    rec.dims.push_back(std::move(dim));
  }
}

void Sema::checkTime(const syntax::Stmt &stmt) {
  if (timeLoc) {
    diags.error(stmt.loc,
                "'time' appears twice (first at " + where(*timeLoc) + ")");
    return;
  }
  timeLoc = stmt.loc;
  if (headerBroken)
    return;
  if (!dimsLoc) {
    diags.error(stmt.loc, "expected a 'dims' statement before 'time'");
    headerBroken = true;
    return;
  }
  if (!stmt.valid) {
    headerBroken = true;
    return;
  }
  std::optional<unsigned> dim = lookupDim(stmt.name);
  if (!dim) {
    headerBroken = true;
    return;
  }
  rec.timeDim = *dim;
  if (rec.dims[*dim].size)
    diags.error(stmt.name.loc, "the time dimension '" + stmt.name.text +
                                   "' must not have a fixed size (its length "
                                   "comes from the inputs)");
}

void Sema::checkTensorDecl(const syntax::Stmt &stmt) {
  DeclKind kind;
  switch (stmt.kind) {
  case syntax::StmtKind::Input:
    kind = DeclKind::Input;
    break;
  case syntax::StmtKind::Param:
    kind = DeclKind::Param;
    break;
  case syntax::StmtKind::State:
    kind = DeclKind::State;
    break;
  default:
    kind = DeclKind::Output;
    break;
  }
  if (!stmt.valid) {
    markBroken(stmt.name);
    if (kind == DeclKind::Input || kind == DeclKind::Param)
      incompleteSizes = true;
    return;
  }
  StringRef name = stmt.name.text;
  const Dim &time = rec.dims[rec.timeDim];
  bool nameOk = checkNewName(stmt.name);
  bool typeOk = true;

  TensorDecl decl;
  decl.kind = kind;
  decl.name = name.str();
  decl.type = stmt.type->type;
  decl.loc = stmt.name.loc;
  DimSet seen = 0;
  for (const syntax::Name &dimName : stmt.type->dims) {
    std::optional<unsigned> dim = lookupDim(dimName);
    if (!dim) {
      typeOk = false;
      continue;
    }
    if (seen & bit(*dim)) {
      diags.error(dimName.loc, "dimension '" + dimName.text +
                                   "' appears twice in the type of '" + name +
                                   "'");
      typeOk = false;
      continue;
    }
    seen |= bit(*dim);
    decl.dims.push_back(*dim);
    if (*dim == rec.timeDim &&
        (kind == DeclKind::Param || kind == DeclKind::State)) {
      diags.error(dimName.loc, kindName(kind) + " '" + name +
                                   "' must not have the time dimension '" +
                                   time.name + "'");
      typeOk = false;
    }
  }
  if (kind == DeclKind::Input || kind == DeclKind::Param) {
    sizedByUse |= seen;
    // A misspelt dimension may be the one that another lacks a size for.
    if (!typeOk)
      incompleteSizes = true;
  }
  // Without all its dimensions the type may just misspell the time one.
  if (typeOk && !(seen & bit(rec.timeDim)) &&
      (kind == DeclKind::Input || kind == DeclKind::Output)) {
    diags.error(stmt.name.loc, kindName(kind) + " '" + name +
                                   "' must have the time dimension '" +
                                   time.name + "'");
    typeOk = false;
  }
  if (kind == DeclKind::State && decl.type != ElemType::F32) {
    diags.error(stmt.type->elemType.loc, "states must be f32");
    typeOk = false;
  }

  ExprPtr value;
  if (kind == DeclKind::Output)
    value = checkExpr(*stmt.value, Context::Output);
  if (!nameOk)
    return;
  if (!typeOk) {
    markBroken(stmt.name);
    return;
  }
  unsigned index = rec.decls.size();
  symbols[name] = {Symbol::Kind::Decl, index, stmt.name.loc};
  rec.decls.push_back(std::move(decl));
  updateLocs.resize(rec.decls.size());
  if (kind != DeclKind::Output || !value)
    return;
  checkDimsWithin(*value, rec.dimsOf(rec.decls[index]), "output '" + name + "'",
                  name);
  rec.outputs.push_back({index, std::move(value)});
}

void Sema::checkLet(const syntax::Stmt &stmt) {
  if (!stmt.valid) {
    markBroken(stmt.name);
    return;
  }
  bool nameOk = checkNewName(stmt.name);
  ExprPtr value = checkExpr(*stmt.value, Context::Let);
  if (!nameOk)
    return;
  if (!value) {
    markBroken(stmt.name);
    return;
  }
  symbols[stmt.name.text] = {
      Symbol::Kind::Let, static_cast<unsigned>(rec.lets.size()), stmt.name.loc};
  rec.lets.push_back({stmt.name.text.str(), std::move(value), stmt.name.loc});
}

void Sema::checkUpdate(const syntax::Stmt &stmt) {
  StringRef name = stmt.name.text;
  auto it = symbols.find(name);
  const Symbol *symbol = it == symbols.end() ? nullptr : &it->second;
  bool isState = symbol && symbol->kind == Symbol::Kind::Decl &&
                 rec.decls[symbol->index].kind == DeclKind::State;
  if (!stmt.valid) {
    // The update counts as the state's one, so that no "has no update"
    // follows the syntax error.
    if (name.empty())
      incompleteUpdates = true;
    else if (isState && !updateLocs[symbol->index])
      updateLocs[symbol->index] = stmt.loc;
    return;
  }

  std::optional<unsigned> state;
  if (!symbol) {
    diags.error(stmt.name.loc, "'" + name + "' is not declared");
  } else if (isState) {
    std::optional<SMLoc> &first = updateLocs[symbol->index];
    if (first) {
      diags.error(stmt.loc, "'" + name + "' is updated twice (first at " +
                                where(*first) + ")");
    } else {
      first = stmt.loc;
      state = symbol->index;
    }
  } else if (symbol->kind != Symbol::Kind::Broken) {
    std::string what = symbol->kind == Symbol::Kind::Dim ? "a dimension"
                       : symbol->kind == Symbol::Kind::Let
                           ? "a let"
                           : withArticle(rec.decls[symbol->index].kind);
    diags.error(stmt.name.loc,
                "'" + name + "' is " + what + ": only states can be updated");
  }
  ExprPtr value = checkExpr(*stmt.value, Context::Update);
  if (!state || !value)
    return;
  checkDimsWithin(*value, rec.dimsOf(rec.decls[*state]),
                  "update of '" + name + "'", name);
  rec.updates.push_back({*state, std::move(value), stmt.loc});
}

void Sema::checkDimsWithin(const Expr &value, DimSet allowed, const Twine &what,
                           StringRef owner) {
  DimSet extra = value.dims & ~allowed;
  if (!extra)
    return;
  unsigned dim = llvm::countr_zero(extra);
  // Walk down to the leaf that brings the dimension in.
  const Expr *leaf = &value;
  while (!leaf->operands.empty()) {
    auto operand = llvm::find_if(leaf->operands, [&](const ExprPtr &e) {
      return (e->dims & bit(dim)) != 0;
    });
    if (operand == leaf->operands.end())
      break;
    leaf = operand->get();
  }
  diags.error(leaf->loc, what + " ranges over dimension '" +
                             rec.dims[dim].name + "', which '" + owner +
                             "' does not have");
}

ExprPtr Sema::checkExpr(const syntax::Expr &expr, Context context) {
  switch (expr.kind) {
  case syntax::ExprKind::Number: {
    auto result = std::make_unique<Expr>();
    result->kind = ExprKind::Number;
    result->loc = expr.name.loc;
    result->value = expr.value;
    return result;
  }
  case syntax::ExprKind::Name:
    return checkName(expr, context);
  case syntax::ExprKind::Call:
    return checkCall(expr, context);
  case syntax::ExprKind::Neg:
  case syntax::ExprKind::Binary: {
    auto result = std::make_unique<Expr>();
    result->kind =
        expr.kind == syntax::ExprKind::Neg ? ExprKind::Neg : ExprKind::Binary;
    result->loc = expr.name.loc;
    result->op = expr.kind == syntax::ExprKind::Binary ? expr.op : 0;
    bool ok = true;
    for (const auto &operand : expr.operands) {
      ExprPtr checked = checkExpr(*operand, context);
      if (!checked) {
        ok = false;
        continue;
      }
      result->dims |= checked->dims;
      result->operands.push_back(std::move(checked));
    }
    if (!ok)
      return nullptr;
    return result;
  }
  }
  llvm_unreachable("unknown expression kind");
}

ExprPtr Sema::checkName(const syntax::Expr &expr, Context context) {
  StringRef name = expr.name.text;
  SMLoc loc = expr.name.loc;
  auto it = symbols.find(name);
  if (it == symbols.end()) {
    if (lookupBuiltin(name))
      diags.error(loc, "'" + name + "' is a function, not a value");
    else
      diags.error(loc, "'" + name + "' is not declared");
    return nullptr;
  }
  const Symbol &symbol = it->second;
  auto result = std::make_unique<Expr>();
  result->kind = ExprKind::Ref;
  result->loc = loc;
  result->refIndex = symbol.index;
  switch (symbol.kind) {
  case Symbol::Kind::Broken:
    return nullptr;
  case Symbol::Kind::Dim:
    diags.error(loc, "'" + name + "' is a dimension, not a value");
    return nullptr;
  case Symbol::Kind::Let:
    result->refKind = RefKind::Let;
    result->dims = rec.lets[symbol.index].value->dims;
    return result;
  case Symbol::Kind::Decl:
    break;
  }
  const TensorDecl &decl = rec.decls[symbol.index];
  switch (decl.kind) {
  case DeclKind::Input:
    result->refKind = RefKind::Input;
    break;
  case DeclKind::Param:
    result->refKind = RefKind::Param;
    break;
  case DeclKind::State:
    if (context == Context::Let) {
      diags.error(loc, "'" + name +
                           "' is a state: a let may not read a state (write "
                           "the expression in the update or the output)");
      return nullptr;
    }
    result->refKind = RefKind::State;
    break;
  case DeclKind::Output:
    diags.error(loc, "'" + name +
                         "' is an output: expressions may not read outputs");
    return nullptr;
  }
  result->dims = rec.dimsOf(decl);
  return result;
}

ExprPtr Sema::checkCall(const syntax::Expr &expr, Context context) {
  StringRef callee = expr.name.text;
  const Builtin *builtin = lookupBuiltin(callee);
  if (!builtin) {
    diags.error(expr.name.loc, "unknown function '" + callee +
                                   "' (the functions are " + builtinList() +
                                   ")");
    return nullptr;
  }
  size_t given = expr.operands.size();
  if (given != builtin->arity) {
    diags.error(expr.name.loc,
                "'" + callee + "' takes " + Twine(builtin->arity) +
                    (builtin->arity == 1 ? " argument, " : " arguments, ") +
                    Twine(given) + " given");
    return nullptr;
  }
  if (callee == "sum")
    return checkSum(expr, context);
  auto result = std::make_unique<Expr>();
  result->kind = ExprKind::Call;
  result->loc = expr.name.loc;
  result->callee = callee.str();
  bool ok = true;
  for (const auto &operand : expr.operands) {
    ExprPtr checked = checkExpr(*operand, context);
    if (!checked) {
      ok = false;
      continue;
    }
    result->dims |= checked->dims;
    result->operands.push_back(std::move(checked));
  }
  if (!ok)
    return nullptr;
  return result;
}

ExprPtr Sema::checkSum(const syntax::Expr &expr, Context context) {
  const syntax::Expr &dimArg = *expr.operands[0];
  std::optional<unsigned> dim;
  if (dimArg.kind != syntax::ExprKind::Name) {
    diags.error(dimArg.begin(),
                "the first argument of 'sum' must be a dimension " + dimList());
  } else if ((dim = lookupDim(dimArg.name)) && *dim == rec.timeDim) {
    diags.error(dimArg.name.loc, "cannot sum over the time dimension '" +
                                     dimArg.name.text +
                                     "' (an expression sees one step at a "
                                     "time)");
    dim.reset();
  }
  // The body's errors are independent of the dimension's.
  ExprPtr body = checkExpr(*expr.operands[1], context);
  if (!dim || !body)
    return nullptr;
  if (!(body->dims & bit(*dim))) {
    diags.error(dimArg.name.loc,
                "sum over '" + dimArg.name.text +
                    "', which the expression does not range over");
    return nullptr;
  }
  auto result = std::make_unique<Expr>();
  result->kind = ExprKind::Sum;
  result->loc = expr.name.loc;
  result->dim = *dim;
  result->dims = body->dims & ~bit(*dim);
  result->operands.push_back(std::move(body));
  return result;
}

void Sema::finish(SMLoc start) {
  if (!recurrenceLoc) {
    if (!reportedNoRecurrence)
      diags.error(start, "expected 'recurrence NAME' as the first statement");
    return;
  }
  if (headerBroken)
    return;
  if (!dimsLoc || !timeLoc) {
    diags.error(recurrenceNameLoc, Twine("the recurrence has no '") +
                                       (dimsLoc ? "time" : "dims") +
                                       "' statement");
    return;
  }
  if (!sawState)
    diags.error(recurrenceNameLoc, "the recurrence has no state");
  if (!sawOutput)
    diags.error(recurrenceNameLoc, "the recurrence has no output");
  if (!incompleteUpdates)
    for (auto [index, decl] : llvm::enumerate(rec.decls))
      if (decl.kind == DeclKind::State && !updateLocs[index])
        diags.error(decl.loc, "state '" + decl.name + "' has no update");
  if (!incompleteSizes) {
    const Dim &time = rec.dims[rec.timeDim];
    if (!sawInput)
      diags.error(recurrenceNameLoc,
                  "the recurrence has no input (the time dimension '" +
                      time.name + "' takes its length from the inputs)");
    for (auto [index, dim] : llvm::enumerate(rec.dims))
      if (index != rec.timeDim && !dim.size && !(sizedByUse & bit(index)))
        diags.error(dim.loc, "dimension '" + dim.name +
                                 "' has no size: give it one in 'dims' (" +
                                 dim.name +
                                 " = 128) or use it in an input or param");
  }
  std::stable_sort(
      rec.updates.begin(), rec.updates.end(),
      [](const Update &a, const Update &b) { return a.state < b.state; });
}
