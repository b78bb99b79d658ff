// The vectorized selective scan (ssm-cpu-vectorize-selective-scan) at channel
// counts that are not a multiple of the tile (d = 5, 24, 37: a partial last
// tile, zero-padded lanes), with g = 2 groups whose tiles stay in one group
// (d = 64), odd batch sizes and lengths, compiled for
// the host (16 lanes with AVX-512, 8 with AVX) and run by the CPU runtime on
// its thread pool, compared with the float64 reference: float32 rel. L2 <=
// 1e-5. The inputs are uniform in [-1, 1], so states with A > 0 grow over
// time; l = 61 keeps the reference finite (the time chunk, 256, is crossed in
// bench/ssmc_bench.cpp, which checks l = 2048 against the scalar loops).
// Then the same entry with 1 and with 2 threads: bit-identical outputs.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/scan.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/scan.ssmpkg %s --compare-reference --output %t/o
// RUN: %{run} --entry scan_d5 --random-inputs 1 --input-shape 0=1x5x1 --input-shape 1=1x5x1 --input-shape 3=1x1x16x1 --input-shape 4=1x1x16x1 --input-shape 6=1x5x1 --input-shape 8=1x5x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d5 --random-inputs 2 --input-shape 0=3x5x37 --input-shape 1=3x5x37 --input-shape 3=3x1x16x37 --input-shape 4=3x1x16x37 --input-shape 6=3x5x37 --input-shape 8=3x5x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d5 --random-inputs 3 --input-shape 0=2x5x61 --input-shape 1=2x5x61 --input-shape 3=2x1x16x61 --input-shape 4=2x1x16x61 --input-shape 6=2x5x61 --input-shape 8=2x5x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d24 --random-inputs 4 --input-shape 0=1x24x1 --input-shape 1=1x24x1 --input-shape 3=1x1x16x1 --input-shape 4=1x1x16x1 --input-shape 6=1x24x1 --input-shape 8=1x24x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d24 --random-inputs 5 --input-shape 0=3x24x37 --input-shape 1=3x24x37 --input-shape 3=3x1x16x37 --input-shape 4=3x1x16x37 --input-shape 6=3x24x37 --input-shape 8=3x24x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d24 --random-inputs 6 --input-shape 0=2x24x61 --input-shape 1=2x24x61 --input-shape 3=2x1x16x61 --input-shape 4=2x1x16x61 --input-shape 6=2x24x61 --input-shape 8=2x24x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d37 --random-inputs 7 --input-shape 0=1x37x1 --input-shape 1=1x37x1 --input-shape 3=1x1x4x1 --input-shape 4=1x1x4x1 --input-shape 6=1x37x1 --input-shape 8=1x37x4 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d37 --random-inputs 8 --input-shape 0=3x37x37 --input-shape 1=3x37x37 --input-shape 3=3x1x4x37 --input-shape 4=3x1x4x37 --input-shape 6=3x37x37 --input-shape 8=3x37x4 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_d37 --random-inputs 9 --input-shape 0=2x37x61 --input-shape 1=2x37x61 --input-shape 3=2x1x4x61 --input-shape 4=2x1x4x61 --input-shape 6=2x37x61 --input-shape 8=2x37x4 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_g2 --random-inputs 10 --input-shape 0=1x64x1 --input-shape 1=1x64x1 --input-shape 3=1x2x16x1 --input-shape 4=1x2x16x1 --input-shape 6=1x64x1 --input-shape 8=1x64x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_g2 --random-inputs 11 --input-shape 0=3x64x37 --input-shape 1=3x64x37 --input-shape 3=3x2x16x37 --input-shape 4=3x2x16x37 --input-shape 6=3x64x37 --input-shape 8=3x64x16 \
// RUN:   | FileCheck %s
// RUN: %{run} --entry scan_g2 --random-inputs 12 --input-shape 0=2x64x61 --input-shape 1=2x64x61 --input-shape 3=2x2x16x61 --input-shape 4=2x2x16x61 --input-shape 6=2x64x61 --input-shape 8=2x64x16 \
// RUN:   | FileCheck %s
// RUN: env SSMC_NUM_THREADS=1 ssmc eval --target cpu --package %t/scan.ssmpkg %s --entry scan_d37 --random-inputs 99 --input-shape 0=3x37x45 --input-shape 1=3x37x45 --input-shape 3=3x1x4x45 --input-shape 4=3x1x4x45 --input-shape 6=3x37x45 --input-shape 8=3x37x4 --output %t/one
// RUN: env SSMC_NUM_THREADS=2 ssmc eval --target cpu --package %t/scan.ssmpkg %s --entry scan_d37 --random-inputs 99 --input-shape 0=3x37x45 --input-shape 1=3x37x45 --input-shape 3=3x1x4x45 --input-shape 4=3x1x4x45 --input-shape 6=3x37x45 --input-shape 8=3x37x4 --output %t/two
// RUN: cmp %t/one0.npy %t/two0.npy
// RUN: cmp %t/one1.npy %t/two1.npy

// CHECK: output 0: rel. L2 vs reference = {{.*}}
// CHECK-NEXT: output 1: rel. L2 vs reference = {{.*}}

func.func @scan_d5(%u: tensor<?x5x?xf32>, %dt: tensor<?x5x?xf32>,
    %A: tensor<5x16xf32>, %B: tensor<?x1x16x?xf32>, %C: tensor<?x1x16x?xf32>,
    %D: tensor<5xf32>, %z: tensor<?x5x?xf32>, %db: tensor<5xf32>,
    %h0: tensor<?x5x16xf32>) -> (tensor<?x5x?xf32>, tensor<?x5x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x5x?xf32>, tensor<?x5x?xf32>, tensor<5x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>, tensor<5xf32>,
         tensor<?x5x?xf32>, tensor<5xf32>, tensor<?x5x16xf32>)
      -> (tensor<?x5x?xf32>, tensor<?x5x16xf32>)
  return %y, %h : tensor<?x5x?xf32>, tensor<?x5x16xf32>
}

func.func @scan_d24(%u: tensor<?x24x?xf32>, %dt: tensor<?x24x?xf32>,
    %A: tensor<24x16xf32>, %B: tensor<?x1x16x?xf32>, %C: tensor<?x1x16x?xf32>,
    %D: tensor<24xf32>, %z: tensor<?x24x?xf32>, %db: tensor<24xf32>,
    %h0: tensor<?x24x16xf32>) -> (tensor<?x24x?xf32>, tensor<?x24x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x24x?xf32>, tensor<?x24x?xf32>, tensor<24x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>, tensor<24xf32>,
         tensor<?x24x?xf32>, tensor<24xf32>, tensor<?x24x16xf32>)
      -> (tensor<?x24x?xf32>, tensor<?x24x16xf32>)
  return %y, %h : tensor<?x24x?xf32>, tensor<?x24x16xf32>
}

func.func @scan_d37(%u: tensor<?x37x?xf32>, %dt: tensor<?x37x?xf32>,
    %A: tensor<37x4xf32>, %B: tensor<?x1x4x?xf32>, %C: tensor<?x1x4x?xf32>,
    %D: tensor<37xf32>, %z: tensor<?x37x?xf32>, %db: tensor<37xf32>,
    %h0: tensor<?x37x4xf32>) -> (tensor<?x37x?xf32>, tensor<?x37x4xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x37x?xf32>, tensor<?x37x?xf32>, tensor<37x4xf32>,
         tensor<?x1x4x?xf32>, tensor<?x1x4x?xf32>, tensor<37xf32>,
         tensor<?x37x?xf32>, tensor<37xf32>, tensor<?x37x4xf32>)
      -> (tensor<?x37x?xf32>, tensor<?x37x4xf32>)
  return %y, %h : tensor<?x37x?xf32>, tensor<?x37x4xf32>
}

func.func @scan_g2(%u: tensor<?x64x?xf32>, %dt: tensor<?x64x?xf32>,
    %A: tensor<64x16xf32>, %B: tensor<?x2x16x?xf32>, %C: tensor<?x2x16x?xf32>,
    %D: tensor<64xf32>, %z: tensor<?x64x?xf32>, %db: tensor<64xf32>,
    %h0: tensor<?x64x16xf32>) -> (tensor<?x64x?xf32>, tensor<?x64x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x64x?xf32>, tensor<?x64x?xf32>, tensor<64x16xf32>,
         tensor<?x2x16x?xf32>, tensor<?x2x16x?xf32>, tensor<64xf32>,
         tensor<?x64x?xf32>, tensor<64xf32>, tensor<?x64x16xf32>)
      -> (tensor<?x64x?xf32>, tensor<?x64x16xf32>)
  return %y, %h : tensor<?x64x?xf32>, tensor<?x64x16xf32>
}
