//===- AST.cpp - helpers and the `--emit=ast` dump of a checked recurrence ===//

#include "ssmc/Frontends/DSL/AST.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace ssmc::dsl;
using llvm::raw_ostream;
using llvm::StringRef;

StringRef ssmc::dsl::toString(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return "f32";
  case ElemType::F16:
    return "f16";
  case ElemType::BF16:
    return "bf16";
  }
  llvm_unreachable("unknown element type");
}

DimSet Recurrence::dimsOf(const TensorDecl &decl) const {
  DimSet set = 0;
  for (unsigned dim : decl.dims)
    if (dim != timeDim)
      set |= DimSet(1) << dim;
  return set;
}

namespace {

/// Prints the shortest decimal form that reads back as the same double, so
/// that the dump is both exact and stable; whole numbers below 1e17 without
/// an exponent (250, not 2.5e+02).
void printNumber(raw_ostream &os, double value) {
  char text[32];
  // 17 significant digits always read back (DBL_DECIMAL_DIG), so the loop
  // ends with a text that does.
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  if (const char *exponent = std::strchr(text, 'e')) {
    int power = std::atoi(exponent + 1);
    if (power >= 0 && power < 17)
      std::snprintf(text, sizeof(text), "%.*g", std::max(precision, power + 1),
                    value);
  }
  os << text;
}

class Printer {
public:
  Printer(const Recurrence &rec, raw_ostream &os) : rec(rec), os(os) {}

  void printDims(DimSet dims) {
    os << '[';
    bool first = true;
    for (unsigned i = 0; i < rec.dims.size(); ++i) {
      if (!(dims & (DimSet(1) << i)))
        continue;
      os << (first ? "" : ", ") << rec.dims[i].name;
      first = false;
    }
    os << ']';
  }

  void printType(const TensorDecl &decl) {
    os << decl.name << ": " << toString(decl.type) << '[';
    llvm::interleaveComma(decl.dims, os,
                          [&](unsigned dim) { os << rec.dims[dim].name; });
    os << ']';
  }

  /// Prints \p expr; \p nested puts parentheses around operators, so that
  /// every Binary and Neg below the top is parenthesised.
  void printExpr(const Expr &expr, bool nested) {
    switch (expr.kind) {
    case ExprKind::Number:
      printNumber(os, expr.value);
      return;
    case ExprKind::Ref:
      os << (expr.refKind == RefKind::Let ? rec.lets[expr.refIndex].name
                                          : rec.decls[expr.refIndex].name);
      return;
    case ExprKind::Neg:
      os << (nested ? "(-" : "-");
      printExpr(*expr.operands[0], /*nested=*/true);
      os << (nested ? ")" : "");
      return;
    case ExprKind::Binary:
      os << (nested ? "(" : "");
      printExpr(*expr.operands[0], /*nested=*/true);
      os << ' ' << expr.op << ' ';
      printExpr(*expr.operands[1], /*nested=*/true);
      os << (nested ? ")" : "");
      return;
    case ExprKind::Call:
      os << expr.callee << '(';
      llvm::interleaveComma(expr.operands, os, [&](const ExprPtr &operand) {
        printExpr(*operand, /*nested=*/false);
      });
      os << ')';
      return;
    case ExprKind::Sum:
      os << "sum(" << rec.dims[expr.dim].name << ", ";
      printExpr(*expr.operands[0], /*nested=*/false);
      os << ')';
      return;
    }
    llvm_unreachable("unknown expression kind");
  }

  /// ` = EXPR  : [DIMS]` and the line end.
  void printValue(const Expr &expr) {
    os << " = ";
    printExpr(expr, /*nested=*/false);
    os << "  : ";
    printDims(expr.dims);
    os << '\n';
  }

  void print() {
    os << "recurrence " << rec.name << " (file "
       << llvm::sys::path::filename(rec.fileName) << ")\n";
    os << "  dims ";
    for (unsigned i = 0; i < rec.dims.size(); ++i) {
      const Dim &dim = rec.dims[i];
      os << (i ? ", " : "") << dim.name;
      if (i == rec.timeDim)
        os << " (time)";
      if (dim.size)
        os << " = " << *dim.size;
    }
    os << '\n';
    for (const TensorDecl &decl : rec.decls) {
      if (decl.kind == DeclKind::Output)
        continue;
      os << "  "
         << (decl.kind == DeclKind::Input   ? "input "
             : decl.kind == DeclKind::Param ? "param "
                                            : "state ");
      printType(decl);
      os << '\n';
    }
    for (const Let &let : rec.lets) {
      os << "  let " << let.name;
      printValue(*let.value);
    }
    for (const Update &update : rec.updates) {
      os << "  update " << rec.decls[update.state].name;
      printValue(*update.value);
    }
    for (const Output &output : rec.outputs) {
      os << "  output ";
      printType(rec.decls[output.decl]);
      printValue(*output.value);
    }
  }

private:
  const Recurrence &rec;
  raw_ostream &os;
};

} // namespace

void Recurrence::print(raw_ostream &os) const { Printer(*this, os).print(); }
