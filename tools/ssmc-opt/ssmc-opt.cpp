//===- ssmc-opt.cpp - mlir-opt with the ssm dialect and passes ------------===//
//
// The driver for lit tests and pass debugging: every upstream dialect, pass
// and extension, plus ssmc's.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/GPU/Pipeline.h"
#include "ssmc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  ssmc::registerAllPasses();
  ssmc::registerCPUPipelines();
  ssmc::registerGPUPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  ssmc::registerAllDialects(registry);
  ssmc::registerGPUCompilerExtensions(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "ssmc optimizer driver: the ssm dialect and its passes\n",
      registry));
}
