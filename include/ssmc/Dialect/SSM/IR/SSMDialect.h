//===- SSMDialect.h - the ssm dialect ---------------------------*- C++ -*-===//
//
// Declares the ssm dialect class (generated from SSMBase.td).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_DIALECT_SSM_IR_SSMDIALECT_H
#define SSMC_DIALECT_SSM_IR_SSMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "ssmc/Dialect/SSM/IR/SSMOpsDialect.h.inc"

#endif // SSMC_DIALECT_SSM_IR_SSMDIALECT_H
