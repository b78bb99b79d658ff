// The chunked ssm.linear_attention of the CPU backend (chunks of 32) against
// the float64 reference on fresh random inputs: one decay per step and one
// per key dimension, lengths 1, 37 (not a multiple of the chunk) and 100,
// two outer dimensions, none, and an initial state; f32 rel. L2 <= 1e-5.
// The log decays are -(x*x) <= 0, as the op requires.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/la.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/la.ssmpkg %s --compare-reference --tolerance 1e-5 --output %t/o
// RUN: %{run} --entry per_step --random-inputs 1 --input-shape 0=2x3x37x8 --input-shape 1=2x3x37x8 --input-shape 2=2x3x37x5 --input-shape 3=2x3x37 | FileCheck %s --check-prefix=ONE
// RUN: %{run} --entry per_step --random-inputs 2 --input-shape 0=1x1x1x8 --input-shape 1=1x1x1x8 --input-shape 2=1x1x1x5 --input-shape 3=1x1x1 | FileCheck %s --check-prefix=ONE
// RUN: %{run} --entry per_key --random-inputs 3 --input-shape 0=2x37x8 --input-shape 1=2x37x8 --input-shape 2=2x37x6 --input-shape 3=2x37x8 --input-shape 4=2x8x6 | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry per_key --random-inputs 4 --input-shape 0=1x100x8 --input-shape 1=1x100x8 --input-shape 2=1x100x6 --input-shape 3=1x100x8 --input-shape 4=1x8x6 | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry no_outer --random-inputs 5 --input-shape 0=37x4 --input-shape 1=37x4 --input-shape 2=37x3 --input-shape 3=37x4 | FileCheck %s --check-prefix=TWO
// ONE: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// TWO: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// TWO: output 1: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}

func.func @per_step(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x8xf32>,
    %v: tensor<?x?x?x5xf32>, %x: tensor<?x?x?xf32>) -> tensor<?x?x?x5xf32> {
  %sq = arith.mulf %x, %x : tensor<?x?x?xf32>
  %a = arith.negf %sq : tensor<?x?x?xf32>
  %o = ssm.linear_attention %q, %k, %v, %a
      : (tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>, tensor<?x?x?x5xf32>,
         tensor<?x?x?xf32>) -> tensor<?x?x?x5xf32>
  return %o : tensor<?x?x?x5xf32>
}

func.func @per_key(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>,
    %v: tensor<?x?x6xf32>, %x: tensor<?x?x8xf32>, %s0: tensor<?x8x6xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x8x6xf32>) {
  %sq = arith.mulf %x, %x : tensor<?x?x8xf32>
  %a = arith.negf %sq : tensor<?x?x8xf32>
  %o, %s = ssm.linear_attention %q, %k, %v, %a initial_state(%s0) {chunk_size = 32 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x6xf32>,
         tensor<?x?x8xf32>, tensor<?x8x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x8x6xf32>)
  return %o, %s : tensor<?x?x6xf32>, tensor<?x8x6xf32>
}

func.func @no_outer(%q: tensor<?x4xf32>, %k: tensor<?x4xf32>,
    %v: tensor<?x3xf32>, %x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<4x3xf32>) {
  %sq = arith.mulf %x, %x : tensor<?x4xf32>
  %a = arith.negf %sq : tensor<?x4xf32>
  %o, %s = ssm.linear_attention %q, %k, %v, %a
      : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x4xf32>)
      -> (tensor<?x3xf32>, tensor<4x3xf32>)
  return %o, %s : tensor<?x3xf32>, tensor<4x3xf32>
}
