//===- Sema.h - the checks of a *.ssm recurrence --------------------------===//
//
// Sema takes the parser's statements one at a time, resolves their names,
// infers the dimensions of every expression, reports what breaks the rules of
// docs/dsl.md and fills in the Recurrence. Errors that follow from an
// earlier one (a use of a name whose declaration failed) are not reported.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_SEMA_H
#define SSMC_FRONTENDS_DSL_SEMA_H

#include "Diagnostics.h"
#include "Syntax.h"

#include "ssmc/Frontends/DSL/AST.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SMLoc.h"

#include <optional>
#include <vector>

namespace ssmc::dsl {

class Sema {
public:
  Sema(Diagnostics &diags, Recurrence &recurrence)
      : diags(diags), rec(recurrence) {}

  /// Checks one statement and adds what it declares to the recurrence.
  void check(const syntax::Stmt &stmt);
  /// The checks that need the whole file; \p start is the buffer's start,
  /// for errors that have no better place. Orders the updates by state.
  void finish(llvm::SMLoc start);

private:
  /// What a name stands for.
  struct Symbol {
    enum class Kind {
      Dim,  ///< index into Recurrence::dims
      Decl, ///< index into Recurrence::decls
      Let,  ///< index into Recurrence::lets
      /// A declaration that failed its checks: uses of it stay quiet.
      Broken,
    };
    Kind kind;
    unsigned index;
    llvm::SMLoc loc;
  };
  /// Where an expression is, which decides what a state reference means.
  enum class Context { Let, Update, Output };

  void checkRecurrence(const syntax::Stmt &stmt);
  void checkDims(const syntax::Stmt &stmt);
  void checkTime(const syntax::Stmt &stmt);
  void checkTensorDecl(const syntax::Stmt &stmt);
  void checkLet(const syntax::Stmt &stmt);
  void checkUpdate(const syntax::Stmt &stmt);

  /// Reports a name that is taken (by a function, a dimension or a
  /// declaration); returns whether \p name is free.
  bool checkNewName(const syntax::Name &name);
  /// Marks a name whose declaration failed, when it is free.
  void markBroken(const syntax::Name &name);
  /// The dimension named \p name, or an error naming the dimensions.
  std::optional<unsigned> lookupDim(const syntax::Name &name);
  /// Resolves an expression and infers its dimensions; null after an error.
  ExprPtr checkExpr(const syntax::Expr &expr, Context context);
  ExprPtr checkName(const syntax::Expr &expr, Context context);
  ExprPtr checkCall(const syntax::Expr &expr, Context context);
  ExprPtr checkSum(const syntax::Expr &expr, Context context);
  /// Reports the dimensions of \p value that \p allowed lacks, at the leaf
  /// that brings the first of them; \p what is the message's start.
  void checkDimsWithin(const Expr &value, DimSet allowed,
                       const llvm::Twine &what, llvm::StringRef owner);

  /// "b, t, h, k, v", for messages.
  std::string dimList() const;
  std::string where(llvm::SMLoc loc) const { return diags.position(loc); }

  Diagnostics &diags;
  Recurrence &rec;
  llvm::StringMap<Symbol> symbols;

  /// The keyword of each header statement seen.
  std::optional<llvm::SMLoc> recurrenceLoc, dimsLoc, timeLoc;
  llvm::SMLoc recurrenceNameLoc;
  /// A statement came before `recurrence`, and that has been reported.
  bool reportedNoRecurrence = false;
  /// `dims` or `time` is missing or wrong: the declarations cannot be
  /// checked, and are skipped without more errors.
  bool headerBroken = false;
  bool sawInput = false, sawState = false, sawOutput = false;
  /// An input or param did not parse or has a bad type, or an update did not
  /// parse: the end-of-file checks that depend on them are skipped.
  bool incompleteSizes = false, incompleteUpdates = false;
  /// The dimensions that appear in some input or param.
  DimSet sizedByUse = 0;
  /// The `update` keyword of each state's update, by decl index.
  std::vector<std::optional<llvm::SMLoc>> updateLocs;
};

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_SEMA_H
