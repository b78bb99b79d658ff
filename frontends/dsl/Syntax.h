//===- Syntax.h - the unchecked statements of a *.ssm file ----------------===//
//
// What the parser hands to the checks (Sema): one statement at a time, with
// names still unresolved. A statement that failed to parse keeps whatever was
// read before the error, so that the checks can stay quiet about it.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_SYNTAX_H
#define SSMC_FRONTENDS_DSL_SYNTAX_H

#include "ssmc/Frontends/DSL/AST.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <memory>
#include <optional>
#include <vector>

namespace ssmc::dsl::syntax {

/// A name and where it was written.
struct Name {
  llvm::StringRef text;
  llvm::SMLoc loc;
};

enum class ExprKind {
  Number, ///< value
  Name,   ///< name
  Neg,    ///< -operands[0]
  Binary, ///< operands[0] op operands[1]
  Call,   ///< name(operands...), `sum` included
};

struct Expr {
  ExprKind kind;
  /// The number, the name or the callee; for Neg and Binary the operator.
  Name name;
  double value = 0;
  char op = 0;
  /// The height of the tree below (a leaf is 1); the parser bounds it so
  /// that the recursive checks cannot run out of stack.
  unsigned depth = 1;
  std::vector<std::unique_ptr<Expr>> operands;

  /// Where the expression's text starts (a Binary's `op` is in the middle).
  llvm::SMLoc begin() const {
    return kind == ExprKind::Binary ? operands[0]->begin() : name.loc;
  }
};

/// One entry of `dims`: a name and, after `=`, the spelling of its size.
struct DimEntry {
  Name name;
  std::optional<Name> size;
};

/// `TYPE[DIM, ...]`.
struct TensorType {
  Name elemType;
  ElemType type = ElemType::F32;
  std::vector<Name> dims;
};

enum class StmtKind {
  /// A line that did not start with a statement keyword.
  Unknown,
  Recurrence,
  Dims,
  Time,
  Input,
  Param,
  State,
  Let,
  Update,
  Output,
};

struct Stmt {
  StmtKind kind = StmtKind::Unknown;
  /// The statement keyword.
  llvm::SMLoc loc;
  /// False when the statement did not parse (an error has been reported);
  /// the fields below are then filled only as far as the parser got.
  bool valid = false;
  /// The declared, updated or timed name (empty when not read).
  Name name;
  std::vector<DimEntry> dims;     ///< Dims
  std::optional<TensorType> type; ///< Input, Param, State, Output
  std::unique_ptr<Expr> value;    ///< Let, Update, Output
};

} // namespace ssmc::dsl::syntax

#endif // SSMC_FRONTENDS_DSL_SYNTAX_H
