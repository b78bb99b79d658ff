//===- AST.h - the checked syntax tree of a *.ssm recurrence --------------===//
//
// What the DSL parser (frontends/dsl) produces once a file has parsed and
// passed its checks: the recurrence's dimensions, its declarations in file
// order, and the expressions of its lets, updates and outputs with the set of
// named dimensions each one ranges over. docs/dsl.md is the language.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_AST_H
#define SSMC_FRONTENDS_DSL_AST_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::dsl {

/// A set of dimensions: bit i is the i-th entry of Recurrence::dims.
using DimSet = uint64_t;

/// Element types a declaration may name.
enum class ElemType { F32, F16, BF16 };
llvm::StringRef toString(ElemType type);

struct Dim {
  std::string name;
  std::optional<int64_t> size; ///< set by `dims ..., k = 128`
  llvm::SMLoc loc;
};

enum class DeclKind { Input, Param, State, Output };

/// An `input`, `param`, `state` or `output` declaration: a tensor of named
/// dimensions in this (row-major) order.
struct TensorDecl {
  DeclKind kind;
  std::string name;
  ElemType type;
  std::vector<unsigned> dims; ///< indices into Recurrence::dims, in order
  llvm::SMLoc loc;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Number,  ///< a literal (value)
  Ref,     ///< a name: an input, param, state or let (refKind, refIndex)
  Neg,     ///< -operands[0]
  Binary,  ///< operands[0] op operands[1]; op is one of + - * /
  Call,    ///< callee(operands...): exp log sqrt tanh sin cos abs softplus
           ///< sigmoid logsigmoid silu (one operand), max min (two)
  Sum,     ///< sum(dim, operands[0])
};

enum class RefKind { Input, Param, State, Let };

struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;
  /// The dimensions the value ranges over (the time dimension never: an
  /// input is seen one step at a time). Filled in by the checks.
  DimSet dims = 0;
  double value = 0;          ///< Number
  RefKind refKind = RefKind::Input;
  unsigned refIndex = 0;     ///< Ref: index into Recurrence::decls or ::lets
  char op = 0;               ///< Binary: '+', '-', '*', '/'
  std::string callee;        ///< Call
  unsigned dim = 0;          ///< Sum: the dimension summed over
  std::vector<ExprPtr> operands;
};

/// `let NAME = EXPR`: a per-step value (it never reads a state).
struct Let {
  std::string name;
  ExprPtr value;
  llvm::SMLoc loc;
};

/// `update STATE = EXPR`: the state's value after the step, computed from
/// the previous step's states (all updates are simultaneous).
struct Update {
  unsigned state; ///< index into Recurrence::decls
  ExprPtr value;
  llvm::SMLoc loc;
};

/// `output NAME: TYPE[DIMS] = EXPR`: a per-step result computed from the
/// updated states.
struct Output {
  unsigned decl; ///< index into Recurrence::decls (kind Output)
  ExprPtr value;
};

struct Recurrence {
  std::string name;
  std::string fileName;
  std::vector<Dim> dims;
  unsigned timeDim = 0;
  /// inputs, params, states and outputs in file order
  std::vector<TensorDecl> decls;
  std::vector<Let> lets;       ///< in file order
  std::vector<Update> updates; ///< one per state, in the states' order
  std::vector<Output> outputs; ///< in file order

  /// The bits of \p decl's dimensions, without the time dimension.
  DimSet dimsOf(const TensorDecl &decl) const;
  /// Prints the tree with every expression's dimensions (`--emit=ast`).
  void print(llvm::raw_ostream &os) const;
};

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_AST_H
