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

def SSMDeriveRecurrenceForms : Pass<"ssm-derive-recurrence-forms"> {
  let summary = "Choose the algorithm of each ssm.recurrence (remarks say why)";
  let description = [{
    Analyses every `ssm.recurrence` and reports, as a remark on the op,
    which form it takes and why:

    - an update that is not linear in the states is an error (the parallel
      and chunked forms rest on linearity);
    - one state over (outer..., k, v) updated as `S' = a * S + K * V`, with a
      decay `a` that does not vary along `v` (one per step, or one per key
      dimension `k`), an input that is an outer product of a factor over `k`
      and one over `v`, and outputs that read the state only through
      `sum(k, Q * S')`, becomes the chunked dual form: elementwise
      `linalg.generic` ops for Q, K, V and log(a), `ssm.linear_attention`
      over the flattened outer dimensions, and an elementwise epilogue per
      output;
    - everything else (diagonal decays over every state dimension as in
      Mamba-1 and HGRN, coupled states, transitions through a sum as in the
      delta rule) stays `ssm.recurrence`, lowered as a sequential scan.

    Before that, Mamba-1's selective scan and Mamba-2's SSD written as
    recurrences (the papers' equations, in any layout) become
    `ssm.selective_scan` and `ssm.ssd`, whose kernels are tuned for every
    target; `builtins=false` turns this off.

    `form=sequential` keeps every recurrence in the sequential form.
  }];
  let options = [
    Option<"form", "form", "std::string", /*default=*/"\"auto\"",
           "auto (the analysis decides) or sequential">,
    Option<"builtins", "builtins", "bool", /*default=*/"true",
           "Recognise Mamba-1's selective scan and Mamba-2's SSD">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numChunked", "num-chunked",
              "Recurrences rewritten into the chunked form">,
    Statistic<"numSequential", "num-sequential",
              "Recurrences kept in the sequential form">,
    Statistic<"numBuiltin", "num-builtin",
              "Recurrences rewritten into built-in ops">
  ];
}

def SSMExpandActivations : Pass<"ssm-expand-activations"> {
  let summary = "Rewrite the scalar ssm activations into arith and math";
  let description = [{
    `ssm.softplus`, `ssm.sigmoid`, `ssm.logsigmoid` and `ssm.silu` (kept as
    ops so that analyses recognise them) become arith/math: softplus(x) = x
    for x > 20, else log1p(exp(x)); sigmoid(x) = 1 / (1 + exp(-x));
    logsigmoid(x) = -softplus(-x); silu(x) = x / (1 + exp(-x)).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect"
  ];
}

#endif // SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD
