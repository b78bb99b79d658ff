// ssmc eval runs every primitive ssm op on random inputs through the reference
// interpreter and writes one .npy per result, in the result's element type.
// RUN: rm -rf %t && mkdir -p %t

// RUN: ssmc eval %s --entry selective_scan --random-inputs 1 --output %t/ss | FileCheck %s --check-prefix=SS
// SS: output 0: shape (2, 8, 5) f32 -> {{.*}}ss0.npy
// SS-NEXT: output 1: shape (2, 8, 4) f32 -> {{.*}}ss1.npy
func.func @selective_scan(%u: tensor<2x8x5xf32>, %dt: tensor<2x8x5xf32>,
                          %A: tensor<8x4xf32>, %B: tensor<2x2x4x5xf32>,
                          %C: tensor<2x2x4x5xf32>, %D: tensor<8xf32>,
                          %z: tensor<2x8x5xf32>, %db: tensor<8xf32>,
                          %h0: tensor<2x8x4xf32>)
    -> (tensor<2x8x5xf32>, tensor<2x8x4xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<2x8x5xf32>, tensor<2x8x5xf32>, tensor<8x4xf32>,
         tensor<2x2x4x5xf32>, tensor<2x2x4x5xf32>, tensor<8xf32>,
         tensor<2x8x5xf32>, tensor<8xf32>, tensor<2x8x4xf32>)
      -> (tensor<2x8x5xf32>, tensor<2x8x4xf32>)
  return %y, %h : tensor<2x8x5xf32>, tensor<2x8x4xf32>
}

// Dynamic batch and length (l = 7 is not a multiple of the chunk 4), packed
// sequences, (h, p) skip, z gate and dt clamp.
// RUN: ssmc eval %s --entry ssd --random-inputs 2 --input-shape 0=2x7x4x3 \
// RUN:   --input-shape 1=2x7x4 --input-shape 3=2x7x2x5 --input-shape 4=2x7x2x5 \
// RUN:   --input-shape 6=2x7x4x3 --input-shape 8=2x4x3x5 --input-shape 9=2x7 \
// RUN:   --output %t/ssd | FileCheck %s --check-prefix=SSD
// SSD: output 0: shape (2, 7, 4, 3) f32 -> {{.*}}ssd0.npy
// SSD-NEXT: output 1: shape (2, 4, 3, 5) f32 -> {{.*}}ssd1.npy
func.func @ssd(%x: tensor<?x?x4x3xf32>, %dt: tensor<?x?x4xf32>,
               %A: tensor<4xf32>, %B: tensor<?x?x2x5xf32>,
               %C: tensor<?x?x2x5xf32>, %D: tensor<4x3xf32>,
               %z: tensor<?x?x4x3xf32>, %dtb: tensor<4xf32>,
               %h0: tensor<?x4x3x5xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 4 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.0, 4.0]
      : (tensor<?x?x4x3xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x5xf32>, tensor<?x?x2x5xf32>, tensor<4x3xf32>,
         tensor<?x?x4x3xf32>, tensor<4xf32>, tensor<?x4x3x5xf32>,
         tensor<?x?xi32>)
      -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %h : tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>
}

// RUN: ssmc eval %s --entry causal_conv1d --random-inputs 3 --output %t/conv | FileCheck %s --check-prefix=CONV
// CONV: output 0: shape (3, 6, 5) f32 -> {{.*}}conv0.npy
// CONV-NEXT: output 1: shape (3, 6, 3) f32 -> {{.*}}conv1.npy
func.func @causal_conv1d(%x: tensor<3x6x5xf32>, %w: tensor<6x4xf32>,
                         %b: tensor<6xf32>, %cache: tensor<3x6x3xf32>)
    -> (tensor<3x6x5xf32>, tensor<3x6x3xf32>) {
  %y, %s = ssm.causal_conv1d %x, %w bias(%b) conv_state(%cache) silu
      : (tensor<3x6x5xf32>, tensor<6x4xf32>, tensor<6xf32>,
         tensor<3x6x3xf32>) -> (tensor<3x6x5xf32>, tensor<3x6x3xf32>)
  return %y, %s : tensor<3x6x5xf32>, tensor<3x6x3xf32>
}

// RUN: ssmc eval %s --entry state_update1 --random-inputs 4 --output %t/su1 | FileCheck %s --check-prefix=SU1
// SU1: output 0: shape (2, 6) f32 -> {{.*}}su10.npy
// SU1-NEXT: output 1: shape (2, 6, 4) f32 -> {{.*}}su11.npy
func.func @state_update1(%state: tensor<2x6x4xf32>, %x: tensor<2x6xf32>,
                         %dt: tensor<2x6xf32>, %A: tensor<6x4xf32>,
                         %B: tensor<2x1x4xf32>, %C: tensor<2x1x4xf32>,
                         %D: tensor<6xf32>, %z: tensor<2x6xf32>,
                         %dtb: tensor<6xf32>)
    -> (tensor<2x6xf32>, tensor<2x6x4xf32>) {
  %y, %s = ssm.state_update %state, %x, %dt, %A, %B, %C D(%D) z(%z)
      dt_bias(%dtb) dt_softplus
      : (tensor<2x6x4xf32>, tensor<2x6xf32>, tensor<2x6xf32>, tensor<6x4xf32>,
         tensor<2x1x4xf32>, tensor<2x1x4xf32>, tensor<6xf32>, tensor<2x6xf32>,
         tensor<6xf32>) -> (tensor<2x6xf32>, tensor<2x6x4xf32>)
  return %y, %s : tensor<2x6xf32>, tensor<2x6x4xf32>
}

// RUN: ssmc eval %s --entry state_update2 --random-inputs 5 --output %t/su2 | FileCheck %s --check-prefix=SU2
// SU2: output 0: shape (2, 4, 3) f32 -> {{.*}}su20.npy
// SU2-NEXT: output 1: shape (2, 4, 3, 5) f32 -> {{.*}}su21.npy
func.func @state_update2(%state: tensor<2x4x3x5xf32>, %x: tensor<2x4x3xf32>,
                         %dt: tensor<2x4xf32>, %A: tensor<4xf32>,
                         %B: tensor<2x2x5xf32>, %C: tensor<2x2x5xf32>,
                         %D: tensor<4xf32>)
    -> (tensor<2x4x3xf32>, tensor<2x4x3x5xf32>) {
  %y, %s = ssm.state_update %state, %x, %dt, %A, %B, %C D(%D) dt_softplus
      dt_limit = [0.0, 2.0]
      : (tensor<2x4x3x5xf32>, tensor<2x4x3xf32>, tensor<2x4xf32>,
         tensor<4xf32>, tensor<2x2x5xf32>, tensor<2x2x5xf32>, tensor<4xf32>)
      -> (tensor<2x4x3xf32>, tensor<2x4x3x5xf32>)
  return %y, %s : tensor<2x4x3xf32>, tensor<2x4x3x5xf32>
}

// RUN: ssmc eval %s --entry scan --random-inputs 6 --input-shape 0=3x7 \
// RUN:   --input-shape 1=3x7 --output %t/scan | FileCheck %s --check-prefix=SCAN
// SCAN: output 0: shape (3, 7) f32 -> {{.*}}scan0.npy
// SCAN-NEXT: output 1: shape (3, 7) f32 -> {{.*}}scan1.npy
func.func @scan(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %aa, %h = ssm.scan %a, %b dimension = 1 reverse
      : tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    %p = arith.mulf %a0, %a1 : f32
    %q = arith.mulf %a1, %b0 : f32
    %r = arith.addf %q, %b1 : f32
    ssm.yield %p, %r : f32, f32
  }
  return %aa, %h : tensor<?x?xf32>, tensor<?x?xf32>
}

// Results in f16 and bf16 are written as '<f2' and '<f4'.
// RUN: ssmc eval %s --entry norms --random-inputs 7 --output %t/norm | FileCheck %s --check-prefix=NORM
// NORM: output 0: shape (2, 3, 8) f16 -> {{.*}}norm0.npy
// NORM-NEXT: output 1: shape (2, 3, 8) bf16 -> {{.*}}norm1.npy
// RUN: od -A n -c -N 20 -j 10 %t/norm0.npy | FileCheck %s --check-prefix=NORM-F16
// NORM-F16: <   f   2
// RUN: od -A n -c -N 20 -j 10 %t/norm1.npy | FileCheck %s --check-prefix=NORM-BF16
// NORM-BF16: <   f   4
func.func @norms(%x: tensor<2x3x8xf16>, %w: tensor<8xf16>,
                 %xb: tensor<2x3x8xbf16>, %z: tensor<2x3x8xbf16>,
                 %wb: tensor<8xbf16>) -> (tensor<2x3x8xf16>, tensor<2x3x8xbf16>) {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<2x3x8xf16>, tensor<8xf16>) -> tensor<2x3x8xf16>
  %g = ssm.gated_rms_norm %xb, %z, %wb group_size = 4 eps = 1.0e-05
      : (tensor<2x3x8xbf16>, tensor<2x3x8xbf16>, tensor<8xbf16>)
      -> tensor<2x3x8xbf16>
  return %y, %g : tensor<2x3x8xf16>, tensor<2x3x8xbf16>
}

// The same seed gives the same inputs, hence the same bytes.
// RUN: ssmc eval %s --entry selective_scan --random-inputs 1 --output %t/again
// RUN: cmp %t/ss0.npy %t/again0.npy
