//===- InitAll.h - register ssmc's dialects and passes ----------*- C++ -*-===//
#ifndef SSMC_INITALL_H
#define SSMC_INITALL_H

#include "ssmc/Codegen/CPU/Pipeline.h"
#include "ssmc/Conversion/Passes.h"
#include "ssmc/Dialect/SSM/IR/SSMDialect.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"

namespace ssmc {

/// Adds ssmc's own dialects to `registry`.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<ssm::SSMDialect>();
}

/// Registers ssmc's own passes with the global pass registry.
inline void registerAllPasses() {
  ssm::registerSSMPasses();
  registerSSMConversionPasses();
}

} // namespace ssmc

#endif // SSMC_INITALL_H
