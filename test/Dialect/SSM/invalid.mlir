// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

// Every message of the ssm verifiers (SSMOps.cpp, ShapeChecker.cpp), each with
// its full distinctive text: the operand, the named shape and the values.

//===----------------------------------------------------------------------===//
// ShapeChecker: rank, named-shape and static-shape messages
//===----------------------------------------------------------------------===//

func.func @selective_scan_u_wrong_rank(%u: tensor<2x4xf32>, %dt: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op operand 'u' must be a rank-3 tensor (b, d, l), got 'tensor<2x4xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B
      : (tensor<2x4xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @selective_scan_A_channels_differ_from_u(%u: tensor<2x4x8xf32>,
    %A: tensor<8x16xf32>, %B: tensor<2x1x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op operand 'A' has shape (8, 16) but (d, n) = (4, ?) is expected: d = 4 from operand 'u'}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<8x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// The final state must repeat the state size n of A.
func.func @selective_scan_final_state_n_differs_from_A(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op result 'final_state' has shape (2, 4, 8) but (b, d, n) = (2, 4, 16) is expected: n = 16 from operand 'A'}}
  %y, %h = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>)
  return
}

// -----

func.func @mamba_mixer_dynamic_weight(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<?x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'in_proj_weight' must have a static shape, got 'tensor<?x16xf32>'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<?x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.selective_scan
//===----------------------------------------------------------------------===//

func.func @selective_scan_groups_do_not_divide_d(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x3x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op the group count g = 3 of 'B' and 'C' does not divide d = 4}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x3x16x8xf32>, tensor<2x3x16x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @selective_scan_zero_groups(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x0x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op the group count g of 'B' and 'C' must be positive}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x0x16x8xf32>, tensor<2x0x16x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @selective_scan_delta_element_type_differs_from_u(
    %u: tensor<2x4x8xf32>, %dt: tensor<2x4x8xbf16>, %A: tensor<4x16xf32>,
    %B: tensor<2x1x16x8xf32>) {
  // expected-error @+1 {{'ssm.selective_scan' op operand 'delta' must have the element type 'f32' of operand 'u', got 'bf16'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xbf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @selective_scan_out_element_type_differs_from_u(
    %u: tensor<2x4x8xbf16>, %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xbf16>) {
  // expected-error @+1 {{'ssm.selective_scan' op result 'out' must have the element type 'bf16' of operand 'u', got 'f32'}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xbf16>, tensor<2x1x16x8xbf16>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @selective_scan_A_not_f32(%u: tensor<2x4x8xbf16>,
    %A: tensor<4x16xbf16>, %B: tensor<2x1x16x8xbf16>) {
  // expected-error @+1 {{'ssm.selective_scan' op operand 'A' must have f32 or f64 elements, got 'bf16'}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x16xbf16>,
         tensor<2x1x16x8xbf16>, tensor<2x1x16x8xbf16>) -> tensor<2x4x8xbf16>
  return
}

// -----

func.func @selective_scan_final_state_not_f32(%u: tensor<2x4x8xf16>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf16>) {
  // expected-error @+1 {{'ssm.selective_scan' op result 'final_state' must have f32 or f64 elements, got 'f16'}}
  %y, %h = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xf16>, tensor<2x1x16x8xf16>)
      -> (tensor<2x4x8xf16>, tensor<2x4x16xf16>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.ssd
//===----------------------------------------------------------------------===//

func.func @ssd_chunk_size_not_power_of_two(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'chunk_size' must be a positive power of two, got 48}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 48
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_chunk_size_zero(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'chunk_size' must be a positive power of two, got 0}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 0
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_chunk_size_negative(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'chunk_size' must be a positive power of two, got -64}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = -64
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_dt_limit_three_values(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'dt_limit' must hold two values [lo, hi], got 3}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 dt_limit = [0.0, 1.0, 2.0]
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_dt_limit_lo_above_hi(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'dt_limit' must satisfy lo <= hi, got [1.000000e+01, 0.000000e+00]}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 dt_limit = [10.0, 0.0]
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

// A NaN bound (spelled as the bits of an f64) fails the same check.
func.func @ssd_dt_limit_nan(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op 'dt_limit' must satisfy lo <= hi, got [nan, 1.000000e+00]}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64
      dt_limit = [0x7FF8000000000000, 1.0]
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_groups_do_not_divide_h(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x3x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op the group count g = 3 of 'B' and 'C' does not divide h = 4}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x3x32xf32>, tensor<2x8x3x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_dt_heads_differ_from_x(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x2xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'dt' has shape (2, 8, 2) but (b, l, h) = (2, 8, 4) is expected: h = 4 from operand 'x'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64
      : (tensor<2x8x4x16xf32>, tensor<2x8x2xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_D_per_channel_wrong_head_dim(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>,
    %D: tensor<4x8xf32>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'D' has shape (4, 8) but (h, p) = (4, 16) is expected: p = 16 from operand 'x'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 D(%D)
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>, tensor<4x8xf32>)
      -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_D_rank_3(%x: tensor<2x8x4x16xf32>, %dt: tensor<2x8x4xf32>,
    %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>, %D: tensor<4x16x1xf32>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'D' must be a rank-1 tensor (h) or a rank-2 tensor (h, p), got 'tensor<4x16x1xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 D(%D)
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>, tensor<4x16x1xf32>)
      -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_seq_idx_length_differs_from_x(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>,
    %seq: tensor<2x7xi32>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'seq_idx' has shape (2, 7) but (b, l) = (2, 8) is expected: l = 8 from operand 'x'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 seq_idx(%seq)
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>, tensor<2x7xi32>)
      -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @ssd_z_element_type_differs_from_x(%x: tensor<2x8x4x16xbf16>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xbf16>,
    %z: tensor<2x8x4x16xf16>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'z' must have the element type 'bf16' of operand 'x', got 'f16'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 z(%z)
      : (tensor<2x8x4x16xbf16>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xbf16>, tensor<2x8x1x32xbf16>, tensor<2x8x4x16xf16>)
      -> tensor<2x8x4x16xbf16>
  return
}

// -----

func.func @ssd_initial_states_not_f32(%x: tensor<2x8x4x16xbf16>,
    %dt: tensor<2x8x4xbf16>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xbf16>,
    %h0: tensor<2x4x16x32xbf16>) {
  // expected-error @+1 {{'ssm.ssd' op operand 'initial_states' must have f32 or f64 elements, got 'bf16'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 initial_states(%h0)
      : (tensor<2x8x4x16xbf16>, tensor<2x8x4xbf16>, tensor<4xf32>,
         tensor<2x8x1x32xbf16>, tensor<2x8x1x32xbf16>, tensor<2x4x16x32xbf16>)
      -> tensor<2x8x4x16xbf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.causal_conv1d
//===----------------------------------------------------------------------===//

func.func @causal_conv1d_zero_width(%x: tensor<2x16x8xf32>,
    %w: tensor<16x0xf32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op operand 'weight' must have a width k >= 1, got 0}}
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x0xf32>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @causal_conv1d_conv_state_wrong_width(%x: tensor<2x16x1xf32>,
    %w: tensor<16x4xf32>, %st: tensor<2x16x4xf32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op operand 'conv_state' has shape (2, 16, 4) but (b, c, k-1) = (2, 16, 3) is expected: k-1 = 3 from operand 'weight' (k = 4)}}
  %y = ssm.causal_conv1d %x, %w conv_state(%st)
      : (tensor<2x16x1xf32>, tensor<16x4xf32>, tensor<2x16x4xf32>)
      -> tensor<2x16x1xf32>
  return
}

// -----

func.func @causal_conv1d_new_conv_state_wrong_width(%x: tensor<?x16x?xf32>,
    %w: tensor<16x4xf32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op result 'new_conv_state' has shape (?, 16, 4) but (b, c, k-1) = (?, 16, 3) is expected: k-1 = 3 from operand 'weight' (k = 4)}}
  %y, %st = ssm.causal_conv1d %x, %w
      : (tensor<?x16x?xf32>, tensor<16x4xf32>)
      -> (tensor<?x16x?xf32>, tensor<?x16x4xf32>)
  return
}

// -----

func.func @causal_conv1d_bias_channels_differ(%x: tensor<2x16x8xf32>,
    %w: tensor<16x4xf32>, %bias: tensor<8xf32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op operand 'bias' has shape (8) but (c) = (16) is expected: c = 16 from operand 'x'}}
  %y = ssm.causal_conv1d %x, %w bias(%bias)
      : (tensor<2x16x8xf32>, tensor<16x4xf32>, tensor<8xf32>)
      -> tensor<2x16x8xf32>
  return
}

// -----

func.func @causal_conv1d_y_element_type_differs_from_x(%x: tensor<2x16x8xf32>,
    %w: tensor<16x4xf32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op result 'y' must have the element type 'f32' of operand 'x', got 'bf16'}}
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x4xf32>) -> tensor<2x16x8xbf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.state_update
//===----------------------------------------------------------------------===//

func.func @state_update_dt_limit_with_mamba1_state(%s: tensor<2x16x8xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>) {
  // expected-error @+1 {{'ssm.state_update' op 'dt_limit' is only allowed with the Mamba-2 state layout (a rank-4 state (b, h, p, n))}}
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B dt_limit = [0.0, 1.0]
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>)
      -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
  return
}

// -----

func.func @state_update_dt_limit_lo_above_hi(%s: tensor<2x4x8x16xf32>,
    %x: tensor<2x4x8xf32>, %dt: tensor<2x4xf32>, %A: tensor<4xf32>,
    %B: tensor<2x1x16xf32>) {
  // expected-error @+1 {{'ssm.state_update' op 'dt_limit' must satisfy lo <= hi, got [2.000000e+00, 1.000000e+00]}}
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %B dt_limit = [2.0, 1.0]
      : (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>,
         tensor<4xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8x16xf32>)
  return
}

// -----

func.func @state_update_state_rank_2(%s: tensor<2x16xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>) {
  // expected-error @+1 {{'ssm.state_update' op operand 'state' must be rank 3 (b, d, n) for Mamba-1 or rank 4 (b, h, p, n) for Mamba-2, got 'tensor<2x16xf32>'}}
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>)
      -> (tensor<2x16xf32>, tensor<2x16xf32>)
  return
}

// -----

func.func @state_update_new_state_type_differs(%s: tensor<2x16x8xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>) {
  // expected-error @+1 {{'ssm.state_update' op result 'new_state' must have the type 'tensor<2x16x8xf32>' of operand 'state', got 'tensor<?x16x8xf32>'}}
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>)
      -> (tensor<2x16xf32>, tensor<?x16x8xf32>)
  return
}

// -----

func.func @state_update_mamba1_groups_do_not_divide_d(%s: tensor<2x16x8xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x3x8xf32>) {
  // expected-error @+1 {{'ssm.state_update' op the group count g = 3 of 'B' and 'C' does not divide d = 16}}
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>)
      -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
  return
}

// -----

func.func @state_update_mamba2_dt_heads_differ(%s: tensor<2x4x8x16xf32>,
    %x: tensor<2x4x8xf32>, %dt: tensor<2x8xf32>, %A: tensor<4xf32>,
    %B: tensor<2x1x16xf32>) {
  // expected-error @+1 {{'ssm.state_update' op operand 'dt' has shape (2, 8) but (b, h) = (2, 4) is expected: h = 4 from operand 'state'}}
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %B
      : (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<2x8xf32>,
         tensor<4xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8x16xf32>)
  return
}

// -----

func.func @state_update_state_not_f32(%s: tensor<2x16x8xf16>,
    %x: tensor<2x16xf16>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf16>) {
  // expected-error @+1 {{'ssm.state_update' op operand 'state' must have f32 or f64 elements, got 'f16'}}
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16x8xf16>, tensor<2x16xf16>, tensor<2x16xf16>,
         tensor<16x8xf32>, tensor<2x1x8xf16>, tensor<2x1x8xf16>)
      -> (tensor<2x16xf16>, tensor<2x16x8xf16>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.scan
//===----------------------------------------------------------------------===//

// The custom form cannot spell a scan of no inputs (its type list may not be
// empty), so this case is in the generic form.
func.func @scan_no_inputs() {
  // expected-error @+1 {{'ssm.scan' op needs at least one input}}
  "ssm.scan"() <{dimension = 0 : i64}> ({
  ^bb0:
    "ssm.yield"() : () -> ()
  }) : () -> ()
  return
}

// -----

func.func @scan_inputs_of_different_shapes(%a: tensor<4x9xf32>,
    %b: tensor<4x8xf32>) {
  // expected-error @+1 {{'ssm.scan' op input #1 has shape (4, 8) but every input must have the shape (4, 9) of input #0}}
  %r:2 = ssm.scan %a, %b dimension = 1 : tensor<4x9xf32>, tensor<4x8xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    ssm.yield %a1, %b1 : f32, f32
  }
  return
}

// -----

func.func @scan_dimension_out_of_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'ssm.scan' op 'dimension' = 2 is out of range for inputs of rank 2}}
  %r = ssm.scan %x dimension = 2 : tensor<4x8xf32> {
  ^bb0(%acc: f32, %next: f32):
    %s = arith.addf %acc, %next : f32
    ssm.yield %s : f32
  }
  return
}

// -----

func.func @scan_dimension_negative(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'ssm.scan' op 'dimension' = -1 is out of range for inputs of rank 2}}
  %r = ssm.scan %x dimension = -1 : tensor<4x8xf32> {
  ^bb0(%acc: f32, %next: f32):
    %s = arith.addf %acc, %next : f32
    ssm.yield %s : f32
  }
  return
}

// -----

func.func @scan_combiner_wrong_argument_count(%a: tensor<8xf32>,
    %b: tensor<8xf32>) {
  // expected-error @+1 {{'ssm.scan' op combiner must take 4 arguments (the accumulated then the next element of each input), got 3}}
  %r:2 = ssm.scan %a, %b dimension = 0 : tensor<8xf32>, tensor<8xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32):
    ssm.yield %a0, %b0 : f32, f32
  }
  return
}

// -----

// Argument #2 is the next element of input #0 (f32), not of input #1 (f16).
func.func @scan_combiner_wrong_argument_type(%a: tensor<8xf32>,
    %b: tensor<8xf16>) {
  // expected-error @+1 {{'ssm.scan' op combiner argument #2 must have type 'f32' (the element type of input #0), got 'f16'}}
  %r:2 = ssm.scan %a, %b dimension = 0 : tensor<8xf32>, tensor<8xf16> {
  ^bb0(%a0: f32, %b0: f16, %b1: f16, %a1: f32):
    ssm.yield %a1, %b1 : f32, f16
  }
  return
}

// -----

// Any terminator other than ssm.yield (which passes its own verifier).
func.func @scan_combiner_not_ending_in_yield(%x: tensor<8xf32>) {
  // expected-error @+1 {{'ssm.scan' op combiner must end with 'ssm.yield'}}
  %r = ssm.scan %x dimension = 0 : tensor<8xf32> {
  ^bb0(%acc: f32, %next: f32):
    llvm.unreachable
  }
  return
}

// -----

func.func @scan_yield_wrong_count(%a: tensor<8xf32>, %b: tensor<8xf32>) {
  %r:2 = ssm.scan %a, %b dimension = 0 : tensor<8xf32>, tensor<8xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    // expected-error @+1 {{'ssm.yield' op must yield 2 values, one per scan input, got 1}}
    ssm.yield %a1 : f32
  }
  return
}

// -----

func.func @scan_yield_wrong_type(%x: tensor<8xf32>) {
  %r = ssm.scan %x dimension = 0 : tensor<8xf32> {
  ^bb0(%acc: f32, %next: f32):
    %s = arith.truncf %next : f32 to f16
    // expected-error @+1 {{'ssm.yield' op value #0 must have type 'f32' (the element type of input #0), got 'f16'}}
    ssm.yield %s : f16
  }
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.rms_norm and ssm.gated_rms_norm
//===----------------------------------------------------------------------===//

func.func @rms_norm_x_rank_0(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op operand 'x' must have rank >= 1 (..., d), got 'tensor<f32>'}}
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @rms_norm_weight_width_differs_from_x(%x: tensor<?x16xf32>,
    %w: tensor<8xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op operand 'weight' has shape (8) but (d) = (16) is expected: d = 16 from operand 'x'}}
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x16xf32>, tensor<8xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @rms_norm_weight_rank_2(%x: tensor<?x16xf32>,
    %w: tensor<1x16xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op operand 'weight' must be a rank-1 tensor (d), got 'tensor<1x16xf32>'}}
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x16xf32>, tensor<1x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @rms_norm_y_type_differs_from_x(%x: tensor<?x16xf32>,
    %w: tensor<16xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op result 'y' must have the type 'tensor<?x16xf32>' of operand 'x', got 'tensor<?x16xbf16>'}}
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xbf16>
  return
}

// -----

func.func @rms_norm_negative_eps(%x: tensor<?x16xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op 'eps' must be finite and non-negative, got -1.000000e-05}}
  %y = ssm.rms_norm %x, %w eps = -1.0e-05
      : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return
}

// -----

// eps = +inf, spelled as the bits of an f64.
func.func @rms_norm_infinite_eps(%x: tensor<?x16xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'ssm.rms_norm' op 'eps' must be finite and non-negative, got INF}}
  %y = ssm.rms_norm %x, %w eps = 0x7FF0000000000000
      : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gated_rms_norm_z_type_differs_from_x(%x: tensor<?x32xf32>,
    %z: tensor<?x32xbf16>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op operand 'z' must have the type 'tensor<?x32xf32>' of operand 'x', got 'tensor<?x32xbf16>'}}
  %y = ssm.gated_rms_norm %x, %z, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xbf16>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

func.func @gated_rms_norm_weight_width_differs_from_x(%x: tensor<?x32xf32>,
    %w: tensor<16xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op operand 'weight' has shape (16) but (d) = (32) is expected: d = 32 from operand 'x'}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<16xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

func.func @gated_rms_norm_y_type_differs_from_x(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op result 'y' must have the type 'tensor<?x32xf32>' of operand 'x', got 'tensor<2x32xf32>'}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<2x32xf32>
  return
}

// -----

func.func @gated_rms_norm_group_size_does_not_divide_d(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op 'group_size' = 12 does not divide the channel count d = 32 of operand 'x'}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 12 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

func.func @gated_rms_norm_group_size_zero(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op 'group_size' must be positive, got 0}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 0 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

func.func @gated_rms_norm_group_size_negative(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op 'group_size' must be positive, got -16}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = -16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

func.func @gated_rms_norm_negative_eps(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.gated_rms_norm' op 'eps' must be finite and non-negative, got -1.000000e+00}}
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 16 eps = -1.0
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.mamba_mixer (d_model = 16, d = 32, n = 4, r = 2, k = 4 when valid)
//===----------------------------------------------------------------------===//

func.func @mamba_mixer_hidden_rank_2(%hidden: tensor<?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'hidden' must be a rank-3 tensor (b, l, d_model), got 'tensor<?x16xf32>'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @mamba_mixer_dynamic_optional_bias(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %conv_b: tensor<?xf32>, %x_proj: tensor<10x32xf32>,
    %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>, %A_log: tensor<32x4xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'conv_bias' must have a static shape, got 'tensor<?xf32>'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w, %conv_b)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<?xf32>, tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_A_log_channels_differ_from_conv(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<64x16xf32>,
    %conv_w: tensor<32x4xf32>, %x_proj: tensor<10x32xf32>,
    %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>, %A_log: tensor<16x4xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'A_log' has shape (16, 4) but (d, n) = (32, ?) is expected: d = 32 from operand 'conv_weight'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<16x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_zero_channels(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<0x16xf32>, %conv_w: tensor<0x4xf32>,
    %x_proj: tensor<10x0xf32>, %dt_w: tensor<0x2xf32>, %v0: tensor<0xf32>,
    %A_log: tensor<0x4xf32>, %out_proj: tensor<16x0xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op the channel count d of operand 'conv_weight' must be positive, got 0}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v0) A_log(%A_log) D(%v0)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<0x16xf32>, tensor<0x4xf32>,
         tensor<10x0xf32>, tensor<0x2xf32>, tensor<0xf32>,
         tensor<0x4xf32>, tensor<0xf32>, tensor<16x0xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_zero_state_size(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<2x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x0xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op the state size n of operand 'A_log' must be positive, got 0}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<2x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x0xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_zero_conv_width(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x0xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'conv_weight' must have a width k >= 1, got 0}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x0xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_in_proj_rows_not_2d(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<60x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'in_proj_weight' has shape (60, 16) but (2*d, d_model) = (64, 16) is expected: 2*d = 64 from operand 'conv_weight' (d = 32)}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<60x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_in_proj_columns_not_d_model(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x8xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'in_proj_weight' has shape (64, 8) but (2*d, d_model) = (64, 16) is expected: d_model = 16 from operand 'hidden'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x8xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_in_proj_bias_not_2d(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %in_b: tensor<32xf32>,
    %conv_w: tensor<32x4xf32>, %x_proj: tensor<10x32xf32>,
    %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>, %A_log: tensor<32x4xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'in_proj_bias' has shape (32) but (2*d) = (64) is expected: 2*d = 64 from operand 'conv_weight' (d = 32)}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<10x32xf32>, tensor<32x2xf32>,
         tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_x_proj_rows_not_r_plus_2n(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<12x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'x_proj_weight' has shape (12, 32) but (r+2*n, d) = (10, 32) is expected: r+2*n = 10 from operands 'dt_proj_weight' (r = 2) and 'A_log' (n = 4)}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<12x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_D_channels_differ(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %D: tensor<16xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'D' has shape (16) but (d) = (32) is expected: d = 32 from operand 'conv_weight'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%D)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<16xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_out_proj_bias_not_d_model(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>,
    %out_b: tensor<32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op operand 'out_proj_bias' has shape (32) but (d_model) = (16) is expected: d_model = 16 from operand 'hidden'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj, %out_b)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>, tensor<32xf32>)
      -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba_mixer_out_element_type_differs(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %conv_w: tensor<32x4xf32>,
    %x_proj: tensor<10x32xf32>, %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>,
    %A_log: tensor<32x4xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba_mixer' op result 'out' must have the element type 'f32' of operand 'hidden', got 'bf16'}}
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xbf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ssm.mamba2_mixer (d_model = 16, d = 32, h = 4, p = 8, g = 2, n = 4, k = 4
// when valid: conv channels d + 2gn = 48, in_proj rows 2d + 2gn + h = 84)
//===----------------------------------------------------------------------===//

func.func @mamba2_mixer_n_groups_zero(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'n_groups' must be positive, got 0}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 0 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_head_dim_negative(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'head_dim' must be positive, got -8}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = -8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_chunk_size_not_power_of_two(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'chunk_size' must be a positive power of two, got 3}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 3 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_dt_limit_one_value(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'dt_limit' must hold two values [lo, hi], got 1}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05 dt_limit = [1.0]
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_negative_eps(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'eps' must be finite and non-negative, got -1.000000e-05}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = -1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_dynamic_weight(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<?xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'norm_weight' must have a static shape, got 'tensor<?xf32>'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_dt_bias_heads_differ(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %dt_bias: tensor<8xf32>, %v4: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'dt_bias' has shape (8) but (h) = (4) is expected: h = 4 from operand 'A_log'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%dt_bias) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_zero_heads(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<8x16xf32>, %conv_w: tensor<8x4xf32>,
    %v0: tensor<0xf32>, %out_proj: tensor<16x0xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op the head count h of operand 'A_log' must be positive, got 0}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v0) A_log(%v0) D(%v0) norm(%v0) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>,
         tensor<0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>,
         tensor<16x0xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_zero_conv_width(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x0xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'conv_weight' must have a width k >= 1, got 0}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x0xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_head_dim_times_heads_not_d(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'head_dim' = 4 times the head count h = 4 of operand 'A_log' must equal d = 32 of operand 'norm_weight'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 4 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_n_groups_do_not_divide_heads(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
    %conv_w: tensor<48x4xf32>, %v4: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'n_groups' = 3 does not divide the head count h = 4}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 3 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

// 50 - 32 = 18 channels for B and C is not 2 * g * n with g = 2.
func.func @mamba2_mixer_conv_channels_not_d_plus_2gn(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
    %conv_w: tensor<50x4xf32>, %v4: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'conv_weight' has 50 channels, expected d + 2*g*n = 32 + 2*2*n for some n >= 1}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<50x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

// Exactly d conv channels would leave n = 0.
func.func @mamba2_mixer_conv_channels_leave_no_state(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<68x16xf32>,
    %conv_w: tensor<32x4xf32>, %v4: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'conv_weight' has 32 channels, expected d + 2*g*n = 32 + 2*2*n for some n >= 1}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<68x16xf32>, tensor<32x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_in_proj_rows_not_2d_2gn_h(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<80x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'in_proj_weight' has shape (80, 16) but (2*d+2*g*n+h, d_model) = (84, 16) is expected: 2*d+2*g*n+h = 84 from operands 'norm_weight', 'conv_weight' and 'A_log'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<80x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_conv_bias_not_conv_channels(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %conv_b: tensor<32xf32>, %v4: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'conv_bias' has shape (32) but (conv_dim) = (48) is expected: conv_dim = 48 from operand 'conv_weight'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w, %conv_b)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<32xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<32xf32>, tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_out_proj_columns_not_d(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x48xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'out_proj_weight' has shape (16, 48) but (d_model, d) = (16, 32) is expected: d = 32 from operand 'norm_weight'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x48xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @mamba2_mixer_out_element_type_differs(%hidden: tensor<?x?x16xbf16>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  // expected-error @+1 {{'ssm.mamba2_mixer' op result 'out' must have the element type 'bf16' of operand 'hidden', got 'f32'}}
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xbf16>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// Packed sequences (cu_seqlens)
//===----------------------------------------------------------------------===//

// -----

func.func @packed_needs_batch_one(%u: tensor<2x4x8xf32>, %A: tensor<4x16xf32>,
    %B: tensor<2x1x16x8xf32>, %cu: tensor<3xi32>) {
  // expected-error @+1 {{'ssm.selective_scan' op packed sequences (operand 'cu_seqlens') need the batch size b = 1, got b = 2}}
  %y = ssm.selective_scan %u, %u, %A, %B, %B cu_seqlens(%cu)
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>, tensor<3xi32>)
      -> tensor<2x4x8xf32>
  return
}

// -----

func.func @packed_cu_rank(%x: tensor<1x6x8xf32>, %w: tensor<6x4xf32>,
    %cu: tensor<1x3xi32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op operand 'cu_seqlens' must be a rank-1 tensor (s + 1), got 'tensor<1x3xi32>'}}
  %y = ssm.causal_conv1d %x, %w cu_seqlens(%cu)
      : (tensor<1x6x8xf32>, tensor<6x4xf32>, tensor<1x3xi32>)
      -> tensor<1x6x8xf32>
  return
}

// -----

func.func @packed_cu_empty(%x: tensor<1x6x8xf32>, %w: tensor<6x4xf32>,
    %cu: tensor<0xi32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op operand 'cu_seqlens' must hold at least one offset (s + 1 for s sequences)}}
  %y = ssm.causal_conv1d %x, %w cu_seqlens(%cu)
      : (tensor<1x6x8xf32>, tensor<6x4xf32>, tensor<0xi32>)
      -> tensor<1x6x8xf32>
  return
}

// -----

func.func @packed_states_one_per_sequence(%x: tensor<1x6x8xf32>,
    %w: tensor<6x4xf32>, %cu: tensor<4xi32>) {
  // expected-error @+1 {{'ssm.causal_conv1d' op result 'new_conv_state' has shape (1, 6, 3) but (s, c, k-1) = (3, 6, 3) is expected: s = 3 from operand 'cu_seqlens' (s + 1 = 4)}}
  %y, %s = ssm.causal_conv1d %x, %w cu_seqlens(%cu)
      : (tensor<1x6x8xf32>, tensor<6x4xf32>, tensor<4xi32>)
      -> (tensor<1x6x8xf32>, tensor<1x6x3xf32>)
  return
}

// -----

func.func @packed_ssd_not_both(%x: tensor<1x8x4x3xf32>, %dt: tensor<1x8x4xf32>,
    %A: tensor<4xf32>, %B: tensor<1x8x2x5xf32>, %seq: tensor<1x8xi32>,
    %cu: tensor<3xi32>) {
  // expected-error @+1 {{'ssm.ssd' op takes packed sequences either as 'seq_idx' or as 'cu_seqlens', not both}}
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 4 seq_idx(%seq) cu_seqlens(%cu)
      : (tensor<1x8x4x3xf32>, tensor<1x8x4xf32>, tensor<4xf32>,
         tensor<1x8x2x5xf32>, tensor<1x8x2x5xf32>, tensor<1x8xi32>,
         tensor<3xi32>) -> tensor<1x8x4x3xf32>
  return
}

// -----

func.func @all_gather_size(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{'ssm.all_gather' op result 'y' dimension 1 must be 6 (world_size times operand 'x'), got 5}}
  %y = ssm.all_gather %x dim = 1 world_size = 2 : (tensor<2x3xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @all_gather_dim(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ssm.all_gather' op 'dim' = 2 is not a dimension of operand 'x' (rank 2)}}
  %y = ssm.all_gather %x dim = 2 world_size = 1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @all_reduce_world(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ssm.all_reduce' op 'world_size' must be positive, got 0}}
  %y = ssm.all_reduce %x world_size = 0 : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @linear_shape(%x: tensor<?x?x8xf32>, %w: tensor<5x7xf32>) -> tensor<?x?x5xf32> {
  // expected-error @+1 {{'ssm.linear' op operand 'weight' has shape (5, 7) but (out, in) = (?, 8) is expected: in = 8 from operand 'x'}}
  %y = ssm.linear %x, %w : (tensor<?x?x8xf32>, tensor<5x7xf32>) -> tensor<?x?x5xf32>
  return %y : tensor<?x?x5xf32>
}

// -----

func.func @embedding_result(%t: tensor<?x?xi32>, %table: tensor<5x8xf32>) -> tensor<?x?x9xf32> {
  // expected-error @+1 {{'ssm.embedding' op result 'out' has shape (?, ?, 9) but (b, l, d_model) = (?, ?, 8) is expected: d_model = 8 from operand 'table'}}
  %e = ssm.embedding %t, %table : (tensor<?x?xi32>, tensor<5x8xf32>) -> tensor<?x?x9xf32>
  return %e : tensor<?x?x9xf32>
}

// -----

func.func @mixer_one_state_out(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                               %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>)
    -> tensor<?x20x3xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op returns the caches after the last step as two more results (conv state, SSM state) or none, got 1}}
  %y, %st = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x20x3xf32>)
  return %st : tensor<?x20x3xf32>
}

// -----

func.func @mixer_ssm_state(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                           %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>,
                           %ss: tensor<?x4x2x3xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op operand 'ssm_state' has shape (?, 4, 2, 3) but (b, h, p, n) = (?, 4, 2, 6) is expected: n = 6 from operand 'conv_weight' (d + 2*g*n)}}
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) ssm_state(%ss) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<?x4x2x3xf32>)
      -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

func.func @mixer_norm_group(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                            %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'norm_group_size' = 16 must divide the channel count d = 8}}
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5 norm_group_size = 16
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

func.func @all_gather_type(%x: tensor<2x3xf32>) -> tensor<2x6xf64> {
  // expected-error @+1 {{'ssm.all_gather' op result 'y' must have the rank and element type of operand 'x', got 'tensor<2x6xf64>' for 'tensor<2x3xf32>'}}
  %y = ssm.all_gather %x dim = 1 world_size = 2 : (tensor<2x3xf32>) -> tensor<2x6xf64>
  return %y : tensor<2x6xf64>
}

// -----

func.func @all_gather_world(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ssm.all_gather' op 'world_size' must be positive, got 0}}
  %y = ssm.all_gather %x dim = 1 world_size = 0 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @all_reduce_int_like(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  // expected-error @+1 {{'ssm.all_reduce' op operand 'x' must have f32 or f64 elements, got 'f16'}}
  %y = ssm.all_reduce %x world_size = 2 : tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

// -----

func.func @embedding_world(%t: tensor<?x?xi32>, %table: tensor<5x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.embedding' op 'world_size' must be positive, got 0}}
  %e = ssm.embedding %t, %table world_size = 0 : (tensor<?x?xi32>, tensor<5x8xf32>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

func.func @embedding_empty(%t: tensor<?x?xi32>, %table: tensor<0x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.embedding' op operand 'table' must have at least one row}}
  %e = ssm.embedding %t, %table : (tensor<?x?xi32>, tensor<0x8xf32>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

func.func @embedding_f16_out(%t: tensor<?x?xi32>, %table: tensor<5x8xf32>) -> tensor<?x?x8xf16> {
  // expected-error @+1 {{'ssm.embedding' op result 'out' must have f32 or f64 elements, got 'f16'}}
  %e = ssm.embedding %t, %table : (tensor<?x?xi32>, tensor<5x8xf32>) -> tensor<?x?x8xf16>
  return %e : tensor<?x?x8xf16>
}

// -----

func.func @linear_f16_out(%x: tensor<?x?x8xf32>, %w: tensor<5x8xf32>) -> tensor<?x?x5xf16> {
  // expected-error @+1 {{'ssm.linear' op result 'y' must have f32 or f64 elements, got 'f16'}}
  %y = ssm.linear %x, %w : (tensor<?x?x8xf32>, tensor<5x8xf32>) -> tensor<?x?x5xf16>
  return %y : tensor<?x?x5xf16>
}

// -----

func.func @linear_dynamic_weight(%x: tensor<?x?x8xf32>, %w: tensor<?x8xf32>) -> tensor<?x?x5xf32> {
  // expected-error @+1 {{'ssm.linear' op operand 'weight' must have a static shape}}
  %y = ssm.linear %x, %w : (tensor<?x?x8xf32>, tensor<?x8xf32>) -> tensor<?x?x5xf32>
  return %y : tensor<?x?x5xf32>
}

// -----

func.func @mixer_world(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                       %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'world_size' must be positive, got 0}}
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5 world_size = 0
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

func.func @mixer_norm_group_spread(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                                   %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op 'norm_group_size' = 24 must divide the channel count d = 8 or, spanning every rank, equal d times 'world_size'}}
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5 norm_group_size = 24 world_size = 2
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

func.func @mamba_mixer_packed_batch(%h: tensor<2x?x8xf32>, %in: tensor<32x8xf32>, %cw: tensor<16x4xf32>,
                                    %xp: tensor<11x16xf32>, %dtw: tensor<16x3xf32>, %v: tensor<16xf32>,
                                    %a: tensor<16x4xf32>, %out: tensor<8x16xf32>, %cu: tensor<?xi32>) -> tensor<2x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba_mixer' op packed sequences (operand 'cu_seqlens') need the batch size b = 1, got b = 2}}
  %y = ssm.mamba_mixer %h in_proj(%in) conv1d(%cw) x_proj(%xp) dt_proj(%dtw, %v) A_log(%a) D(%v)
      out_proj(%out) cu_seqlens(%cu)
      : (tensor<2x?x8xf32>, tensor<32x8xf32>, tensor<16x4xf32>, tensor<11x16xf32>, tensor<16x3xf32>,
         tensor<16xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<?xi32>) -> tensor<2x?x8xf32>
  return %y : tensor<2x?x8xf32>
}
