//===- RunCommand.h - `ssmc run` ------------------------------*- C++ -*-===//
#ifndef SSMC_TOOLS_RUNCOMMAND_H
#define SSMC_TOOLS_RUNCOMMAND_H

#include "llvm/Support/CommandLine.h"

/// The `run` subcommand and its options' category.
extern llvm::cl::SubCommand ssmcRunCmd;
const llvm::cl::OptionCategory &ssmcRunCategory();
/// Runs `ssmc run` with the parsed options; the exit code.
int runModelCommand();

#endif // SSMC_TOOLS_RUNCOMMAND_H
