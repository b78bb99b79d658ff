// The passes of the GPU lowering pipeline that upstream MLIR does not have.
#ifndef SSMC_CODEGEN_GPU_PASSES_TD
#define SSMC_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMGPUChooseTiles : Pass<"ssm-gpu-choose-tiles", "::mlir::ModuleOp"> {
  let summary = "Choose the GPU tiling of every ssm op (written as attributes)";
  let description = [{
    Writes `ssm.gpu_tile`, a dictionary of tile sizes, on every ssm op that the
    GPU target lowers, from one heuristic per architecture (`chip`); later
    passes only read it, so a test or a user can set it by hand. For
    `ssm.selective_scan`:
      - `channels`: threads (one channel each) per block, all of one batch
        element: a block stages the chunk's B and C once for all of them;
      - `time_chunk`: steps of u, delta, z, B and C staged in shared memory
        at a time (coalesced loads along time, transposed through shared
        memory);
      - `segments`: sequence segments per (batch, channel tile) when batch x
        channels cannot fill the GPU (a three-phase scan: segment end states
        from zero, their carry, then the outputs), 1 otherwise; 0 leaves it
        to a run-time choice from the shapes;
      - `state_split`: threads per channel (adjacent lanes), each with n /
        state_split of the states; y is summed by shuffles;
      - `poly_exps`: how many of the n decays of a step are computed by a
        polynomial on the FMA pipes rather than by ex2.approx on the
        special-function unit, whose rate bounds the scan.
    Options override the heuristic.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90\"",
           "The GPU architecture (sm_80, sm_90, ...)">,
    Option<"channels", "channels", "int64_t", "0",
           "Selective scan: channels per block (0: the heuristic)">,
    Option<"timeChunk", "time-chunk", "int64_t", "0",
           "Selective scan: steps staged per chunk (0: the heuristic)">,
    Option<"segments", "segments", "int64_t", "-1",
           "Selective scan: sequence segments (-1: the heuristic, 0: chosen "
           "at run time from the shapes, >= 1: fixed)">,
    Option<"stateSplit", "state-split", "int64_t", "0",
           "Selective scan: threads per channel, each with n / state-split "
           "states (0: the heuristic)">,
    Option<"polyExps", "poly-exps", "int64_t", "-1",
           "Selective scan: decays per step by polynomial (-1: the "
           "heuristic)">,
  ];
}

def SSMGPULowerOps : Pass<"ssm-gpu-lower-ops", "::mlir::ModuleOp"> {
  let summary = "Lower tiled ssm ops to gpu.launch kernels on device buffers";
  let description = [{
    Rewrites every ssm op that carries `ssm.gpu_tile` into host code around
    `gpu.launch` regions: inputs as buffers, results in fresh device buffers
    (`gpu.alloc`), per-chunk intermediates in workgroup (shared) memory, the
    recurrence state in registers (scf.for iter_args). ssm.recurrence and
    ssm.linear_attention take their loop lowering (one scf.parallel task per
    independent recurrence), which ssm-gpu-parallel-loops turns into
    kernels, as it does elementwise linalg ops. Ops the GPU target cannot
    lower are reported as errors with their location. A scalar diagonal
    ssm.recurrence (HGRN-like) is split into segments of
    `recurrence-segment` steps (see convert-ssm-to-loops), so that its
    kernels have segments x channels threads.
  }];
  let options = [
    Option<"recurrenceSegment", "recurrence-segment", "int64_t",
           /*default=*/"64",
           "Steps per segment of a scalar diagonal ssm.recurrence (0: one "
           "thread walks the whole sequence)">,
    Option<"recurrenceUnroll", "recurrence-unroll", "int64_t",
           /*default=*/"8",
           "Steps of a segment whose loads are issued together">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect"
  ];
  let statistics = [
    Statistic<"numKernels", "num-kernels", "Number of gpu.launch regions built">
  ];
}

def SSMGPUUnitTransposes : Pass<"ssm-gpu-unit-transposes",
                                "::mlir::ModuleOp"> {
  let summary = "A transpose that only moves dimensions of size 1 as a view";
  let description = [{
    On buffers. A linalg.transpose whose permutation keeps the order of the
    dimensions that are not a static 1 (the decode step's (b, c, 1) <->
    (b, 1, c)) moves no element: between dense row-major buffers it is a
    reshape. When the destination is a fresh allocation that is only read
    afterwards (loads, views, linalg inputs, copy sources) and the source is
    not written after the transpose, the destination's readers read a view
    of the source instead and the copy (a kernel) is gone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numTransposes", "num-transposes",
              "Transposes replaced by views">
  ];
}

def SSMGPUSmallProjections : Pass<"ssm-gpu-small-projections",
                                  "::mlir::ModuleOp"> {
  let summary = "Projections of a few rows by a 16-bit weight as one "
                "matrix-vector kernel";
  let description = [{
    On buffers, before ssm-cpu-projections-to-gemm. A projection by a bf16
    or f16 weight of static shape (the rows of w a multiple of 8 elements;
    what ssm-cpu-projections-to-gemm matches, with x contracted along its
    last dimension, or along dimension 1 when dimension 2 is a static 1)
    runs, when at run time it has 1 to `max-rows` rows and x and w are
    16-byte aligned at every row, as one gpu.launch: a warp per two output
    features, its lanes reading 8 weights each per step (the weight read
    once, the activation kept f32), warp sums, the zero fill of the output
    skipped, a residual add right after the projection (res = a + out, out
    used by nothing else) done in its epilogue, an output read only as
    channel slices transposed to channels first stored straight into those
    buffers (one step per row), an RMS norm that only feeds
    the projection done in its prologue (x^2 summed from the same loads, x
    scaled by the norm weight, the row factor applied to the sums);
    otherwise the original ops run (and the projection becomes cuBLAS
    calls).
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"4",
           "Most rows (batch x length) that take the matrix-vector kernel">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"
  ];
  let statistics = [
    Statistic<"numProjections", "num-projections",
              "Projections given a matrix-vector kernel">,
    Statistic<"numResiduals", "num-residuals",
              "Residual adds joined to a matrix-vector kernel's epilogue">,
    Statistic<"numNorms", "num-norms",
              "RMS norms joined to a matrix-vector kernel's prologue">,
    Statistic<"numScatters", "num-scatters",
              "Outputs stored straight into their channels-first slices">
  ];
}

def SSMGPUParallelLoops : Pass<"ssm-gpu-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Run the host's parallel loops and allocations on the GPU";
  let description = [{
    The generic GPU path, after bufferization, for work without a kernel of
    its own (elementwise linalg ops as parallel loops, the sequential
    ssm.recurrence and ssm.linear_attention as the loop nests of their CPU
    lowering; linalg ops with reductions as parallel loops with the
    reduction a loop in each thread): host-level memref.alloc becomes
    gpu.alloc (freed at the end of the function unless returned; one made
    inside a branch, at the end of its block), memref.copy becomes
    gpu.memcpy (a parallel loop when either side is a strided view), each
    outermost scf.parallel becomes a gpu.launch of one thread per iteration
    (128 threads a block over the flattened iteration space), and math ops
    in those kernels become NVVM's approximate intrinsics (no libdevice).
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
  let statistics = [
    Statistic<"numLaunches", "num-launches", "Parallel loops made kernels">,
    Statistic<"numAllocs", "num-allocs", "Host allocations made device buffers">,
    Statistic<"numStridedCopies", "num-strided-copies",
              "Copies of strided views made parallel loops">,
    Statistic<"numFoldedFills", "num-folded-fills",
              "Zero fills dropped because row sums overwrite them">
  ];
}

#endif // SSMC_CODEGEN_GPU_PASSES_TD
