//===- SSMOps.h - operations of the ssm dialect -----------------*- C++ -*-===//
//
// Declares the ssm ops (generated from SSMOps.td).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_DIALECT_SSM_IR_SSMOPS_H
#define SSMC_DIALECT_SSM_IR_SSMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "ssmc/Dialect/SSM/IR/SSMDialect.h"

#define GET_OP_CLASSES
#include "ssmc/Dialect/SSM/IR/SSMOps.h.inc"

#endif // SSMC_DIALECT_SSM_IR_SSMOPS_H
