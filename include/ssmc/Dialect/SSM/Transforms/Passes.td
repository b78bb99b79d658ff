// The transformation passes of the ssm dialect.
#ifndef SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD
#define SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMDecomposeMixers : Pass<"ssm-decompose-mixers"> {
  let summary = "Rewrite ssm.mamba_mixer and ssm.mamba2_mixer into primitive ops";
  let description = [{
    Replaces each model-level mixer by the ops it is made of: projections as
    `linalg.generic` contractions, splits as `tensor.extract_slice`, layout
    changes as `linalg.transpose` and `tensor.expand_shape`/`collapse_shape`,
    `A = -exp(A_log)` as an elementwise `linalg.generic`, and the ssm
    primitives `ssm.causal_conv1d`, `ssm.selective_scan`, `ssm.ssd` and
    `ssm.gated_rms_norm`. Intermediates are computed in f32 (the residual
    stream's type); inputs of another type are extended on entry and the
    result truncated back.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numMambaMixers", "num-mamba-mixers",
              "Number of ssm.mamba_mixer ops decomposed">,
    Statistic<"numMamba2Mixers", "num-mamba2-mixers",
              "Number of ssm.mamba2_mixer ops decomposed">
  ];
}

#endif // SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD
