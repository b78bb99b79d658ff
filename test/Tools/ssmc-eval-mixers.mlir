// The decomposition of both mixers of examples/02-mamba-block evaluates to the
// reference mixers at odd shapes: b = 1 and 3, l = 1, 5 and 9 (not multiples
// of the chunk 4), in float64 (--exact); and within f32 rounding without it.
// RUN: rm -rf %t && mkdir -p %t
// DEFINE: %{block} = %S/../../examples/02-mamba-block/mamba_block.mlir
// DEFINE: %{eval} = ssmc eval --decompose --compare-undecomposed

// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 11 \
// RUN:   --input-shape 0=1x1x16 --output %t/m | FileCheck %s --check-prefix=B1L1
// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 15 \
// RUN:   --input-shape 0=1x5x16 --output %t/m | FileCheck %s --check-prefix=B1L5
// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 19 \
// RUN:   --input-shape 0=1x9x16 --output %t/m | FileCheck %s --check-prefix=B1L9
// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 31 \
// RUN:   --input-shape 0=3x1x16 --output %t/m | FileCheck %s --check-prefix=B3L1
// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 35 \
// RUN:   --input-shape 0=3x5x16 --output %t/m | FileCheck %s --check-prefix=B3L5
// RUN: %{eval} --exact %{block} --entry mamba_block --random-inputs 39 \
// RUN:   --input-shape 0=3x9x16 --output %t/m | FileCheck %s --check-prefix=B3L9
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 11 \
// RUN:   --input-shape 0=1x1x16 --output %t/m | FileCheck %s --check-prefix=B1L1
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 15 \
// RUN:   --input-shape 0=1x5x16 --output %t/m | FileCheck %s --check-prefix=B1L5
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 19 \
// RUN:   --input-shape 0=1x9x16 --output %t/m | FileCheck %s --check-prefix=B1L9
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 31 \
// RUN:   --input-shape 0=3x1x16 --output %t/m | FileCheck %s --check-prefix=B3L1
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 35 \
// RUN:   --input-shape 0=3x5x16 --output %t/m | FileCheck %s --check-prefix=B3L5
// RUN: %{eval} --exact %{block} --entry mamba2_block --random-inputs 39 \
// RUN:   --input-shape 0=3x9x16 --output %t/m | FileCheck %s --check-prefix=B3L9

// B1L1: output 0: shape (1, 1, 16) f32 -> {{.*}}m0.npy
// B1L1-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
// B1L5: output 0: shape (1, 5, 16) f32 -> {{.*}}m0.npy
// B1L5-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
// B1L9: output 0: shape (1, 9, 16) f32 -> {{.*}}m0.npy
// B1L9-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
// B3L1: output 0: shape (3, 1, 16) f32 -> {{.*}}m0.npy
// B3L1-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
// B3L5: output 0: shape (3, 5, 16) f32 -> {{.*}}m0.npy
// B3L5-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
// B3L9: output 0: shape (3, 9, 16) f32 -> {{.*}}m0.npy
// B3L9-NEXT: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}

// Without --exact, intermediates are rounded to f32 and the default tolerance
// is 1e-5; a tolerance of 0 makes the comparison fail.
// RUN: %{eval} %{block} --entry mamba2_block --random-inputs 1 \
// RUN:   --input-shape 0=3x9x16 --output %t/f32 | FileCheck %s --check-prefix=F32
// F32: output 0: rel. L2 vs undecomposed = {{[0-9]\.[0-9]e-(0[6-9]|1[0-9])$}}
// RUN: not %{eval} %{block} --entry mamba_block --random-inputs 1 \
// RUN:   --input-shape 0=3x9x16 --tolerance 0 --output %t/tol 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TOL
// TOL: ssmc eval: output 0 differs from the undecomposed function by {{.*}} > tolerance 0.0e+00

// Optional projection biases, a dt clamp, and bf16 weights.
// RUN: %{eval} --exact %s --entry mamba2_biases --random-inputs 2 \
// RUN:   --input-shape 0=3x5x16 --output %t/m2b | FileCheck %s --check-prefix=BIAS
// RUN: %{eval} --exact %s --entry mamba_bf16 --random-inputs 3 \
// RUN:   --input-shape 0=3x5x16 --output %t/m1b | FileCheck %s --check-prefix=BIAS
// BIAS: output 0: rel. L2 vs undecomposed = {{(0\.0e\+00|[0-9]\.[0-9]e-(1[1-9]|[2-9][0-9]))$}}
func.func @mamba2_biases(%hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
                         %in_b: tensor<84xf32>, %conv_w: tensor<48x4xf32>,
                         %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                         %D: tensor<4xf32>, %norm: tensor<32xf32>,
                         %out_proj: tensor<16x32xf32>, %out_b: tensor<16xf32>)
    -> tensor<?x?x16xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj, %in_b) conv1d(%conv_w)
      dt_bias(%dt_bias) A_log(%A_log) D(%D) norm(%norm)
      out_proj(%out_proj, %out_b)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      dt_limit = [0.0, 0.5]
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<84xf32>,
         tensor<48x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<32xf32>, tensor<16x32xf32>, tensor<16xf32>)
      -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}

func.func @mamba_bf16(%hidden: tensor<?x?x16xbf16>, %in_proj: tensor<64x16xbf16>,
                      %in_b: tensor<64xbf16>, %conv_w: tensor<32x4xbf16>,
                      %x_proj: tensor<10x32xbf16>, %dt_proj_w: tensor<32x2xbf16>,
                      %dt_proj_b: tensor<32xbf16>, %A_log: tensor<32x4xbf16>,
                      %D: tensor<32xbf16>, %out_proj: tensor<16x32xbf16>,
                      %out_b: tensor<16xbf16>) -> tensor<?x?x16xbf16> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_proj_w, %dt_proj_b) A_log(%A_log) D(%D)
      out_proj(%out_proj, %out_b)
      : (tensor<?x?x16xbf16>, tensor<64x16xbf16>, tensor<64xbf16>,
         tensor<32x4xbf16>, tensor<10x32xbf16>, tensor<32x2xbf16>,
         tensor<32xbf16>, tensor<32x4xbf16>, tensor<32xbf16>,
         tensor<16x32xbf16>, tensor<16xbf16>) -> tensor<?x?x16xbf16>
  return %out : tensor<?x?x16xbf16>
}
