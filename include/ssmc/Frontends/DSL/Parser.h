//===- Parser.h - reading and checking a *.ssm recurrence -----------------===//
//
// The entry points of the DSL frontend: lex, parse and check one buffer into
// the AST of AST.h, reporting every error through the SourceMgr.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTENDS_DSL_PARSER_H
#define SSMC_FRONTENDS_DSL_PARSER_H

#include "ssmc/Frontends/DSL/AST.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>

namespace ssmc::dsl {

/// The most errors reported for one buffer; past it a note says that the
/// frontend stopped.
constexpr unsigned kMaxErrors = 20;

/// Lexes, parses and checks buffer \p bufferId of \p sourceMgr. On success
/// returns the checked recurrence (its fileName is the buffer's identifier).
/// On failure prints every error found (up to kMaxErrors) through
/// `sourceMgr.PrintMessage` as `file:line:col: error: ...` and returns null.
std::unique_ptr<Recurrence> parseRecurrence(llvm::SourceMgr &sourceMgr,
                                            unsigned bufferId);

/// Opens \p path ("-" reads standard input), adds it to \p sourceMgr and
/// parses it as parseRecurrence does. Returns null with \p ioError set to
/// "cannot open PATH: REASON" when the file cannot be read, and null with
/// \p ioError empty when the diagnostics have been printed.
std::unique_ptr<Recurrence> parseRecurrenceFile(llvm::StringRef path,
                                                llvm::SourceMgr &sourceMgr,
                                                std::string &ioError);

} // namespace ssmc::dsl

#endif // SSMC_FRONTENDS_DSL_PARSER_H
