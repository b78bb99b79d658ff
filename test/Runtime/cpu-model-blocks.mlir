// The model-level blocks (ssm.linear, ssm.embedding) and the collectives of
// one rank, compiled for the CPU and run from the package against the
// float64 reference on random inputs (odd sizes, b = 1 and 3); a mixer in
// its model form (caches, a_given) is refused by the reference with a
// message naming what to do.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/blocks.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/blocks.ssmpkg %s --compare-reference --output %t/o
// RUN: %{run} --entry linear --random-inputs 1 --input-shape 0=1x5x7 | FileCheck %s
// RUN: %{run} --entry linear --random-inputs 2 --input-shape 0=3x1x7 | FileCheck %s
// RUN: %{run} --entry linear_bf16 --random-inputs 3 --input-shape 0=3x4x7 --tolerance 1e-2 | FileCheck %s
// RUN: %{run} --entry one_rank --random-inputs 4 --input-shape 0=2x3x5 | FileCheck %s --check-prefix=TWO
// RUN: not ssmc eval %s --entry mixer_caches --random-inputs 5 --input-shape 0=1x3x8 --input-shape 8=1x20x3 --input-shape 9=1x4x2x6 --output %t/m 2>&1 | FileCheck %s --check-prefix=MODEL
// RUN: %{run} --entry embedding --random-inputs 6 --input-shape 0=3x5 | FileCheck %s

// CHECK: output 0: rel. L2 vs reference = {{[0-9.e+-]+}}
// CHECK-NOT: FAILED
// TWO: output 0: rel. L2 vs reference = 0.0e+00
// TWO: output 1: rel. L2 vs reference = 0.0e+00
// MODEL: ssmc eval: {{.*}}cpu-model-blocks.mlir:{{[0-9]+}}:{{[0-9]+}}: ssm.mamba2_mixer: the reference runs mixers without caches, packed sequences, a_given or world_size; evaluate this one with --decompose

func.func @linear(%x: tensor<?x?x7xf32>, %w: tensor<6x7xf32>, %b: tensor<6xf32>) -> tensor<?x?x6xf32> {
  %y = ssm.linear %x, %w bias(%b) : (tensor<?x?x7xf32>, tensor<6x7xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
  return %y : tensor<?x?x6xf32>
}

func.func @linear_bf16(%x: tensor<?x?x7xf32>, %w: tensor<6x7xbf16>) -> tensor<?x?x6xf32> {
  %y = ssm.linear %x, %w : (tensor<?x?x7xf32>, tensor<6x7xbf16>) -> tensor<?x?x6xf32>
  return %y : tensor<?x?x6xf32>
}

func.func @embedding(%t: tensor<?x?xi32>, %table: tensor<10x3xf32>) -> tensor<?x?x3xf32> {
  %e = ssm.embedding %t, %table : (tensor<?x?xi32>, tensor<10x3xf32>) -> tensor<?x?x3xf32>
  return %e : tensor<?x?x3xf32>
}

// One rank: the sum and the gather are the operand itself.
func.func @one_rank(%x: tensor<?x?x5xf32>) -> (tensor<?x?x5xf32>, tensor<?x?x5xf32>) {
  %s = ssm.all_reduce %x world_size = 1 : tensor<?x?x5xf32>
  %g = ssm.all_gather %x dim = 2 world_size = 1 : (tensor<?x?x5xf32>) -> tensor<?x?x5xf32>
  return %s, %g : tensor<?x?x5xf32>, tensor<?x?x5xf32>
}

func.func @mixer_caches(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                        %v: tensor<4xf32>, %d: tensor<4xf32>, %a: tensor<4xf32>,
                        %norm: tensor<8xf32>, %out: tensor<8x8xf32>,
                        %cs: tensor<?x20x3xf32>, %ss: tensor<?x4x2x6xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>) {
  %y, %st:2 = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%a) D(%d)
      norm(%norm) out_proj(%out) conv_state(%cs) ssm_state(%ss)
      n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<?x20x3xf32>, tensor<?x4x2x6xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>)
  return %y, %st#0, %st#1 : tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>
}
