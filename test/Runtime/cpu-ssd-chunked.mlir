// The chunked (dual) SSD of the CPU backend against the float64 reference on
// fresh random inputs: lengths l = 1, 5, 37, 300 that are not multiples of the
// chunk (4, 16, 256), batch 1 and 3, g = 2, seq_idx resets (random values in
// 0..3 change often, also at chunk boundaries), initial and final states,
// dt_limit, D of (h) and (h, p); float32 rel. L2 <= 1e-5 (--tolerance).
// dt_limit keeps dt·|A|·l small enough that the f32 state stays finite for
// the random A in [-1, 1].
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/ssd.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/ssd.ssmpkg %s --compare-reference --output %t/o
// RUN: %{run} --entry ssd_q4 --random-inputs 11 --input-shape 0=1x1x4x3 --input-shape 1=1x1x4 --input-shape 3=1x1x2x5 --input-shape 4=1x1x2x5 --input-shape 6=1x1x4x3 --input-shape 8=1x4x3x5 --input-shape 9=1x1 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q4 --random-inputs 12 --input-shape 0=3x5x4x3 --input-shape 1=3x5x4 --input-shape 3=3x5x2x5 --input-shape 4=3x5x2x5 --input-shape 6=3x5x4x3 --input-shape 8=3x4x3x5 --input-shape 9=3x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q4 --random-inputs 13 --input-shape 0=3x37x4x3 --input-shape 1=3x37x4 --input-shape 3=3x37x2x5 --input-shape 4=3x37x2x5 --input-shape 6=3x37x4x3 --input-shape 8=3x4x3x5 --input-shape 9=3x37 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q4 --random-inputs 14 --input-shape 0=1x300x4x3 --input-shape 1=1x300x4 --input-shape 3=1x300x2x5 --input-shape 4=1x300x2x5 --input-shape 6=1x300x4x3 --input-shape 8=1x4x3x5 --input-shape 9=1x300 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16 --random-inputs 21 --input-shape 0=1x1x4x16 --input-shape 1=1x1x4 --input-shape 3=1x1x2x32 --input-shape 4=1x1x2x32 --input-shape 6=1x4x16x32 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16 --random-inputs 22 --input-shape 0=3x37x4x16 --input-shape 1=3x37x4 --input-shape 3=3x37x2x32 --input-shape 4=3x37x2x32 --input-shape 6=3x4x16x32 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16 --random-inputs 23 --input-shape 0=1x300x4x16 --input-shape 1=1x300x4 --input-shape 3=1x300x2x32 --input-shape 4=1x300x2x32 --input-shape 6=1x4x16x32 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16_seq --random-inputs 41 --input-shape 0=1x5x4x32 --input-shape 1=1x5x4 --input-shape 3=1x5x2x32 --input-shape 4=1x5x2x32 --input-shape 6=1x5x4x32 --input-shape 8=1x4x32x32 --input-shape 9=1x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16_seq --random-inputs 42 --input-shape 0=3x37x4x32 --input-shape 1=3x37x4 --input-shape 3=3x37x2x32 --input-shape 4=3x37x2x32 --input-shape 6=3x37x4x32 --input-shape 8=3x4x32x32 --input-shape 9=3x37 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q16_seq --random-inputs 43 --input-shape 0=1x300x4x32 --input-shape 1=1x300x4 --input-shape 3=1x300x2x32 --input-shape 4=1x300x2x32 --input-shape 6=1x300x4x32 --input-shape 8=1x4x32x32 --input-shape 9=1x300 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q256 --random-inputs 31 --input-shape 0=1x5x2x17 --input-shape 1=1x5x2 --input-shape 3=1x5x1x19 --input-shape 4=1x5x1x19 --input-shape 6=1x5x2x17 --input-shape 8=1x2x17x19 --input-shape 9=1x5 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q256 --random-inputs 32 --input-shape 0=3x37x2x17 --input-shape 1=3x37x2 --input-shape 3=3x37x1x19 --input-shape 4=3x37x1x19 --input-shape 6=3x37x2x17 --input-shape 8=3x2x17x19 --input-shape 9=3x37 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_q256 --random-inputs 33 --input-shape 0=1x300x2x17 --input-shape 1=1x300x2 --input-shape 3=1x300x1x19 --input-shape 4=1x300x1x19 --input-shape 6=1x300x2x17 --input-shape 8=1x2x17x19 --input-shape 9=1x300 \
// RUN:   | FileCheck %s --check-prefix=TWO

// ssmc eval fails above the tolerance.
// TWO: output 0: rel. L2 vs reference = {{.*}}
// TWO-NEXT: output 1: rel. L2 vs reference = {{.*}}

// Chunk 4, everything: D (h, p), z, dt_bias, softplus, dt_limit, initial
// states, seq_idx, final states; g = 2.
func.func @ssd_q4(%x: tensor<?x?x4x3xf32>, %dt: tensor<?x?x4xf32>,
                  %A: tensor<4xf32>, %B: tensor<?x?x2x5xf32>,
                  %C: tensor<?x?x2x5xf32>, %D: tensor<4x3xf32>,
                  %z: tensor<?x?x4x3xf32>, %dtb: tensor<4xf32>,
                  %h0: tensor<?x4x3x5xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 4 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.0, 0.5]
      : (tensor<?x?x4x3xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x5xf32>, tensor<?x?x2x5xf32>, tensor<4x3xf32>,
         tensor<?x?x4x3xf32>, tensor<4xf32>, tensor<?x4x3x5xf32>,
         tensor<?x?xi32>)
      -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %h : tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>
}

// Chunk 16, D (h), initial states, no seq_idx or z; g = 2, p and n of a few
// vectors.
func.func @ssd_q16(%x: tensor<?x?x4x16xf32>, %dt: tensor<?x?x4xf32>,
                   %A: tensor<4xf32>, %B: tensor<?x?x2x32xf32>,
                   %C: tensor<?x?x2x32xf32>, %D: tensor<4xf32>,
                   %h0: tensor<?x4x16x32xf32>)
    -> (tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 16 D(%D)
      initial_states(%h0) dt_softplus dt_limit = [0.0, 0.1]
      : (tensor<?x?x4x16xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<4xf32>,
         tensor<?x4x16x32xf32>)
      -> (tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>)
  return %y, %h : tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>
}

// Chunk 256 (longer than every l here), odd p and n, i64 seq_idx.
func.func @ssd_q256(%x: tensor<?x?x2x17xf32>, %dt: tensor<?x?x2xf32>,
                    %A: tensor<2xf32>, %B: tensor<?x?x1x19xf32>,
                    %C: tensor<?x?x1x19xf32>, %D: tensor<2xf32>,
                    %z: tensor<?x?x2x17xf32>, %dtb: tensor<2xf32>,
                    %h0: tensor<?x2x17x19xf32>, %seq: tensor<?x?xi64>)
    -> (tensor<?x?x2x17xf32>, tensor<?x2x17x19xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.0, 0.1]
      : (tensor<?x?x2x17xf32>, tensor<?x?x2xf32>, tensor<2xf32>,
         tensor<?x?x1x19xf32>, tensor<?x?x1x19xf32>, tensor<2xf32>,
         tensor<?x?x2x17xf32>, tensor<2xf32>, tensor<?x2x17x19xf32>,
         tensor<?x?xi64>)
      -> (tensor<?x?x2x17xf32>, tensor<?x2x17x19xf32>)
  return %y, %h : tensor<?x?x2x17xf32>, tensor<?x2x17x19xf32>
}

// Chunk 16 with p and n of a few vectors (the vector code over p) and
// everything: D (h, p), z, dt_bias, softplus, dt_limit, initial states,
// seq_idx, final states; g = 2.
func.func @ssd_q16_seq(%x: tensor<?x?x4x32xf32>, %dt: tensor<?x?x4xf32>,
                       %A: tensor<4xf32>, %B: tensor<?x?x2x32xf32>,
                       %C: tensor<?x?x2x32xf32>, %D: tensor<4x32xf32>,
                       %z: tensor<?x?x4x32xf32>, %dtb: tensor<4xf32>,
                       %h0: tensor<?x4x32x32xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x4x32xf32>, tensor<?x4x32x32xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 16 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.0, 0.1]
      : (tensor<?x?x4x32xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<4x32xf32>,
         tensor<?x?x4x32xf32>, tensor<4xf32>, tensor<?x4x32x32xf32>,
         tensor<?x?xi32>)
      -> (tensor<?x?x4x32xf32>, tensor<?x4x32x32xf32>)
  return %y, %h : tensor<?x?x4x32xf32>, tensor<?x4x32x32xf32>
}
