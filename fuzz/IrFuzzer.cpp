//===- IrFuzzer.cpp - fuzzes the parsing and verification of ssm IR -------===//
//
// The input is MLIR text over the func, arith, math, tensor and ssm dialects
// (what ssmc-opt reads in test/Dialect/SSM). Parsing it, then verifying it,
// must not crash, hang or leak. A module that parses and verifies must print,
// in the custom and in the generic form, to text that parses and verifies
// again and prints the same: the ssm ops' printers, parsers and verifiers
// agree with one another.
//
// Each input gets a fresh context, so that a finding replays on its own;
// diagnostics are swallowed (the fuzzer would spend its time writing them).
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"

#include "ssmc/Dialect/SSM/IR/SSMDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

using namespace mlir;

namespace {

/// The dialects of the ssm tests; unregistered dialects are refused.
const DialectRegistry &registry() {
  static const DialectRegistry dialects = [] {
    DialectRegistry r;
    r.insert<arith::ArithDialect, func::FuncDialect, math::MathDialect,
             tensor::TensorDialect, ssmc::ssm::SSMDialect>();
    return r;
  }();
  return dialects;
}

std::string print(ModuleOp module, bool generic) {
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, flags);
  return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // MLIR's lexer reads the terminating NUL that a std::string keeps.
  std::string text(reinterpret_cast<const char *>(data), size);
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  // The last error, for the report of a printed module that does not read
  // back.
  std::string lastError;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      lastError = diag.str();
    return success();
  });
  ParserConfig config(&context, /*verifyAfterParse=*/false);

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, config, "fuzz.mlir");
  if (!module || failed(verify(*module)))
    return 0;

  for (bool generic : {false, true}) {
    const char *form = generic ? "generic form" : "custom form";
    std::string once = print(*module, generic);
    lastError.clear();
    OwningOpRef<ModuleOp> back =
        parseSourceString<ModuleOp>(once, config, "printed.mlir");
    SSMC_FUZZ_CHECK(back, std::string(form) + " does not parse: " + lastError +
                              "\n" + once);
    SSMC_FUZZ_CHECK(succeeded(verify(*back)),
                    std::string(form) + " does not verify: " + lastError +
                        "\n" + once);
    std::string twice = print(*back, generic);
    SSMC_FUZZ_CHECK(once == twice, std::string(form) +
                                       " changes when read back:\n" + once +
                                       "\n---\n" + twice);
  }
  return 0;
}
