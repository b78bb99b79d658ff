//===- SSMDialect.cpp - registration of the ssm dialect -------------------===//
#include "ssmc/Dialect/SSM/IR/SSMDialect.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

using namespace mlir;
using namespace ssmc::ssm;

#include "ssmc/Dialect/SSM/IR/SSMOpsDialect.cpp.inc"

void SSMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ssmc/Dialect/SSM/IR/SSMOps.cpp.inc"
      >();
}
