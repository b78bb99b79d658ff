// The transformation passes of the ssm dialect.
#ifndef SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD
#define SSMC_DIALECT_SSM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMDecomposeMixers : Pass<"ssm-decompose-mixers"> {
  let summary = "Rewrite the model-level ops (mixers, embedding, linear) into primitive ops";
  let description = [{
    Replaces each model-level mixer (with its caches when it has them) by
    the ops it is made of: projections as
    `linalg.generic` contractions, splits as `tensor.extract_slice`, layout
    changes as `linalg.transpose` and `tensor.expand_shape`/`collapse_shape`,
    `A = -exp(A_log)` as an elementwise `linalg.generic`, and the ssm
    primitives `ssm.causal_conv1d`, `ssm.selective_scan`, `ssm.ssd` and
    `ssm.gated_rms_norm`. Intermediates are computed in f32 (the residual
    stream's type); inputs of another type are extended on entry and the
    result truncated back. `ssm.embedding` becomes a gather
    (`linalg.generic` reading the table; a sharded table reads `ssm.tp_rank`)
    and `ssm.linear` a projection.
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

def SSMShardTensorParallel : Pass<"ssm-shard-tensor-parallel",
                                  "::mlir::ModuleOp"> {
  let summary = "Split a model module's weights over N tensor-parallel ranks";
  let description = [{
    Rewrites every function of a model module into the program each of
    `world-size` ranks runs on its own slice of the weights (one program for
    all ranks: the slices have the same shapes, and the rank is read at run
    time where it matters):

    - `ssm.mamba_mixer`: the d channels split (in_proj column-parallel, its x
      and z halves each; conv, x_proj's input channels, dt_proj, A, D and the
      scan local); x_proj's output is summed over the ranks inside the mixer;
    - `ssm.mamba2_mixer`: the h heads split, and with them z, x, dt, the norm
      weight; the g groups of B/C split when N divides g, held whole by every
      rank when g = 1; the gated norm local when its group lies within a
      rank's channels, else (the whole-width norm) its sum of squares summed
      over the ranks;
    - the mixer's out_proj row-parallel: an `ssm.all_reduce` of its partial
      product, the out_proj bias added after it;
    - `ssm.embedding`: the table split by vocabulary rows, then an
      `ssm.all_reduce`; `ssm.linear` (the lm_head): split by output features,
      then an `ssm.all_gather` of the last dimension.

    Weights and caches must be function arguments (the conv weight may pass
    through one tensor.collapse_shape). Each sharded weight argument takes
    its local type and the attribute `ssm.shard = {dim, full, pieces}`: the
    full shape, and along `dim` the pieces [start, size, split] (split: rank
    r takes [start + r size, start + (r + 1) size), else every rank the same
    [start, start + size)) whose concatenation is the rank's slice; the
    runtime loads exactly that. A world size that does not divide the heads,
    groups, channels or vocabulary is an error naming the op and the size.
  }];
  let options = [
    Option<"worldSize", "world-size", "int64_t", /*default=*/"1",
           "The number of ranks (tensor-parallel world size)">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numShardedOps", "num-sharded-ops",
              "Number of mixers, embeddings and linears sharded">,
    Statistic<"numCollectives", "num-collectives",
              "Number of all-reduce and all-gather ops inserted">
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
