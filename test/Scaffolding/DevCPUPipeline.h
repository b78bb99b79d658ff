//===- DevCPUPipeline.h - stand-in CPU pipeline for tests ------*- C++ -*-===//
//
// TEST SCAFFOLDING, not part of the compiler: a pipeline of upstream passes
// that lowers functions of plain linalg/arith/math on tensors to the LLVM
// dialect with the entry ABI of ssmc/Codegen/CPU/Pipeline.h. `ssmc` links it
// only while codegen/CPU (ssmc::buildCPULoweringPipeline) is not in the
// build, so that the runtime and the driver can be tested end to end.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_TEST_SCAFFOLDING_DEVCPUPIPELINE_H
#define SSMC_TEST_SCAFFOLDING_DEVCPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace ssmc {
namespace dev {

/// Appends the stand-in lowering to \p pm (anchored on builtin.module).
void buildDevCPUPipeline(mlir::OpPassManager &pm);

} // namespace dev
} // namespace ssmc

#endif // SSMC_TEST_SCAFFOLDING_DEVCPUPIPELINE_H
