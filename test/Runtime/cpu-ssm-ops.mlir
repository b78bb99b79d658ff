// Every primitive ssm op compiled for the CPU (ssmc compile), run from the
// package by the CPU runtime (ssmc eval --target cpu --package) on fresh random
// inputs with odd batch sizes and lengths (b = 1, 3; l = 1, 5, 37), and
// compared with the float64 reference: float32 rel. L2 <= 1e-5 (the default
// --tolerance), f16/bf16 <= 1e-2.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/ops.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/ops.ssmpkg %s --compare-reference --output %t/o
// RUN: %{run} --entry selective_scan --random-inputs 1 --input-shape 0=1x8x1 --input-shape 1=1x8x1 --input-shape 3=1x2x4x1 --input-shape 4=1x2x4x1 --input-shape 6=1x8x1 --input-shape 8=1x8x4 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry causal_conv1d --random-inputs 2 --input-shape 0=1x6x1 --input-shape 3=1x6x3 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd --random-inputs 3 --input-shape 0=1x1x4x3 --input-shape 1=1x1x4 --input-shape 3=1x1x2x5 --input-shape 4=1x1x2x5 --input-shape 6=1x1x4x3 --input-shape 8=1x4x3x5 --input-shape 9=1x1 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms --random-inputs 4 --input-shape 0=1x1x8 --input-shape 1=1x1x8 --input-shape 2=1x1x8 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms_half --random-inputs 5 --input-shape 0=1x1x8 --input-shape 2=1x1x8 --input-shape 3=1x1x8 --tolerance 1e-2 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry selective_scan --random-inputs 6 --input-shape 0=3x8x5 --input-shape 1=3x8x5 --input-shape 3=3x2x4x5 --input-shape 4=3x2x4x5 --input-shape 6=3x8x5 --input-shape 8=3x8x4 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry causal_conv1d --random-inputs 7 --input-shape 0=3x6x5 --input-shape 3=3x6x3 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd --random-inputs 8 --input-shape 0=3x5x4x3 --input-shape 1=3x5x4 --input-shape 3=3x5x2x5 --input-shape 4=3x5x2x5 --input-shape 6=3x5x4x3 --input-shape 8=3x4x3x5 --input-shape 9=3x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms --random-inputs 9 --input-shape 0=3x5x8 --input-shape 1=3x5x8 --input-shape 2=3x5x8 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms_half --random-inputs 10 --input-shape 0=3x5x8 --input-shape 2=3x5x8 --input-shape 3=3x5x8 --tolerance 1e-2 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry selective_scan --random-inputs 11 --input-shape 0=1x8x37 --input-shape 1=1x8x37 --input-shape 3=1x2x4x37 --input-shape 4=1x2x4x37 --input-shape 6=1x8x37 --input-shape 8=1x8x4 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry causal_conv1d --random-inputs 12 --input-shape 0=1x6x37 --input-shape 3=1x6x3 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd --random-inputs 13 --input-shape 0=1x37x4x3 --input-shape 1=1x37x4 --input-shape 3=1x37x2x5 --input-shape 4=1x37x2x5 --input-shape 6=1x37x4x3 --input-shape 8=1x4x3x5 --input-shape 9=1x37 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms --random-inputs 14 --input-shape 0=1x37x8 --input-shape 1=1x37x8 --input-shape 2=1x37x8 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms_half --random-inputs 15 --input-shape 0=1x37x8 --input-shape 2=1x37x8 --input-shape 3=1x37x8 --tolerance 1e-2 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry selective_scan --random-inputs 16 --input-shape 0=3x8x37 --input-shape 1=3x8x37 --input-shape 3=3x2x4x37 --input-shape 4=3x2x4x37 --input-shape 6=3x8x37 --input-shape 8=3x8x4 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry causal_conv1d --random-inputs 17 --input-shape 0=3x6x37 --input-shape 3=3x6x3 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd --random-inputs 18 --input-shape 0=3x37x4x3 --input-shape 1=3x37x4 --input-shape 3=3x37x2x5 --input-shape 4=3x37x2x5 --input-shape 6=3x37x4x3 --input-shape 8=3x4x3x5 --input-shape 9=3x37 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms --random-inputs 19 --input-shape 0=3x37x8 --input-shape 1=3x37x8 --input-shape 2=3x37x8 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry norms_half --random-inputs 20 --input-shape 0=3x37x8 --input-shape 2=3x37x8 --input-shape 3=3x37x8 --tolerance 1e-2 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry state_update1 --random-inputs 21 --input-shape 0=1x6x4 --input-shape 1=1x6 --input-shape 2=1x6 --input-shape 4=1x1x4 --input-shape 5=1x1x4 --input-shape 7=1x6 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry state_update2 --random-inputs 22 --input-shape 0=1x4x3x5 --input-shape 1=1x4x3 --input-shape 2=1x4 --input-shape 4=1x2x5 --input-shape 5=1x2x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry state_update1 --random-inputs 23 --input-shape 0=3x6x4 --input-shape 1=3x6 --input-shape 2=3x6 --input-shape 4=3x1x4 --input-shape 5=3x1x4 --input-shape 7=3x6 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry state_update2 --random-inputs 24 --input-shape 0=3x4x3x5 --input-shape 1=3x4x3 --input-shape 2=3x4 --input-shape 4=3x2x5 --input-shape 5=3x2x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry scan --random-inputs 25 --input-shape 0=1x1 --input-shape 1=1x1 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry scan --random-inputs 26 --input-shape 0=3x5 --input-shape 1=3x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry scan --random-inputs 27 --input-shape 0=1x37 --input-shape 1=1x37 \
// RUN:   | FileCheck %s --check-prefix=TWO

// TWO: output 0: rel. L2 vs reference = {{.*}}
// TWO-NEXT: output 1: rel. L2 vs reference = {{.*}}

func.func @selective_scan(%u: tensor<?x8x?xf32>, %dt: tensor<?x8x?xf32>,
                          %A: tensor<8x4xf32>, %B: tensor<?x2x4x?xf32>,
                          %C: tensor<?x2x4x?xf32>, %D: tensor<8xf32>,
                          %z: tensor<?x8x?xf32>, %db: tensor<8xf32>,
                          %h0: tensor<?x8x4xf32>)
    -> (tensor<?x8x?xf32>, tensor<?x8x4xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x8x?xf32>, tensor<?x8x?xf32>, tensor<8x4xf32>,
         tensor<?x2x4x?xf32>, tensor<?x2x4x?xf32>, tensor<8xf32>,
         tensor<?x8x?xf32>, tensor<8xf32>, tensor<?x8x4xf32>)
      -> (tensor<?x8x?xf32>, tensor<?x8x4xf32>)
  return %y, %h : tensor<?x8x?xf32>, tensor<?x8x4xf32>
}

func.func @causal_conv1d(%x: tensor<?x6x?xf32>, %w: tensor<6x4xf32>,
                         %b: tensor<6xf32>, %cache: tensor<?x6x3xf32>)
    -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>) {
  %y, %s = ssm.causal_conv1d %x, %w bias(%b) conv_state(%cache) silu
      : (tensor<?x6x?xf32>, tensor<6x4xf32>, tensor<6xf32>,
         tensor<?x6x3xf32>) -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>)
  return %y, %s : tensor<?x6x?xf32>, tensor<?x6x3xf32>
}

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

func.func @state_update1(%state: tensor<?x6x4xf32>, %x: tensor<?x6xf32>,
                         %dt: tensor<?x6xf32>, %A: tensor<6x4xf32>,
                         %B: tensor<?x1x4xf32>, %C: tensor<?x1x4xf32>,
                         %D: tensor<6xf32>, %z: tensor<?x6xf32>,
                         %dtb: tensor<6xf32>)
    -> (tensor<?x6xf32>, tensor<?x6x4xf32>) {
  %y, %s = ssm.state_update %state, %x, %dt, %A, %B, %C D(%D) z(%z)
      dt_bias(%dtb) dt_softplus
      : (tensor<?x6x4xf32>, tensor<?x6xf32>, tensor<?x6xf32>, tensor<6x4xf32>,
         tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<6xf32>, tensor<?x6xf32>,
         tensor<6xf32>) -> (tensor<?x6xf32>, tensor<?x6x4xf32>)
  return %y, %s : tensor<?x6xf32>, tensor<?x6x4xf32>
}

func.func @state_update2(%state: tensor<?x4x3x5xf32>, %x: tensor<?x4x3xf32>,
                         %dt: tensor<?x4xf32>, %A: tensor<4xf32>,
                         %B: tensor<?x2x5xf32>, %C: tensor<?x2x5xf32>,
                         %D: tensor<4xf32>)
    -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %s = ssm.state_update %state, %x, %dt, %A, %B, %C D(%D) dt_softplus
      dt_limit = [0.0, 2.0]
      : (tensor<?x4x3x5xf32>, tensor<?x4x3xf32>, tensor<?x4xf32>,
         tensor<4xf32>, tensor<?x2x5xf32>, tensor<?x2x5xf32>, tensor<4xf32>)
      -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %s : tensor<?x4x3xf32>, tensor<?x4x3x5xf32>
}

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

func.func @norms(%x: tensor<?x?x8xf32>, %xg: tensor<?x?x8xf32>,
                 %z: tensor<?x?x8xf32>, %w: tensor<8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %g = ssm.gated_rms_norm %xg, %z, %w group_size = 4 eps = 1.0e-05
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  return %y, %g : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

func.func @norms_half(%x: tensor<?x?x8xf16>, %w: tensor<8xf16>,
                      %xb: tensor<?x?x8xbf16>, %z: tensor<?x?x8xbf16>,
                      %wb: tensor<8xbf16>)
    -> (tensor<?x?x8xf16>, tensor<?x?x8xbf16>) {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x?x8xf16>, tensor<8xf16>) -> tensor<?x?x8xf16>
  %g = ssm.gated_rms_norm %xb, %z, %wb group_size = 4 eps = 1.0e-05
      : (tensor<?x?x8xbf16>, tensor<?x?x8xbf16>, tensor<8xbf16>)
      -> tensor<?x?x8xbf16>
  return %y, %g : tensor<?x?x8xf16>, tensor<?x?x8xbf16>
}
