// The passes of the CPU lowering pipeline that upstream MLIR does not have.
#ifndef SSMC_CODEGEN_CPU_PASSES_TD
#define SSMC_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMFreshResults : Pass<"ssm-fresh-results", "::mlir::func::FuncOp"> {
  let summary = "Make every tensor returned by a public function a fresh buffer";
  let description = [{
    The entry ABI hands every result to the caller, who frees it. A public
    function must therefore never return (a view of) one of its arguments, a
    constant, or the same value twice. This pass copies such returned values
    with `bufferization.alloc_tensor copy(...)`, and marks the tensor
    arguments of public functions `bufferization.writable = false` so that
    bufferization never writes into the caller's inputs in place.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
  let statistics = [
    Statistic<"numCopies", "num-copies", "Number of returned values copied">
  ];
}

def SSMApproximateExp : Pass<"ssm-cpu-approximate-exp"> {
  let summary = "math.exp on f32 as a polynomial (vectorisable) instead of a libm call";
  let description = [{
    Rewrites f32 `math.exp`, `math.log1p` and `math.log` (scalar or vector) into MLIR's
    polynomial approximations (range reduction, a polynomial, exponent bits;
    a few ulp), so that the elementwise loops around the scans (softplus,
    silu, the decays of the norms and gates) vectorise instead of calling
    libm's expf, log1pf and logf per element.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::math::MathDialect"];
}

def SSMLowerStridedCopies : Pass<"ssm-lower-strided-copies"> {
  let summary = "Rewrite memref.copy between non-contiguous buffers as linalg.copy";
  let description = [{
    finalize-memref-to-llvm lowers a memref.copy between contiguous buffers
    to llvm.memcpy, and any other one to a call of `memrefCopy` from MLIR's
    C runner utilities, which compiled packages do not link. This pass
    rewrites the latter kind as `linalg.copy`, which convert-linalg-to-loops
    turns into loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numCopies", "num-copies", "Number of copies rewritten">
  ];
}

def SSMMarkCPUEntryPoints : Pass<"ssm-mark-cpu-entry-points",
                                 "::mlir::ModuleOp"> {
  let summary = "Mark the public tensor functions that get an entry wrapper";
  let description = [{
    Puts `llvm.emit_c_interface` (for `_mlir_ciface_NAME`) and `ssmc.entry`
    on every public func.func with a body whose arguments and results are
    all ranked tensors; `ssm-emit-cpu-entry-points` later builds their
    `ssmc_entry_NAME` wrappers.
  }];
}

def SSMEmitCPUEntryPoints : Pass<"ssm-emit-cpu-entry-points",
                                 "::mlir::ModuleOp"> {
  let summary = "Add the exported ssmc_entry_NAME(void **argv) wrappers";
  let description = [{
    On the LLVM dialect, for each `llvm.func @NAME` marked `ssmc.entry`, adds
    `llvm.func @ssmc_entry_NAME(%argv: !llvm.ptr)` that loads the pointers
    argv[0] (the results: one descriptor, or a struct of descriptors) and
    argv[1 + i] (the descriptor of argument i) and calls
    `_mlir_ciface_NAME` with them (Codegen/CPU/Pipeline.h gives the ABI).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SSMCPUChooseScanTiles : Pass<"ssm-cpu-choose-scan-tiles",
                                 "::mlir::ModuleOp"> {
  let summary = "Choose the channel tile of each ssm.selective_scan for the CPU";
  let description = [{
    Writes `ssm.cpu_lanes` (the number of channels one vector holds) on every
    `ssm.selective_scan` with f32 operands and a static state size. The
    heuristic, `chooseScanLanes`, fills one vector register of the target:
    the target's vector width (`vector-bits`, 0 for the host's: 512 with
    AVX-512, 256 with AVX, else 128) divided by 32 bits. `lanes` overrides it.
    `ssm-cpu-vectorize-selective-scan` reads the attribute.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "0",
           "Channels per vector (0: chosen from the vector width)">,
    Option<"vectorBits", "vector-bits", "int64_t", "0",
           "The target's vector width in bits (0: the host's)">
  ];
}

def SSMCPUVectorizeSelectiveScan : Pass<"ssm-cpu-vectorize-selective-scan",
                                        "::mlir::ModuleOp"> {
  let summary = "Lower ssm.selective_scan to vector code over channel tiles";
  let description = [{
    Lowers every `ssm.selective_scan` that carries `ssm.cpu_lanes` = L to an
    `scf.parallel` over (batch, tile of L channels). The state of a tile is n
    vectors of L lanes carried through the loop over time, A * log2(e) is
    loaded once per tile, exp2 is a Cody-Waite reduction and a degree-6
    polynomial in arith, and u, delta and z are staged per chunk of time
    (`time-chunk` steps) into [chunk x L] scratch buffers, zero-padded past
    the last channel, so that every vector access is in bounds (full tiles
    with unit stride along time in L x L blocks transposed in registers by
    vector.shuffle, the rest element by element); B and C of
    a time step are one scalar each per state element, broadcast to the
    lanes. Tiles that would straddle two groups of B/C (g > 1 with d / g not
    a multiple of L) take the scalar lowering of convert-ssm-to-loops at
    run time. Ops without the attribute are left alone.

    When batch x tiles cannot fill the threads (batch 1, few channels, a
    long sequence), the recurrence h_t = a_t * h_{t-1} + b_t is split over
    S segments of time by its associativity, in three phases over a heap
    buffer of (batch x tiles, S - 1, 2, n, L) floats: (1) in parallel over
    (batch, tile, segment < S - 1), segment 0 runs from the initial state
    with its outputs and keeps its end state, every other one runs from a
    zero state without outputs and keeps its end state E_s and its decay
    exp2(A * log2(e) * sum of dt); (2) per (batch, tile), the state entering
    each segment, H_{s+1} = decay_s * H_s + E_s; (3) in parallel over
    (batch, tile, segment >= 1), each segment from H_s with its outputs and,
    from the last, the final state. Segment 0 is about 3/4 of the others'
    length, as a summary costs about 3/4 of a run with outputs; the work
    grows by S - 2 summaries per tile. The choice is made at run time
    (`segments` = 0): an scf.if takes the split with S = min(threads /
    (batch x tiles), l / min-segment - 1) + 1 when S >= 3, else the plain
    form, and where the static sizes already rule the split out only the
    plain form is emitted; `segments` = S >= 2 always splits (for tests), 1
    never does. The thread count of the runtime's pool is not known to the
    compiled code, so the choice targets `threads` (0: this host's hardware
    threads, the pool's default).
  }];
  let options = [
    Option<"timeChunk", "time-chunk", "int64_t", "256",
           "Time steps staged per chunk">,
    Option<"threads", "threads", "int64_t", "0",
           "Threads the sequence split targets (0: this host's hardware "
           "threads; 1: no split)">,
    Option<"minSegment", "min-segment", "int64_t", "1024",
           "Fewest time steps per segment of the run-time split choice">,
    Option<"segments", "segments", "int64_t", "0",
           "Sequence segments per (batch, tile) (0: chosen at run time from "
           "threads and the shapes; 1: never split; S >= 2: always S)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized", "Number of scans vectorized">
  ];
}

def SSMLowerCollectives : Pass<"ssm-cpu-lower-collectives",
                               "::mlir::ModuleOp"> {
  let summary = "Run tensor-parallel collectives through the runtime";
  let description = [{
    On tensors. `ssm.all_reduce` (f32) copies its operand into a fresh
    buffer that a call through the module's pointer
    `@ssmc_collective_v1(op, in, out, outer, inner)` sums over the ranks in
    place (op 1, outer x inner elements); `ssm.all_gather` copies its operand
    into a buffer (outer x inner: the sizes before `dim`, and from `dim` on)
    and gets the ranks' blocks side by side in a second one (op 2: outer x
    world x inner); `ssm.tp_rank` is the call's result for op 0. The runtime
    sets the pointer with the exported `ssmc_set_collective_v1(ptr)`; while
    it is null there is one rank: rank 0, the sum is the operand itself, and
    the gathered blocks are zeros.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
  let statistics = [
    Statistic<"numCollectives", "num-collectives",
              "Number of collectives and rank queries lowered">
  ];
}

def SSMProjectionsToGemm : Pass<"ssm-cpu-projections-to-gemm",
                                "::mlir::ModuleOp"> {
  let summary = "Run the f32 projections of the mixers as GEMM calls";
  let description = [{
    On memrefs. A linalg.generic that is a projection by a weight in
    checkpoint layout (what ssm-decompose-mixers and the model frontend
    build: x (b, ., .) contracted over its channel dimension 1 or 2 with the
    second dimension of w (out, in), accumulated into out) with f32
    activations, an f32, bf16 or f16 weight (widened in the body) and unit
    inner strides becomes a call through the module's pointer
    `@ssmc_gemm_v2(batch, M, N, K, A, lda, strideA, B, ldb, strideB,
    transB, C, ldc, strideC, weightType)` (C += A op(B), row-major, per
    batch; the weight is B when transB, else A; weightType 0 f32, 1 bf16,
    2 f16), which
    the exported `ssmc_set_gemm_v2(ptr)` lets the runtime set to its BLAS;
    while it is null the original loops run.

    With `gpu` (the cuda target, before its loops become kernels): the same
    call through `@ssmc_gpu_gemm_v1` (set with `ssmc_set_gpu_gemm_v1`: the
    CUDA runtime's cuBLAS), on device buffers; both operands in one type, so
    the activation of a 16-bit weight's projection is first rounded to that
    type in a buffer of its own (a parallel loop, so a kernel).
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Call @ssmc_gpu_gemm_v1 (cuBLAS, device buffers) instead of the "
           "CPU's BLAS hook">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numGemms", "gemms", "Projections run as GEMM calls">
  ];
}

def SSMOutlineParallelLoops : Pass<"ssm-outline-parallel-loops",
                                   "::mlir::ModuleOp"> {
  let summary = "Run top-level scf.parallel loops through the runtime's thread pool";
  let description = [{
    On memrefs. Moves the body of each outermost `scf.parallel` (without
    reductions) into `func.func private @F_parallelK(%ctx: !llvm.ptr,
    %begin: i64, %end: i64)`, which runs the linearised iterations
    [begin, end); the values the body uses from above are packed into an
    `!llvm.struct` on the caller's stack (memrefs as their LLVM descriptors).
    The loop becomes an indirect call through the module's function pointer
    `@ssmc_parallel_for(body, ctx, iterations)`, initialised to a serial
    loop; the exported `ssmc_set_parallel_for(ptr)` lets the runtime install
    its thread pool. Constant-size `memref.alloca`s at the top of the body
    are hoisted to the entry of the outlined function, so that scratch
    buffers are per thread and the stack does not grow per iteration.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numOutlined", "num-outlined", "Number of loops outlined">
  ];
}

#endif // SSMC_CODEGEN_CPU_PASSES_TD
