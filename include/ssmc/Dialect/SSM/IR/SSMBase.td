// The ssm dialect: its definition and the type constraints its ops share.
#ifndef SSMC_DIALECT_SSM_IR_SSMBASE_TD
#define SSMC_DIALECT_SSM_IR_SSMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def SSM_Dialect : Dialect {
  let name = "ssm";
  let summary = "State space model operations: scans, SSD blocks, convs, norms, mixers";
  let description = [{
    The `ssm` dialect holds the operations of selective state space models
    (Mamba's S6 selective scan, Mamba-2's SSD block), the causal depthwise
    convolution they use, their one-token decode step, a generic associative
    scan whose combiner is a region, the RMS norms, and the model-level mixers
    that take their weights as operands. All ops work on tensors whose batch
    and length dimensions may be dynamic. The math of every op is fixed by the
    project's SEMANTICS.md; the float64 evaluator in runtime/reference is its
    executable form.
  }];
  let cppNamespace = "::ssmc::ssm";
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

/// Activations and parameters: ranked tensors of f16, bf16, f32 (f64 for
/// reference runs).
def SSM_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
/// Sequence indices of packed variable-length batches.
def SSM_IndexTensor : RankedTensorOf<[I32, I64]>;

class SSM_Op<string mnemonic, list<Trait> traits = []> :
    Op<SSM_Dialect, mnemonic, traits>;

#endif // SSMC_DIALECT_SSM_IR_SSMBASE_TD
