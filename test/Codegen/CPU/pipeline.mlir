// RUN: ssmc-opt --ssm-lower-to-llvm-cpu %s | FileCheck %s
// RUN: ssmc-opt --ssm-lower-to-llvm-cpu %s | FileCheck %s --check-prefix=ONLY-LLVM
// RUN: ssmc-opt --ssm-lower-to-llvm-cpu %S/../../../examples/02-mamba-block/mamba_block.mlir | FileCheck %s --check-prefix=BLOCK
// RUN: ssmc-opt --ssm-lower-to-llvm-cpu %S/../../../examples/02-mamba-block/mamba_block.mlir | FileCheck %s --check-prefix=ONLY-LLVM

// Every primitive op goes through the whole CPU pipeline to the LLVM
// dialect, and each public function on tensors gets its exported
// ssmc_entry_NAME(void **argv) wrapper around _mlir_ciface_NAME.

// Nothing but the llvm dialect is left (ops with or without results).
// ONLY-LLVM-NOT: {{= (func|memref|scf|arith|math|bufferization|ssm|linalg|tensor|cf|affine|index|vector|builtin)\.}}
// ONLY-LLVM-NOT: {{^ *(func|memref|scf|arith|math|bufferization|ssm|linalg|tensor|cf|affine|index|vector)\.}}
// ONLY-LLVM-NOT: unrealized_conversion_cast
// ONLY-LLVM-NOT: memrefCopy

// Results are malloc'ed; exp and log1p are polynomials, no libm call that
// would keep LLVM from vectorising the loops around them.
// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// ONLY-LLVM-NOT: @log1pf
// ONLY-LLVM-NOT: @logf
// ONLY-LLVM-NOT: llvm.intr.exp(

// Two results: argv[0] is the struct of both descriptors, passed on as the
// C interface's first pointer; argv[1..9] are the nine arguments.
// CHECK-LABEL: llvm.func @_mlir_ciface_selective_scan(
// CHECK-LABEL: llvm.func @ssmc_entry_selective_scan(
// CHECK-SAME:    %[[ARGV:.*]]: !llvm.ptr) {
// CHECK:         %[[S0:.*]] = llvm.getelementptr %[[ARGV]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[R:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[S1:.*]] = llvm.getelementptr %[[ARGV]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[A1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.getelementptr %[[ARGV]][9]
// CHECK:         llvm.call @_mlir_ciface_selective_scan(%[[R]], %[[A1]], {{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NEXT:    llvm.return
func.func @selective_scan(%u: tensor<?x5x?xf32>, %dt: tensor<?x5x?xf32>, %A: tensor<5x4xf32>, %B: tensor<?x1x4x?xf32>, %C: tensor<?x1x4x?xf32>, %D: tensor<5xf32>, %z: tensor<?x5x?xf32>, %db: tensor<5xf32>, %h0: tensor<?x5x4xf32>) -> (tensor<?x5x?xf32>, tensor<?x5x4xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) initial_state(%h0) delta_softplus
    : (tensor<?x5x?xf32>, tensor<?x5x?xf32>, tensor<5x4xf32>, tensor<?x1x4x?xf32>, tensor<?x1x4x?xf32>, tensor<5xf32>, tensor<?x5x?xf32>, tensor<5xf32>, tensor<?x5x4xf32>) -> (tensor<?x5x?xf32>, tensor<?x5x4xf32>)
  return %y, %h : tensor<?x5x?xf32>, tensor<?x5x4xf32>
}

// CHECK-LABEL: llvm.func @ssmc_entry_ssd(
// CHECK:         llvm.call @_mlir_ciface_ssd(
func.func @ssd(%x: tensor<?x?x4x3xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>, %B: tensor<?x?x2x5xf32>, %C: tensor<?x?x2x5xf32>, %D: tensor<4x3xf32>, %z: tensor<?x?x4x3xf32>, %dtb: tensor<4xf32>, %h0: tensor<?x4x3x5xf32>, %seq: tensor<?x?xi64>) -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 4 D(%D) z(%z) dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus dt_limit = [0.05, 1.5]
    : (tensor<?x?x4x3xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x2x5xf32>, tensor<?x?x2x5xf32>, tensor<4x3xf32>, tensor<?x?x4x3xf32>, tensor<4xf32>, tensor<?x4x3x5xf32>, tensor<?x?xi64>) -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %h : tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>
}

// CHECK-LABEL: llvm.func @ssmc_entry_causal_conv1d(
func.func @causal_conv1d(%x: tensor<?x5x?xbf16>, %w: tensor<5x4xbf16>, %b: tensor<5xbf16>, %s: tensor<?x5x3xbf16>) -> (tensor<?x5x?xbf16>, tensor<?x5x3xbf16>) {
  %y, %ns = ssm.causal_conv1d %x, %w bias(%b) conv_state(%s) silu
    : (tensor<?x5x?xbf16>, tensor<5x4xbf16>, tensor<5xbf16>, tensor<?x5x3xbf16>) -> (tensor<?x5x?xbf16>, tensor<?x5x3xbf16>)
  return %y, %ns : tensor<?x5x?xbf16>, tensor<?x5x3xbf16>
}

// CHECK-LABEL: llvm.func @ssmc_entry_state_update_mamba1(
func.func @state_update_mamba1(%s: tensor<?x5x4xf32>, %x: tensor<?x5xf32>, %dt: tensor<?x5xf32>, %A: tensor<5x4xf32>, %B: tensor<?x1x4xf32>, %C: tensor<?x1x4xf32>, %D: tensor<5xf32>, %z: tensor<?x5xf32>, %dtb: tensor<5xf32>) -> (tensor<?x5xf32>, tensor<?x5x4xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb) dt_softplus
    : (tensor<?x5x4xf32>, tensor<?x5xf32>, tensor<?x5xf32>, tensor<5x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<5xf32>, tensor<?x5xf32>, tensor<5xf32>) -> (tensor<?x5xf32>, tensor<?x5x4xf32>)
  return %y, %ns : tensor<?x5xf32>, tensor<?x5x4xf32>
}

// CHECK-LABEL: llvm.func @ssmc_entry_state_update_mamba2(
func.func @state_update_mamba2(%s: tensor<?x4x3x5xf32>, %x: tensor<?x4x3xf32>, %dt: tensor<?x4xf32>, %A: tensor<4xf32>, %B: tensor<?x2x5xf32>, %C: tensor<?x2x5xf32>, %D: tensor<4xf32>, %z: tensor<?x4x3xf32>, %dtb: tensor<4xf32>) -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb) dt_softplus dt_limit = [0.05, 1.5]
    : (tensor<?x4x3x5xf32>, tensor<?x4x3xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<?x2x5xf32>, tensor<?x2x5xf32>, tensor<4xf32>, tensor<?x4x3xf32>, tensor<4xf32>) -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %ns : tensor<?x4x3xf32>, tensor<?x4x3x5xf32>
}

// CHECK-LABEL: llvm.func @ssmc_entry_scan(
func.func @scan(%a: tensor<?x5x?xf32>, %b: tensor<?x5x?xf32>) -> (tensor<?x5x?xf32>, tensor<?x5x?xf32>) {
  %ra, %rb = ssm.scan %a, %b dimension = 2 reverse : tensor<?x5x?xf32>, tensor<?x5x?xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    %aa = arith.mulf %a0, %a1 : f32
    %ab = arith.mulf %a1, %b0 : f32
    %bb = arith.addf %ab, %b1 : f32
    ssm.yield %aa, %bb : f32, f32
  }
  return %ra, %rb : tensor<?x5x?xf32>, tensor<?x5x?xf32>
}

// One result: argv[0] points to its descriptor.
// CHECK-LABEL: llvm.func @ssmc_entry_norms(%{{.*}}: !llvm.ptr) {
// CHECK-COUNT-4: llvm.load
// CHECK:         llvm.call @_mlir_ciface_norms({{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
func.func @norms(%x: tensor<?x?x6xf16>, %z: tensor<?x?x6xf16>, %w: tensor<6xf16>) -> tensor<?x?x6xf16> {
  %n = ssm.rms_norm %x, %w eps = 1.0e-05 : (tensor<?x?x6xf16>, tensor<6xf16>) -> tensor<?x?x6xf16>
  %y = ssm.gated_rms_norm %n, %z, %w group_size = 3 eps = 1.0e-05 : (tensor<?x?x6xf16>, tensor<?x?x6xf16>, tensor<6xf16>) -> tensor<?x?x6xf16>
  return %y : tensor<?x?x6xf16>
}

// Private functions and functions with non-tensor arguments get no wrapper.
// CHECK-NOT: @ssmc_entry_private_helper
// CHECK-NOT: @ssmc_entry_takes_index
func.func private @private_helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @takes_index(%x: tensor<?xf32>, %i: index) -> f32 {
  %v = tensor.extract %x[%i] : tensor<?xf32>
  return %v : f32
}

// BLOCK-LABEL: llvm.func @mamba_block(
// BLOCK-LABEL: llvm.func @ssmc_entry_mamba_block(%{{.*}}: !llvm.ptr) {
// BLOCK:         llvm.call @_mlir_ciface_mamba_block(
// BLOCK-LABEL: llvm.func @mamba2_block(
// BLOCK-LABEL: llvm.func @ssmc_entry_mamba2_block(%{{.*}}: !llvm.ptr) {
// BLOCK:         llvm.call @_mlir_ciface_mamba2_block(
