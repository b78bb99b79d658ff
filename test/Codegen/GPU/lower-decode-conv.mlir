// RUN: ssmc-opt --ssm-gpu-choose-tiles --ssm-gpu-lower-ops --split-input-file %s | FileCheck %s
// RUN: ssmc compile %s --target cuda --emit=ptx -o - | FileCheck %s --check-prefix=PTX

// The Mamba-2 decode step: one launch over (p blocks, heads, batch) with 4
// warps of 32 lanes; a lane walks n in strides of 32 (coalesced rows of the
// state), reads the state once and writes the new state once; y is a
// butterfly warp sum; the decay is one ex2 per head.
// CHECK-LABEL: func.func @step2
// CHECK:         gpu.alloc async {{.*}} : memref<?x?x?xbf16>
// CHECK:         gpu.alloc async {{.*}} : memref<?x?x?x?xf32>
// CHECK:         gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c128
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK:           scf.for
// CHECK:             memref.load %{{.*}} : memref<?x?x?x?xf32>
// CHECK:             memref.store %{{.*}} : memref<?x?x?x?xf32>
// CHECK-COUNT-5:   gpu.shuffle  xor
// CHECK:         gpu.wait
// CHECK-NOT:     memref.alloc
// PTX-LABEL:     .entry step2_kernel(
// PTX-COUNT-5:   shfl.sync.bfly.b32
// PTX-NOT:       .local
func.func @step2(%st: tensor<?x?x?x?xf32>, %x: tensor<?x?x?xbf16>, %dt: tensor<?x?xbf16>,
    %A: tensor<?xf32>, %B: tensor<?x?x?xbf16>, %C: tensor<?x?x?xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x?xf32>, tensor<?x?x?xbf16>, tensor<?x?xbf16>, tensor<?xf32>,
         tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?xbf16>,
         tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>)
  return %y, %n : tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>
}

// -----

// The Mamba-1 decode step with a static n = 16: four lanes per (batch,
// channel), four states each as one 16-byte vector (A, the state; B and C
// element by element, read in place), one ex2 per state; y is a reduction
// over the four lanes (two shuffles).
// CHECK-LABEL: func.func @step1
// CHECK:         gpu.launch async
// CHECK-COUNT-2:   vector.load {{.*}} vector<4xf32>
// CHECK-COUNT-4:   llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK:           vector.store {{.*}} vector<4xf32>
// CHECK-COUNT-2:   gpu.shuffle  xor
// CHECK-NOT:       gpu.shuffle
// CHECK-NOT:       scf.for
// CHECK:         gpu.wait
// PTX-LABEL:     .entry step1_kernel(
// PTX:           ld.global.v4.b32
// PTX:           st.global.v4.b32
// PTX-NOT:       .local
func.func @step1(%st: tensor<?x?x16xf32>, %x: tensor<?x?xf32>, %dt: tensor<?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x1x16xf32>, %C: tensor<?x1x16xf32>)
    -> (tensor<?x?xf32>, tensor<?x?x16xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C
      : (tensor<?x?x16xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x16xf32>,
         tensor<?x1x16xf32>, tensor<?x1x16xf32>) -> (tensor<?x?xf32>, tensor<?x?x16xf32>)
  return %y, %n : tensor<?x?xf32>, tensor<?x?x16xf32>
}

// -----

// The Mamba-1 decode step with n not a multiple of 4: a thread per (batch,
// channel) walks its n states.
// CHECK-LABEL: func.func @step1_odd
// CHECK:         gpu.launch async
// CHECK:           scf.for
// CHECK:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK-NOT:     gpu.shuffle
// PTX-LABEL:     .entry step1_odd_kernel(
// PTX-NOT:       .local
func.func @step1_odd(%st: tensor<?x?x6xf32>, %x: tensor<?x?xf32>, %dt: tensor<?x?xf32>,
    %A: tensor<?x6xf32>, %B: tensor<?x1x6xf32>, %C: tensor<?x1x6xf32>)
    -> (tensor<?x?xf32>, tensor<?x?x6xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C
      : (tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x6xf32>,
         tensor<?x1x6xf32>, tensor<?x1x6xf32>) -> (tensor<?x?xf32>, tensor<?x?x6xf32>)
  return %y, %n : tensor<?x?xf32>, tensor<?x?x6xf32>
}

// -----

// The causal conv: a sequence of at most 8 steps (decode) takes a thread per
// (batch, channel) over (channel blocks, batch); longer ones 128 threads of 8
// consecutive steps each, over (step blocks, channels, batch); the window of
// k - 1 = 3 earlier inputs from x or, before t = 0, from the cache; silu; the
// new cache from the first threads.
// CHECK-LABEL: func.func @conv
// CHECK:         gpu.alloc async
// CHECK:         %[[SHORT:.*]] = arith.cmpi ule, %{{.*}}, %c8 : index
// CHECK:         scf.if %[[SHORT]] {
// CHECK:           gpu.launch async {{.*}} in ({{.*}} = %{{.*}}, {{.*}} = %dim, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c128
// CHECK-COUNT-32:    llvm.intr.fma
// CHECK:           gpu.wait [
// CHECK:         } else {
// CHECK:           gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c128
// CHECK-COUNT-32:    llvm.intr.fma
// CHECK:           gpu.wait [
// PTX-LABEL:     .entry conv_kernel(
// PTX-NOT:       .local
// PTX-LABEL:     .entry conv_kernel(
// PTX-NOT:       .local
func.func @conv(%x: tensor<?x?x?xbf16>, %w: tensor<?x4xf32>, %b: tensor<?xf32>,
    %s: tensor<?x?x3xbf16>) -> (tensor<?x?x?xbf16>, tensor<?x?x3xbf16>) {
  %y, %ns = ssm.causal_conv1d %x, %w bias(%b) conv_state(%s) silu
      : (tensor<?x?x?xbf16>, tensor<?x4xf32>, tensor<?xf32>, tensor<?x?x3xbf16>)
      -> (tensor<?x?x?xbf16>, tensor<?x?x3xbf16>)
  return %y, %ns : tensor<?x?x?xbf16>, tensor<?x?x3xbf16>
}
