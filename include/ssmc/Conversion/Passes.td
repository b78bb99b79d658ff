// The conversion passes out of the ssm dialect.
#ifndef SSMC_CONVERSION_PASSES_TD
#define SSMC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertSSMToLoops : Pass<"convert-ssm-to-loops"> {
  let summary = "Lower the primitive ssm ops on tensors to scf loops on memrefs";
  let description = [{
    Rewrites ssm.selective_scan, ssm.ssd, ssm.causal_conv1d,
    ssm.state_update, ssm.scan, ssm.rms_norm and ssm.gated_rms_norm into
    `scf.for` nests over memrefs. Operands enter through
    `bufferization.to_buffer` (read only, fully dynamic layout), each result
    is a fresh `memref.alloc` returned through `bufferization.to_tensor
    restrict writable`, so that one-shot-bufferize handles the rest of the
    function. Arithmetic is done in f32 (f64 for f64 inputs): narrower inputs
    are extended on load and results truncated on store.

    The recurrences keep the state of one (batch, channel) row in registers:
    when the state size n is static (and at most `max-unrolled-state`) the n
    state elements are `iter_args` of the loop over time and the loop over n
    is unrolled; otherwise the row lives in a stack buffer of n elements.
    log2(e) is folded into A once per row and the decay uses `math.exp2`;
    delta bias, softplus, clamping, D and the silu(z) gate are applied in the
    same loop over time, so no (b, d, l, n) buffer is ever materialised. The
    SSD uses the chunked dual form: a first scf.parallel phase writes C·Bᵀ
    once per (batch, group, chunk) into a heap buffer shared by the heads of
    the group, then one scf.parallel task per (batch, head) with per-chunk
    scratch on the stack (vector code over p when p is static); its chunk
    length is the op's chunk_size capped for CPU caches and written as
    `ssm.cpu_chunk_size` (an existing attribute is kept; 0 selects the
    sequential recurrence per (batch, head, head channel), which
    `ssd-sequential` forces on all).
    ssm.recurrence walks the time dimension in order, one scf.parallel
    task per independent recurrence; with `recurrence-segment` N > 0, a
    scalar diagonal recurrence (each new state a * h + b of its own state,
    every body value a scalar per task) is instead split into segments of N
    steps: the segments from zero states with their decay products, the
    carries into each segment, then the segments again from their carries
    (three scf.parallel phases). `recurrence-unroll` U computes the
    state-free work of U steps before their state updates.
    Mixers must be decomposed first (`ssm-decompose-mixers`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"maxUnrolledState", "max-unrolled-state", "int64_t",
           /*default=*/"256",
           "Largest static state size n carried as scalar iter_args">,
    Option<"ssdSequential", "ssd-sequential", "bool", /*default=*/"false",
           "Lower ssm.ssd as the sequential recurrence instead of the "
           "chunked dual form">,
    Option<"recurrenceSegment", "recurrence-segment", "int64_t",
           /*default=*/"0",
           "Steps per segment of a scalar diagonal ssm.recurrence's sequence "
           "split (0: no split)">,
    Option<"recurrenceUnroll", "recurrence-unroll", "int64_t",
           /*default=*/"1",
           "Steps of a segmented ssm.recurrence whose state-free work is "
           "computed together">
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of ssm ops lowered to loops">
  ];
}

#endif // SSMC_CONVERSION_PASSES_TD
