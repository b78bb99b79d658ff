// The operations of the ssm dialect (their math: SEMANTICS.md).
#ifndef SSMC_DIALECT_SSM_IR_SSMOPS_TD
#define SSMC_DIALECT_SSM_IR_SSMOPS_TD

include "ssmc/Dialect/SSM/IR/SSMBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Primitive ops
//===----------------------------------------------------------------------===//

def SSM_SelectiveScanOp : SSM_Op<"selective_scan",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Mamba-1 selective scan (S6)";
  let description = [{
    The selective scan of Mamba-1, per batch element and channel:

        dt   = softplus(delta + delta_bias)      (bias and softplus optional)
        h_t  = exp(dt_t * A) * h_{t-1} + dt_t * B_t * u_t
        y_t  = sum_n C_t[n] * h_t[n] + D * u_t
        out  = y * silu(z)                       (if z is given)

    Shapes: `u`, `delta`, `z`: (b, d, l); `A`: (d, n); `B`, `C`: (b, g, n, l)
    with g dividing d (channel c uses group c / (d/g)); `D`, `delta_bias`: (d);
    `initial_state`: (b, d, n). The optional second result is the final state
    (b, d, n) in f32. The state is accumulated in f32 whatever the input type.

    Packed sequences: with `cu_seqlens` (s + 1) (integers, nondecreasing from
    0 to l), the batch size b must be 1 and the l steps are s sequences one
    after another, sequence i covering steps [cu_seqlens[i], cu_seqlens[i+1]);
    each starts from its own state (`initial_state` (s, d, n), or zero), and
    the final state is (s, d, n), the state after each sequence's last step.

    Example:
    ```mlir
    %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z)
        delta_bias(%db) delta_softplus
        : (tensor<?x64x?xf32>, tensor<?x64x?xf32>, tensor<64x16xf32>,
           tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>, tensor<64xf32>,
           tensor<?x64x?xf32>, tensor<64xf32>)
        -> (tensor<?x64x?xf32>, tensor<?x64x16xf32>)
    ```
  }];
  let arguments = (ins SSM_FloatTensor:$u, SSM_FloatTensor:$delta,
                   SSM_FloatTensor:$A, SSM_FloatTensor:$B, SSM_FloatTensor:$C,
                   Optional<SSM_FloatTensor>:$D, Optional<SSM_FloatTensor>:$z,
                   Optional<SSM_FloatTensor>:$delta_bias,
                   Optional<SSM_FloatTensor>:$initial_state,
                   Optional<SSM_IndexTensor>:$cu_seqlens,
                   UnitAttr:$delta_softplus);
  let results = (outs SSM_FloatTensor:$out,
                  Optional<SSM_FloatTensor>:$final_state);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $B `,` $C
    (`D` `(` $D^ `)`)?
    (`z` `(` $z^ `)`)?
    (`delta_bias` `(` $delta_bias^ `)`)?
    (`initial_state` `(` $initial_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)?
    (`delta_softplus` $delta_softplus^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_SSDOp : SSM_Op<"ssd", [Pure, AttrSizedOperandSegments]> {
  let summary = "Mamba-2 state space dual (SSD) block";
  let description = [{
    The SSD recurrence of Mamba-2, per batch element and head (state (p, n)):

        dt_t = clamp(softplus(dt_t + dt_bias), lo, hi)   (each step optional)
        H_t  = exp(dt_t * A) * H_{t-1} + dt_t * x_t (outer) B_t
        y_t  = H_t C_t + D * x_t
        out  = y * silu(z)                                (if z is given)

    Shapes: `x`, `z`: (b, l, h, p); `dt`: (b, l, h); `A`: (h); `B`, `C`:
    (b, l, g, n) with g dividing h; `D`: (h) or (h, p); `dt_bias`: (h);
    `initial_states`: (b, h, p, n); `seq_idx`: (b, l), the state is reset
    where its value changes along l. Packed sequences the other way:
    `cu_seqlens` (s + 1) with b = 1, sequence i covering steps
    [cu_seqlens[i], cu_seqlens[i+1]), each from its own state
    (`initial_states` (s, h, p, n), or zero), the final states (s, h, p, n)
    one per sequence (not with `seq_idx`). `chunk_size` (a power of two) is the
    chunk length of the dual form that lowering may choose. The optional
    second result is the final state (b, h, p, n) in f32.

    With `unscaled_input`, x_t enters the state unscaled (H_t = exp(dt_t A)
    H_{t-1} + x_t (outer) B_t): dt then only sets a decay per head and step,
    the form of RetNet and gated linear attention with a scalar decay.
  }];
  let arguments = (ins SSM_FloatTensor:$x, SSM_FloatTensor:$dt,
                   SSM_FloatTensor:$A, SSM_FloatTensor:$B, SSM_FloatTensor:$C,
                   Optional<SSM_FloatTensor>:$D, Optional<SSM_FloatTensor>:$z,
                   Optional<SSM_FloatTensor>:$dt_bias,
                   Optional<SSM_FloatTensor>:$initial_states,
                   Optional<SSM_IndexTensor>:$seq_idx,
                   Optional<SSM_IndexTensor>:$cu_seqlens,
                   I64Attr:$chunk_size, UnitAttr:$dt_softplus,
                   OptionalAttr<DenseF64ArrayAttr>:$dt_limit,
                   UnitAttr:$unscaled_input);
  let results = (outs SSM_FloatTensor:$out,
                  Optional<SSM_FloatTensor>:$final_states);
  let assemblyFormat = [{
    $x `,` $dt `,` $A `,` $B `,` $C
    `chunk_size` `=` $chunk_size
    (`D` `(` $D^ `)`)?
    (`z` `(` $z^ `)`)?
    (`dt_bias` `(` $dt_bias^ `)`)?
    (`initial_states` `(` $initial_states^ `)`)?
    (`seq_idx` `(` $seq_idx^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)?
    (`dt_softplus` $dt_softplus^)?
    (`dt_limit` `=` $dt_limit^)?
    (`unscaled_input` $unscaled_input^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_CausalConv1dOp : SSM_Op<"causal_conv1d",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Causal depthwise 1-D convolution, optionally followed by silu";
  let description = [{
    `x` (b, c, l), `weight` (c, k), optional `bias` (c):
    y[t] = bias + sum_{j<k} weight[k-1-j] * x[t-j], then silu if `silu` is set.
    Inputs before t = 0 are zero, or come from `conv_state` (b, c, k-1), the
    previous k-1 inputs, oldest first (the decode cache). The optional second
    result is the new cache: the last k-1 inputs (b, c, k-1).
    With `cu_seqlens` (s + 1) and b = 1, the l steps are s packed sequences
    (sequence i: steps [cu_seqlens[i], cu_seqlens[i+1])): no tap reaches
    into another sequence, `conv_state` and the new cache are (s, c, k-1),
    one per sequence.
  }];
  let arguments = (ins SSM_FloatTensor:$x, SSM_FloatTensor:$weight,
                   Optional<SSM_FloatTensor>:$bias,
                   Optional<SSM_FloatTensor>:$conv_state,
                   Optional<SSM_IndexTensor>:$cu_seqlens,
                   UnitAttr:$silu);
  let results = (outs SSM_FloatTensor:$y,
                  Optional<SSM_FloatTensor>:$new_conv_state);
  let assemblyFormat = [{
    $x `,` $weight
    (`bias` `(` $bias^ `)`)?
    (`conv_state` `(` $conv_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)?
    (`silu` $silu^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_StateUpdateOp : SSM_Op<"state_update",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "One-token decode step of the selective scan or of SSD";
  let description = [{
    Applies one step of a recurrence to a cached state and returns the token's
    output and the new state (bufferized in place of the old one).

    Mamba-1 layout (state of rank 3): `state` (b, d, n), `x`, `dt`, `z`:
    (b, d); `A` (d, n); `B`, `C`: (b, g, n); `D`, `dt_bias`: (d).

    Mamba-2 layout (state of rank 4): `state` (b, h, p, n), `x`, `z`:
    (b, h, p); `dt` (b, h); `A` (h); `B`, `C`: (b, g, n); `D`: (h) or (h, p);
    `dt_bias`: (h); `dt_limit` is only allowed here.
  }];
  let arguments = (ins SSM_FloatTensor:$state, SSM_FloatTensor:$x,
                   SSM_FloatTensor:$dt, SSM_FloatTensor:$A,
                   SSM_FloatTensor:$B, SSM_FloatTensor:$C,
                   Optional<SSM_FloatTensor>:$D, Optional<SSM_FloatTensor>:$z,
                   Optional<SSM_FloatTensor>:$dt_bias,
                   UnitAttr:$dt_softplus,
                   OptionalAttr<DenseF64ArrayAttr>:$dt_limit);
  let results = (outs SSM_FloatTensor:$y, SSM_FloatTensor:$new_state);
  let assemblyFormat = [{
    $state `,` $x `,` $dt `,` $A `,` $B `,` $C
    (`D` `(` $D^ `)`)?
    (`z` `(` $z^ `)`)?
    (`dt_bias` `(` $dt_bias^ `)`)?
    (`dt_softplus` $dt_softplus^)?
    (`dt_limit` `=` $dt_limit^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_ScanOp : SSM_Op<"scan", [RecursiveMemoryEffects, InferTypeOpAdaptor]> {
  let summary = "Generic inclusive associative scan along one dimension";
  let description = [{
    Scans tensors of one shape along `dimension` with the associative
    combiner in the region: out[0] = in[0], out[t] = combine(out[t-1], in[t])
    (walking from the end when `reverse` is set). The region takes the
    accumulated elements followed by the next elements (2N scalars for N
    inputs) and yields N scalars. Associativity is the author's promise; it
    lets lowering pick a chunked or tree-shaped schedule.

    The first-order linear recurrence h_t = a_t h_{t-1} + b_t:
    ```mlir
    %a_out, %h = ssm.scan %a, %b dimension = 1
        : tensor<?x?xf32>, tensor<?x?xf32> {
    ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
      %aa = arith.mulf %a0, %a1 : f32
      %ab = arith.mulf %a1, %b0 : f32
      %bb = arith.addf %ab, %b1 : f32
      ssm.yield %aa, %bb : f32, f32
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                   I64Attr:$dimension, UnitAttr:$reverse);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$combiner);
  let assemblyFormat = [{
    $inputs `dimension` `=` $dimension (`reverse` $reverse^)?
    attr-dict `:` type($inputs) $combiner
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def SSM_YieldOp : SSM_Op<"yield", [Pure, Terminator, ReturnLike,
                                   HasParent<"ScanOp">]> {
  let summary = "Yields the combined elements of an ssm.scan combiner";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def SSM_RMSNormOp : SSM_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalisation over the last dimension";
  let description = [{
    y = x / sqrt(mean(x^2) + eps) * weight, the mean over the last dimension
    d of `x` (..., d); `weight` is (d).
  }];
  let arguments = (ins SSM_FloatTensor:$x, SSM_FloatTensor:$weight,
                   F64Attr:$eps);
  let results = (outs SSM_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $weight `eps` `=` $eps attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_GatedRMSNormOp : SSM_Op<"gated_rms_norm", [Pure]> {
  let summary = "Mamba-2's gated RMS normalisation, per group of channels";
  let description = [{
    y = rmsnorm(x * silu(z)) * weight, the gate applied before the norm, the
    mean of squares taken over each contiguous group of `group_size` channels
    of the last dimension d (group_size divides d; group_size = d is the
    whole-width norm of HF transformers). `x`, `z`: (..., d); `weight`: (d).
  }];
  let arguments = (ins SSM_FloatTensor:$x, SSM_FloatTensor:$z,
                   SSM_FloatTensor:$weight, I64Attr:$group_size,
                   F64Attr:$eps);
  let results = (outs SSM_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $z `,` $weight `group_size` `=` $group_size `eps` `=` $eps
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Model-level mixers
//===----------------------------------------------------------------------===//

def SSM_MambaMixerOp : SSM_Op<"mamba_mixer", [Pure, AttrSizedOperandSegments]> {
  let summary = "The Mamba-1 mixer, with its weights as operands";
  let description = [{
    hidden (b, l, d_model) -> (b, l, d_model):

        [x, z] = in_proj(hidden)                         (2d outputs)
        x      = silu(causal_conv1d(x, conv1d))          (over l, per channel)
        [dt_low, B, C] = x_proj(x)                       (r + 2n outputs)
        y      = selective_scan(x, dt_proj(dt_low), -exp(A_log), B, C, D, z,
                                delta_bias = dt_proj.bias, delta_softplus)
        out    = out_proj(y)

    Weights in the checkpoint layout (out, in) for projections: in_proj
    (2d, d_model) and bias (2d); conv1d (d, k) and bias (d); x_proj
    (r + 2n, d); dt_proj (d, r) and bias (d); A_log (d, n); D (d); out_proj
    (d_model, d) and bias (d_model). `ssm-decompose-mixers` rewrites it into
    the primitive ops.

    Caches (the model's decode path): `conv_state` (b, d, k - 1) and
    `ssm_state` (b, d, n) are the states before the first step (absent:
    zeros); with two more results the op also returns both after the last
    step (f32). With `cu_seqlens` (s + 1), b = 1 and the l steps are s packed
    sequences, each from its own state, the states (s, ...), one per
    sequence. With one token (l = 1), both states given and returned, the op
    is a decode step (ssm.state_update).

    `a_given`: operand `A_log` holds A = -exp(A_log) itself (the model
    runtime computes it once at load).

    `world_size` = N: the op is one rank's shard of a tensor-parallel mixer
    (ssm-shard-tensor-parallel): its d channels are this rank's d of N d;
    x_proj sees only these channels, so its output is summed over the ranks
    (an ssm.all_reduce inside); `out` is this rank's partial out_proj
    product, which the caller sums over the ranks.
  }];
  let arguments = (ins SSM_FloatTensor:$hidden,
                   SSM_FloatTensor:$in_proj_weight,
                   Optional<SSM_FloatTensor>:$in_proj_bias,
                   SSM_FloatTensor:$conv_weight,
                   Optional<SSM_FloatTensor>:$conv_bias,
                   SSM_FloatTensor:$x_proj_weight,
                   SSM_FloatTensor:$dt_proj_weight,
                   SSM_FloatTensor:$dt_proj_bias,
                   SSM_FloatTensor:$A_log, SSM_FloatTensor:$D,
                   SSM_FloatTensor:$out_proj_weight,
                   Optional<SSM_FloatTensor>:$out_proj_bias,
                   Optional<SSM_FloatTensor>:$conv_state,
                   Optional<SSM_FloatTensor>:$ssm_state,
                   Optional<SSM_IndexTensor>:$cu_seqlens,
                   UnitAttr:$a_given, OptionalAttr<I64Attr>:$world_size);
  let results = (outs SSM_FloatTensor:$out,
                  Variadic<SSM_FloatTensor>:$states_out);
  let assemblyFormat = [{
    $hidden
    `in_proj` `(` $in_proj_weight (`,` $in_proj_bias^)? `)`
    `conv1d` `(` $conv_weight (`,` $conv_bias^)? `)`
    `x_proj` `(` $x_proj_weight `)`
    `dt_proj` `(` $dt_proj_weight `,` $dt_proj_bias `)`
    `A_log` `(` $A_log `)`
    `D` `(` $D `)`
    `out_proj` `(` $out_proj_weight (`,` $out_proj_bias^)? `)`
    (`conv_state` `(` $conv_state^ `)`)?
    (`ssm_state` `(` $ssm_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)?
    (`a_given` $a_given^)?
    (`world_size` `=` $world_size^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_Mamba2MixerOp : SSM_Op<"mamba2_mixer",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "The Mamba-2 mixer, with its weights as operands";
  let description = [{
    hidden (b, l, d_model) -> (b, l, d_model), with h heads of p = head_dim
    channels (d = h p), g = n_groups groups of B/C and state size n:

        [z, xBC, dt] = in_proj(hidden)                   (d, d + 2gn, h)
        xBC    = silu(causal_conv1d(xBC, conv1d))
        [x, B, C] = xBC                                  (d, gn, gn)
        y      = ssd(x, dt, -exp(A_log), B, C, D, dt_bias, dt_softplus,
                     dt_limit, chunk_size)
        y      = gated_rms_norm(y, z, norm, group_size = d / g, eps)
        out    = out_proj(y)

    Weights: in_proj (2d + 2gn + h, d_model) and bias; conv1d (d + 2gn, k) and
    dt_bias, A_log, D: (h); norm (d); out_proj (d_model, d)
    and bias (d_model).

    `norm_group_size`: the gated norm's group in channels (default d / g;
    d is HF transformers' whole-width norm). Caches, `cu_seqlens` and
    `a_given` as for ssm.mamba_mixer: `conv_state` (b, d + 2gn, k - 1),
    `ssm_state` (b, h, p, n).

    `world_size` = N: one rank's shard of a tensor-parallel mixer
    (ssm-shard-tensor-parallel): its h heads and d channels are this rank's,
    its g groups of B/C this rank's (or, for a single group, the group
    itself, which every rank holds); a norm group of N d channels
    (norm_group_size = N d) spans every rank, its sum of squares summed over
    the ranks inside; `out` is this rank's partial out_proj product.
  }];
  let arguments = (ins SSM_FloatTensor:$hidden,
                   SSM_FloatTensor:$in_proj_weight,
                   Optional<SSM_FloatTensor>:$in_proj_bias,
                   SSM_FloatTensor:$conv_weight,
                   Optional<SSM_FloatTensor>:$conv_bias,
                   SSM_FloatTensor:$dt_bias, SSM_FloatTensor:$A_log,
                   SSM_FloatTensor:$D, SSM_FloatTensor:$norm_weight,
                   SSM_FloatTensor:$out_proj_weight,
                   Optional<SSM_FloatTensor>:$out_proj_bias,
                   Optional<SSM_FloatTensor>:$conv_state,
                   Optional<SSM_FloatTensor>:$ssm_state,
                   Optional<SSM_IndexTensor>:$cu_seqlens,
                   I64Attr:$n_groups, I64Attr:$head_dim, I64Attr:$chunk_size,
                   F64Attr:$eps, OptionalAttr<DenseF64ArrayAttr>:$dt_limit,
                   OptionalAttr<I64Attr>:$norm_group_size,
                   UnitAttr:$a_given, OptionalAttr<I64Attr>:$world_size);
  let results = (outs SSM_FloatTensor:$out,
                  Variadic<SSM_FloatTensor>:$states_out);
  let assemblyFormat = [{
    $hidden
    `in_proj` `(` $in_proj_weight (`,` $in_proj_bias^)? `)`
    `conv1d` `(` $conv_weight (`,` $conv_bias^)? `)`
    `dt_bias` `(` $dt_bias `)`
    `A_log` `(` $A_log `)`
    `D` `(` $D `)`
    `norm` `(` $norm_weight `)`
    `out_proj` `(` $out_proj_weight (`,` $out_proj_bias^)? `)`
    (`conv_state` `(` $conv_state^ `)`)?
    (`ssm_state` `(` $ssm_state^ `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `)`)?
    `n_groups` `=` $n_groups `head_dim` `=` $head_dim
    `chunk_size` `=` $chunk_size `eps` `=` $eps
    (`dt_limit` `=` $dt_limit^)?
    (`norm_group_size` `=` $norm_group_size^)?
    (`a_given` $a_given^)?
    (`world_size` `=` $world_size^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Model-level building blocks and tensor-parallel collectives
//===----------------------------------------------------------------------===//

def SSM_EmbeddingOp : SSM_Op<"embedding", [Pure]> {
  let summary = "Embedding lookup: token ids to rows of a table";
  let description = [{
    tokens (b, l) of integers, table (V, d_model) of any float type ->
    out (b, l, d_model) f32: out[i, t] = table[tokens[i, t]]. Ids outside
    [0, V) are clamped (the runtime checks them first).

    `world_size` = N: the table holds one rank's V rows of a vocabulary of
    N V, rows [rank V, (rank + 1) V) (ssm-shard-tensor-parallel); ids outside
    them give zero rows, so that the sum over the ranks (an ssm.all_reduce
    after it) is the lookup.
  }];
  let arguments = (ins SSM_IndexTensor:$tokens, SSM_FloatTensor:$table,
                   OptionalAttr<I64Attr>:$world_size);
  let results = (outs SSM_FloatTensor:$out);
  let assemblyFormat = [{
    $tokens `,` $table (`world_size` `=` $world_size^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_LinearOp : SSM_Op<"linear", [Pure]> {
  let summary = "A projection by a weight in checkpoint layout (out, in)";
  let description = [{
    x (b, l, in), weight (out, in) of any float type, optional bias (out) ->
    y (b, l, out) f32: y = x weight^T + bias, accumulated in f32.
  }];
  let arguments = (ins SSM_FloatTensor:$x, SSM_FloatTensor:$weight,
                   Optional<SSM_FloatTensor>:$bias);
  let results = (outs SSM_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $weight (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_AllReduceOp : SSM_Op<"all_reduce", [SameOperandsAndResultType]> {
  let summary = "Sum of a tensor over the ranks of a tensor-parallel group";
  let description = [{
    y = the elementwise sum of `x` over the `world_size` ranks that run the
    same program (each rank's own x). Every rank gets the same y: the sum is
    taken in rank order. Not pure: every rank must reach it, in the same
    order as the other collectives.
  }];
  let arguments = (ins SSM_FloatTensor:$x, I64Attr:$world_size);
  let results = (outs SSM_FloatTensor:$y);
  let assemblyFormat = [{
    $x `world_size` `=` $world_size attr-dict `:` type($x)
  }];
  let hasVerifier = 1;
}

def SSM_AllGatherOp : SSM_Op<"all_gather"> {
  let summary = "Concatenation of a tensor over the ranks, along one dimension";
  let description = [{
    y = the ranks' `x` concatenated in rank order along dimension `dim`
    (so y's size there is world_size times x's). Every rank gets all of y.
  }];
  let arguments = (ins SSM_FloatTensor:$x, I64Attr:$dim, I64Attr:$world_size);
  let results = (outs SSM_FloatTensor:$y);
  let assemblyFormat = [{
    $x `dim` `=` $dim `world_size` `=` $world_size
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_TPRankOp : SSM_Op<"tp_rank", [Pure]> {
  let summary = "This rank's index in its tensor-parallel group";
  let description = [{
    The rank (0 to world_size - 1) of the program instance that runs it; 0
    where no group is set up.
  }];
  let results = (outs Index:$rank);
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Generic linear recurrences (the DSL's target)
//===----------------------------------------------------------------------===//

def SSM_RecurrenceOp : SSM_Op<"recurrence",
    [RecursiveMemoryEffects, AttrSizedOperandSegments, IsolatedFromAbove]> {
  let summary = "A linear recurrence over named dimensions, one step as a region";
  let description = [{
    The generic recurrence that the DSL (`*.ssm`) lowers to. Every tensor has
    named dimensions: `dims` lists them all, `time_dim` is the one the
    recurrence walks, and `input_dims`, `state_dims` and `output_dims` name
    the dimensions of each input (in order), state and output. Inputs that
    have the time dimension are read one step at a time; the others
    (parameters) are read whole at every step. States never have the time
    dimension; outputs always do.

    The region is one step, written pointwise: its arguments are one f32
    scalar per input and then one per state (the previous step's value, or
    the initial state, zero unless `initial_states` are given). Each value
    in the region ranges over a set of named dimensions: an argument over its
    tensor's dimensions (without time), an elementwise op over the union of
    its operands' (broadcasting by name: an outer product is a plain
    `arith.mulf` of values over {k} and {v}), and `ssm.rec_sum` removes one
    dimension by summing over it. `ssm.rec_yield` ends the step with the new
    value of every state, then the value of every output at this step (an
    output may use the new states). The results are the outputs (with the
    time dimension) and then the final states (f32).

    Which algorithm computes it (a sequential scan, a chunked form on matrix
    products, or one of the built-in ops) is chosen by
    `ssm-derive-recurrence-forms`.

    GLA (per-key gated linear attention):
    ```mlir
    %o, %S = ssm.recurrence "gla" (%q, %k, %v, %gk)
        {dims = ["b", "t", "h", "k", "v"], time_dim = "t",
         input_dims = [["b", "t", "h", "k"], ["b", "t", "h", "k"],
                       ["b", "t", "h", "v"], ["b", "t", "h", "k"]],
         state_dims = [["b", "h", "k", "v"]],
         output_dims = [["b", "t", "h", "v"]]}
        : (tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>,
           tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>)
        -> (tensor<?x?x?x128xf32>, tensor<?x?x128x128xf32>) {
    ^bb0(%qs: f32, %ks: f32, %vs: f32, %g: f32, %s: f32):
      %a = math.exp %g : f32
      %d = arith.mulf %a, %s : f32
      %kv = arith.mulf %ks, %vs : f32
      %sn = arith.addf %d, %kv : f32
      %p = arith.mulf %qs, %sn : f32
      %o = ssm.rec_sum %p over "k" : f32
      ssm.rec_yield %sn, %o : f32, f32
    }
    ```
  }];
  let arguments = (ins Variadic<SSM_FloatTensor>:$inputs,
                   Variadic<SSM_FloatTensor>:$initial_states,
                   StrAttr:$sym_name, StrArrayAttr:$dims, StrAttr:$time_dim,
                   ArrayAttr:$input_dims, ArrayAttr:$state_dims,
                   ArrayAttr:$output_dims);
  let results = (outs Variadic<SSM_FloatTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `(` $inputs `)` (`init` `(` $initial_states^ `)`)?
    attr-dict `:` functional-type(operands, results) $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The outputs (with the time dimension), then the final states.
    ::mlir::ResultRange getOutputs() {
      return getResults().take_front(getOutputDims().size());
    }
    ::mlir::ResultRange getFinalStates() {
      return getResults().drop_front(getOutputDims().size());
    }
    unsigned getNumStates() { return getStateDims().size(); }
    unsigned getNumOutputs() { return getOutputDims().size(); }
  }];
}

def SSM_RecYieldOp : SSM_Op<"rec_yield", [Pure, Terminator, ReturnLike,
                                          HasParent<"RecurrenceOp">]> {
  let summary = "Ends a step of ssm.recurrence: new states, then outputs";
  let arguments = (ins Variadic<F32>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def SSM_RecSumOp : SSM_Op<"rec_sum", [Pure, HasParent<"RecurrenceOp">]> {
  let summary = "Sums a value of an ssm.recurrence step over one dimension";
  let description = [{
    In the pointwise body of `ssm.recurrence`, the sum of `value` over the
    named dimension `dim` (which `value` must range over); the result ranges
    over the remaining dimensions of `value`.
  }];
  let arguments = (ins F32:$value, StrAttr:$dim);
  let results = (outs F32:$result);
  let assemblyFormat = "$value `over` $dim attr-dict `:` type($value)";
}

class SSM_ScalarActivation<string mnemonic, string formula>
    : SSM_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "Scalar " # mnemonic # "(x) = " # formula;
  let description = [{
    A scalar activation kept as one op so that analyses can recognise it;
    `ssm-expand-activations` rewrites it into arith and math.
  }];
  let arguments = (ins AnyFloat:$x);
  let results = (outs AnyFloat:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

def SSM_SoftplusOp : SSM_ScalarActivation<"softplus",
    "log(1 + exp(x)), x for x > 20">;
def SSM_SigmoidOp : SSM_ScalarActivation<"sigmoid", "1 / (1 + exp(-x))">;
def SSM_LogSigmoidOp : SSM_ScalarActivation<"logsigmoid", "-softplus(-x)">;
def SSM_SiluOp : SSM_ScalarActivation<"silu", "x * sigmoid(x)">;

def SSM_LinearAttentionOp : SSM_Op<"linear_attention", [Pure]> {
  let summary = "Decayed linear attention: the chunkable form of a recurrence";
  let description = [{
    Independent recurrences, one per index of the leading ("outer")
    dimensions (batch, heads, ...), each with a state of (K, V):

        S_t  = diag(exp(log_decay_t)) S_{t-1} + k_t v_tᵀ
        out_t = S_tᵀ q_t

    Shapes, with `...` the same outer dimensions everywhere: `q`, `k`:
    (..., T, K); `v`: (..., T, V); `log_decay`: (..., T), one decay per
    recurrence and step (RetNet, Mamba-2), or (..., T, K), one per key
    dimension (GLA); `initial_state`: (..., K, V). The decays must be at most
    1 (log_decay <= 0). Results: `out` (..., T, V) and, optionally, the final
    state (..., K, V), in f32. `chunk_size` (a power of two) is the chunk
    length of the dual form that lowering may choose.
  }];
  let arguments = (ins SSM_FloatTensor:$q, SSM_FloatTensor:$k,
                   SSM_FloatTensor:$v, SSM_FloatTensor:$log_decay,
                   Optional<SSM_FloatTensor>:$initial_state,
                   DefaultValuedAttr<I64Attr, "64">:$chunk_size);
  let results = (outs SSM_FloatTensor:$out,
                  Optional<SSM_FloatTensor>:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $log_decay
    (`initial_state` `(` $initial_state^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SSMC_DIALECT_SSM_IR_SSMOPS_TD
