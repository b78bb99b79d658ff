// Packed sequences (cu_seqlens): sequences of lengths 1, 0, 5, 7 and 8 in one
// row of 21 steps, each from its own initial state, through the selective
// scan (the vector lowering, d = 24 not a multiple of its 16 lanes; and the
// loop lowering, n = 72), the causal conv and the SSD (the chunked form with
// chunk 4, sequences crossing chunks; and the sequential form), compiled for
// the CPU and compared with the float64 reference, which runs each sequence
// on its own. Steps and states of the empty sequence included.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s -o %t/ops.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/ops.ssmpkg %s --compare-reference --output %t/o
// RUN: %{run} --entry scan_vector --random-inputs 1 --input-shape 0=1x24x21 --input-shape 1=1x24x21 --input-shape 3=1x1x16x21 --input-shape 4=1x1x16x21 --input-shape 6=1x24x21 --input-shape 8=5x24x16 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry scan_loops --random-inputs 2 --input-shape 0=1x6x21 --input-shape 1=1x6x21 --input-shape 3=1x2x72x21 --input-shape 4=1x2x72x21 --input-shape 6=5x6x72 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry conv --random-inputs 3 --input-shape 0=1x6x21 --input-shape 3=5x6x3 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry conv_zero --random-inputs 4 --input-shape 0=1x6x21 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_chunked --random-inputs 5 --input-shape 0=1x21x4x16 --input-shape 1=1x21x4 --input-shape 3=1x21x2x8 --input-shape 4=1x21x2x8 --input-shape 6=1x21x4x16 --input-shape 8=5x4x16x8 \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: %{run} --entry ssd_sequential --random-inputs 6 --input-shape 0=1x21x4x3 --input-shape 1=1x21x4 --input-shape 3=1x21x2x5 --input-shape 4=1x21x2x5 \
// RUN:   | FileCheck %s --check-prefix=TWO

// TWO: output 0: rel. L2 vs reference = {{.*}}
// TWO-NEXT: output 1: rel. L2 vs reference = {{.*}}

// Offsets the reference refuses (decreasing); the compiled code clamps them
// and never reads or writes outside the buffers.
// RUN: not ssmc eval %s --entry conv_bad --random-inputs 7 --input-shape 0=1x6x21 --output %t/bad 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// BAD: cu_seqlens must not decrease, got 9 then 4 at 2
// RUN: ssmc eval --target cpu --package %t/ops.ssmpkg %s --entry conv_bad --random-inputs 7 --input-shape 0=1x6x21 --output %t/bad

// The GPU has no lowering of packed sequences yet: a clear error.
// RUN: not ssmc compile %s --target cuda:sm_90 -o %t/gpu.ssmpkg 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: error: 'ssm.selective_scan' with packed sequences (cu_seqlens) has no GPU lowering yet

func.func @scan_vector(%u: tensor<1x24x?xf32>, %dt: tensor<1x24x?xf32>,
                       %A: tensor<24x16xf32>, %B: tensor<1x1x16x?xf32>,
                       %C: tensor<1x1x16x?xf32>, %D: tensor<24xf32>,
                       %z: tensor<1x24x?xf32>, %db: tensor<24xf32>,
                       %h0: tensor<5x24x16xf32>)
    -> (tensor<1x24x?xf32>, tensor<5x24x16xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi32>
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) cu_seqlens(%cu) delta_softplus
      : (tensor<1x24x?xf32>, tensor<1x24x?xf32>, tensor<24x16xf32>,
         tensor<1x1x16x?xf32>, tensor<1x1x16x?xf32>, tensor<24xf32>,
         tensor<1x24x?xf32>, tensor<24xf32>, tensor<5x24x16xf32>,
         tensor<6xi32>)
      -> (tensor<1x24x?xf32>, tensor<5x24x16xf32>)
  return %y, %h : tensor<1x24x?xf32>, tensor<5x24x16xf32>
}

func.func @scan_loops(%u: tensor<?x6x?xf32>, %dt: tensor<?x6x?xf32>,
                      %A: tensor<6x72xf32>, %B: tensor<?x2x72x?xf32>,
                      %C: tensor<?x2x72x?xf32>, %D: tensor<6xf32>,
                      %h0: tensor<?x6x72xf32>)
    -> (tensor<?x6x?xf32>, tensor<?x6x72xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi64>
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) initial_state(%h0)
      cu_seqlens(%cu) delta_softplus
      : (tensor<?x6x?xf32>, tensor<?x6x?xf32>, tensor<6x72xf32>,
         tensor<?x2x72x?xf32>, tensor<?x2x72x?xf32>, tensor<6xf32>,
         tensor<?x6x72xf32>, tensor<6xi64>)
      -> (tensor<?x6x?xf32>, tensor<?x6x72xf32>)
  return %y, %h : tensor<?x6x?xf32>, tensor<?x6x72xf32>
}

func.func @conv(%x: tensor<?x6x?xf32>, %w: tensor<6x4xf32>,
                %b: tensor<6xf32>, %cache: tensor<?x6x3xf32>)
    -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi32>
  %y, %s = ssm.causal_conv1d %x, %w bias(%b) conv_state(%cache)
      cu_seqlens(%cu) silu
      : (tensor<?x6x?xf32>, tensor<6x4xf32>, tensor<6xf32>,
         tensor<?x6x3xf32>, tensor<6xi32>)
      -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>)
  return %y, %s : tensor<?x6x?xf32>, tensor<?x6x3xf32>
}

func.func @conv_zero(%x: tensor<?x6x?xf32>, %w: tensor<6x4xf32>)
    -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi32>
  %y, %s = ssm.causal_conv1d %x, %w cu_seqlens(%cu)
      : (tensor<?x6x?xf32>, tensor<6x4xf32>, tensor<6xi32>)
      -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>)
  return %y, %s : tensor<?x6x?xf32>, tensor<?x6x3xf32>
}

func.func @conv_bad(%x: tensor<?x6x?xf32>, %w: tensor<6x4xf32>)
    -> tensor<?x6x?xf32> {
  %cu = arith.constant dense<[0, 9, 4, 30]> : tensor<4xi32>
  %y = ssm.causal_conv1d %x, %w cu_seqlens(%cu)
      : (tensor<?x6x?xf32>, tensor<6x4xf32>, tensor<4xi32>)
      -> tensor<?x6x?xf32>
  return %y : tensor<?x6x?xf32>
}

func.func @ssd_chunked(%x: tensor<?x?x4x16xf32>, %dt: tensor<?x?x4xf32>,
                       %A: tensor<4xf32>, %B: tensor<?x?x2x8xf32>,
                       %C: tensor<?x?x2x8xf32>, %D: tensor<4xf32>,
                       %z: tensor<?x?x4x16xf32>, %dtb: tensor<4xf32>,
                       %h0: tensor<?x4x16x8xf32>)
    -> (tensor<?x?x4x16xf32>, tensor<?x4x16x8xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi32>
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 4 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) cu_seqlens(%cu) dt_softplus
      : (tensor<?x?x4x16xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<4xf32>,
         tensor<?x?x4x16xf32>, tensor<4xf32>, tensor<?x4x16x8xf32>,
         tensor<6xi32>)
      -> (tensor<?x?x4x16xf32>, tensor<?x4x16x8xf32>)
  return %y, %h : tensor<?x?x4x16xf32>, tensor<?x4x16x8xf32>
}

func.func @ssd_sequential(%x: tensor<?x?x4x3xf32>, %dt: tensor<?x?x4xf32>,
                          %A: tensor<4xf32>, %B: tensor<?x?x2x5xf32>,
                          %C: tensor<?x?x2x5xf32>)
    -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %cu = arith.constant dense<[0, 1, 1, 6, 13, 21]> : tensor<6xi32>
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 4 cu_seqlens(%cu)
      dt_softplus {ssm.cpu_chunk_size = 0 : i64}
      : (tensor<?x?x4x3xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x5xf32>, tensor<?x?x2x5xf32>, tensor<6xi32>)
      -> (tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %h : tensor<?x?x4x3xf32>, tensor<?x4x3x5xf32>
}
