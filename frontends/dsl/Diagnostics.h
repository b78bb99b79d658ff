//===- Diagnostics.h - error reporting for the DSL frontend ---------------===//
//
// Errors of the lexer, the parser and the checks go through one Diagnostics,
// which prints them through the SourceMgr and stops after kMaxErrors.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_DIAGNOSTICS_H
#define SSMC_FRONTENDS_DSL_DIAGNOSTICS_H

#include "ssmc/Frontends/DSL/Parser.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

namespace ssmc::dsl {

class Diagnostics {
public:
  Diagnostics(llvm::SourceMgr &sourceMgr, unsigned bufferId)
      : sourceMgr(sourceMgr), bufferId(bufferId) {}

  /// Reports an error at \p loc. The error past kMaxErrors prints a note that
  /// the frontend stops instead, and later ones print nothing.
  void error(llvm::SMLoc loc, const llvm::Twine &message) {
    if (errorCount < kMaxErrors)
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
    else if (errorCount == kMaxErrors)
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note,
                             "too many errors, stopping here");
    ++errorCount;
  }

  unsigned numErrors() const { return errorCount; }
  /// Whether the error limit has been passed: the caller may stop early.
  bool stopped() const { return errorCount > kMaxErrors; }

  /// "LINE:COL" (both from 1) of \p loc, for messages that point back.
  std::string position(llvm::SMLoc loc) const {
    auto [line, column] = sourceMgr.getLineAndColumn(loc, bufferId);
    return std::to_string(line) + ":" + std::to_string(column);
  }

private:
  llvm::SourceMgr &sourceMgr;
  unsigned bufferId;
  unsigned errorCount = 0;
};

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_DIAGNOSTICS_H
