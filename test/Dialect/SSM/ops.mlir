// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s

// Round trip of every ssm op, custom and generic form: one function per op
// variant, each checking the printed op with its operands, clauses and types.
// Function arguments are captured with `[^:]+`, not `.*`: FileCheck's regexes
// are leftmost-longest, so `%[[A:.*]]: t, %[[B:.*]]: t` would swallow several
// arguments of one type into A.

// CHECK-LABEL: func.func @selective_scan_minimal
// CHECK-SAME: %[[U:[^:]+]]: tensor<2x4x8xf32>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<2x4x8xf32>
// CHECK-SAME: %[[A:[^:]+]]: tensor<4x16xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<2x1x16x8xf32>
// CHECK-SAME: %[[C:[^:]+]]: tensor<2x1x16x8xf32>
// CHECK: %[[Y:.*]] = ssm.selective_scan %[[U]], %[[DT]], %[[A]], %[[B]], %[[C]] : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>, tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
// CHECK: return %[[Y]]
func.func @selective_scan_minimal(%u: tensor<2x4x8xf32>, %dt: tensor<2x4x8xf32>,
                                  %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>,
                                  %C: tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32> {
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// Every optional operand and the final state; g = 2 groups of B/C, dynamic
// batch and length, bf16 activations with f32 parameters and state.
// CHECK-LABEL: func.func @selective_scan_full_groups_dynamic_bf16
// CHECK-SAME: %[[U:[^:]+]]: tensor<?x64x?xbf16>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<?x64x?xbf16>
// CHECK-SAME: %[[A:[^:]+]]: tensor<64x16xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<?x2x16x?xbf16>
// CHECK-SAME: %[[C:[^:]+]]: tensor<?x2x16x?xbf16>
// CHECK-SAME: %[[D:[^:]+]]: tensor<64xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<?x64x?xbf16>
// CHECK-SAME: %[[DB:[^:]+]]: tensor<64xf32>
// CHECK-SAME: %[[H0:[^:]+]]: tensor<?x64x16xf32>
// CHECK: %[[Y:.*]], %[[H:.*]] = ssm.selective_scan %[[U]], %[[DT]], %[[A]], %[[B]], %[[C]] D(%[[D]]) z(%[[Z]]) delta_bias(%[[DB]]) initial_state(%[[H0]]) delta_softplus : (tensor<?x64x?xbf16>, tensor<?x64x?xbf16>, tensor<64x16xf32>, tensor<?x2x16x?xbf16>, tensor<?x2x16x?xbf16>, tensor<64xf32>, tensor<?x64x?xbf16>, tensor<64xf32>, tensor<?x64x16xf32>) -> (tensor<?x64x?xbf16>, tensor<?x64x16xf32>)
// CHECK: return %[[Y]], %[[H]]
func.func @selective_scan_full_groups_dynamic_bf16(
    %u: tensor<?x64x?xbf16>, %dt: tensor<?x64x?xbf16>, %A: tensor<64x16xf32>,
    %B: tensor<?x2x16x?xbf16>, %C: tensor<?x2x16x?xbf16>, %D: tensor<64xf32>,
    %z: tensor<?x64x?xbf16>, %db: tensor<64xf32>, %h0: tensor<?x64x16xf32>)
    -> (tensor<?x64x?xbf16>, tensor<?x64x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db)
      initial_state(%h0) delta_softplus
      : (tensor<?x64x?xbf16>, tensor<?x64x?xbf16>, tensor<64x16xf32>,
         tensor<?x2x16x?xbf16>, tensor<?x2x16x?xbf16>, tensor<64xf32>,
         tensor<?x64x?xbf16>, tensor<64xf32>, tensor<?x64x16xf32>)
      -> (tensor<?x64x?xbf16>, tensor<?x64x16xf32>)
  return %y, %h : tensor<?x64x?xbf16>, tensor<?x64x16xf32>
}

// CHECK-LABEL: func.func @ssd_minimal
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x8x4x16xf32>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<2x8x4xf32>
// CHECK-SAME: %[[A:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<2x8x1x32xf32>
// CHECK-SAME: %[[C:[^:]+]]: tensor<2x8x1x32xf32>
// CHECK: %[[Y:.*]] = ssm.ssd %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] chunk_size = 64 : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
// CHECK: return %[[Y]]
func.func @ssd_minimal(%x: tensor<2x8x4x16xf32>, %dt: tensor<2x8x4xf32>,
                       %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>,
                       %C: tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 64
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return %y : tensor<2x8x4x16xf32>
}

// Every optional operand and attribute, D per head (h), seq_idx of i32,
// g = 2 groups, dynamic batch and length, bf16 activations.
// CHECK-LABEL: func.func @ssd_full_d_per_head_seq_idx_i32
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x8x16xbf16>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<?x?x8xbf16>
// CHECK-SAME: %[[A:[^:]+]]: tensor<8xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<?x?x2x32xbf16>
// CHECK-SAME: %[[C:[^:]+]]: tensor<?x?x2x32xbf16>
// CHECK-SAME: %[[D:[^:]+]]: tensor<8xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<?x?x8x16xbf16>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<8xf32>
// CHECK-SAME: %[[H0:[^:]+]]: tensor<?x8x16x32xf32>
// CHECK-SAME: %[[SEQ:[^:]+]]: tensor<?x?xi32>
// CHECK: %[[Y:.*]], %[[H:.*]] = ssm.ssd %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] chunk_size = 128 D(%[[D]]) z(%[[Z]]) dt_bias(%[[DTB]]) initial_states(%[[H0]]) seq_idx(%[[SEQ]]) dt_softplus dt_limit = [0.000000e+00, 1.000000e+01] : (tensor<?x?x8x16xbf16>, tensor<?x?x8xbf16>, tensor<8xf32>, tensor<?x?x2x32xbf16>, tensor<?x?x2x32xbf16>, tensor<8xf32>, tensor<?x?x8x16xbf16>, tensor<8xf32>, tensor<?x8x16x32xf32>, tensor<?x?xi32>) -> (tensor<?x?x8x16xbf16>, tensor<?x8x16x32xf32>)
// CHECK: return %[[Y]], %[[H]]
func.func @ssd_full_d_per_head_seq_idx_i32(
    %x: tensor<?x?x8x16xbf16>, %dt: tensor<?x?x8xbf16>, %A: tensor<8xf32>,
    %B: tensor<?x?x2x32xbf16>, %C: tensor<?x?x2x32xbf16>, %D: tensor<8xf32>,
    %z: tensor<?x?x8x16xbf16>, %dtb: tensor<8xf32>,
    %h0: tensor<?x8x16x32xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x8x16xbf16>, tensor<?x8x16x32xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 128 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.0, 10.0]
      : (tensor<?x?x8x16xbf16>, tensor<?x?x8xbf16>, tensor<8xf32>,
         tensor<?x?x2x32xbf16>, tensor<?x?x2x32xbf16>, tensor<8xf32>,
         tensor<?x?x8x16xbf16>, tensor<8xf32>, tensor<?x8x16x32xf32>,
         tensor<?x?xi32>) -> (tensor<?x?x8x16xbf16>, tensor<?x8x16x32xf32>)
  return %y, %h : tensor<?x?x8x16xbf16>, tensor<?x8x16x32xf32>
}

// The same with D per head and channel (h, p) and seq_idx of i64.
// CHECK-LABEL: func.func @ssd_full_d_per_channel_seq_idx_i64
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x8x16xf32>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<?x?x8xf32>
// CHECK-SAME: %[[A:[^:]+]]: tensor<8xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<?x?x2x32xf32>
// CHECK-SAME: %[[C:[^:]+]]: tensor<?x?x2x32xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<8x16xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<?x?x8x16xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<8xf32>
// CHECK-SAME: %[[H0:[^:]+]]: tensor<?x8x16x32xf32>
// CHECK-SAME: %[[SEQ:[^:]+]]: tensor<?x?xi64>
// CHECK: %[[Y:.*]], %[[H:.*]] = ssm.ssd %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] chunk_size = 256 D(%[[D]]) z(%[[Z]]) dt_bias(%[[DTB]]) initial_states(%[[H0]]) seq_idx(%[[SEQ]]) dt_softplus dt_limit = [1.000000e-03, 1.000000e-01] : (tensor<?x?x8x16xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<8x16xf32>, tensor<?x?x8x16xf32>, tensor<8xf32>, tensor<?x8x16x32xf32>, tensor<?x?xi64>) -> (tensor<?x?x8x16xf32>, tensor<?x8x16x32xf32>)
// CHECK: return %[[Y]], %[[H]]
func.func @ssd_full_d_per_channel_seq_idx_i64(
    %x: tensor<?x?x8x16xf32>, %dt: tensor<?x?x8xf32>, %A: tensor<8xf32>,
    %B: tensor<?x?x2x32xf32>, %C: tensor<?x?x2x32xf32>, %D: tensor<8x16xf32>,
    %z: tensor<?x?x8x16xf32>, %dtb: tensor<8xf32>,
    %h0: tensor<?x8x16x32xf32>, %seq: tensor<?x?xi64>)
    -> (tensor<?x?x8x16xf32>, tensor<?x8x16x32xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.001, 0.1]
      : (tensor<?x?x8x16xf32>, tensor<?x?x8xf32>, tensor<8xf32>,
         tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<8x16xf32>,
         tensor<?x?x8x16xf32>, tensor<8xf32>, tensor<?x8x16x32xf32>,
         tensor<?x?xi64>) -> (tensor<?x?x8x16xf32>, tensor<?x8x16x32xf32>)
  return %y, %h : tensor<?x?x8x16xf32>, tensor<?x8x16x32xf32>
}

// CHECK-LABEL: func.func @causal_conv1d_plain
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x16x8xf32>
// CHECK-SAME: %[[W:[^:]+]]: tensor<16x4xf32>
// CHECK: %[[Y:.*]] = ssm.causal_conv1d %[[X]], %[[W]] : (tensor<2x16x8xf32>, tensor<16x4xf32>) -> tensor<2x16x8xf32>
// CHECK: return %[[Y]]
func.func @causal_conv1d_plain(%x: tensor<2x16x8xf32>, %w: tensor<16x4xf32>)
    -> tensor<2x16x8xf32> {
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x4xf32>) -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

// CHECK-LABEL: func.func @causal_conv1d_bias_silu
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x16x?xbf16>
// CHECK-SAME: %[[W:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[BIAS:[^:]+]]: tensor<16xf32>
// CHECK: %[[Y:.*]] = ssm.causal_conv1d %[[X]], %[[W]] bias(%[[BIAS]]) silu : (tensor<?x16x?xbf16>, tensor<16x4xf32>, tensor<16xf32>) -> tensor<?x16x?xbf16>
// CHECK: return %[[Y]]
func.func @causal_conv1d_bias_silu(%x: tensor<?x16x?xbf16>, %w: tensor<16x4xf32>,
                                   %bias: tensor<16xf32>) -> tensor<?x16x?xbf16> {
  %y = ssm.causal_conv1d %x, %w bias(%bias) silu
      : (tensor<?x16x?xbf16>, tensor<16x4xf32>, tensor<16xf32>)
      -> tensor<?x16x?xbf16>
  return %y : tensor<?x16x?xbf16>
}

// The decode form: the cache of the k-1 = 3 previous inputs in and out.
// CHECK-LABEL: func.func @causal_conv1d_conv_state
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x16x1xf32>
// CHECK-SAME: %[[W:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[BIAS:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[ST:[^:]+]]: tensor<?x16x3xf32>
// CHECK: %[[Y:.*]], %[[NST:.*]] = ssm.causal_conv1d %[[X]], %[[W]] bias(%[[BIAS]]) conv_state(%[[ST]]) silu : (tensor<?x16x1xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<?x16x3xf32>) -> (tensor<?x16x1xf32>, tensor<?x16x3xf32>)
// CHECK: return %[[Y]], %[[NST]]
func.func @causal_conv1d_conv_state(%x: tensor<?x16x1xf32>, %w: tensor<16x4xf32>,
                                    %bias: tensor<16xf32>,
                                    %st: tensor<?x16x3xf32>)
    -> (tensor<?x16x1xf32>, tensor<?x16x3xf32>) {
  %y, %nst = ssm.causal_conv1d %x, %w bias(%bias) conv_state(%st) silu
      : (tensor<?x16x1xf32>, tensor<16x4xf32>, tensor<16xf32>,
         tensor<?x16x3xf32>) -> (tensor<?x16x1xf32>, tensor<?x16x3xf32>)
  return %y, %nst : tensor<?x16x1xf32>, tensor<?x16x3xf32>
}

// Mamba-1 layout: a rank-3 state (b, d, n).
// CHECK-LABEL: func.func @state_update_mamba1_layout
// CHECK-SAME: %[[S:[^:]+]]: tensor<2x16x8xf32>
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x16xf32>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<2x16xf32>
// CHECK-SAME: %[[A:[^:]+]]: tensor<16x8xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<2x1x8xf32>
// CHECK-SAME: %[[C:[^:]+]]: tensor<2x1x8xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<2x16xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<16xf32>
// CHECK: %[[Y:.*]], %[[NS:.*]] = ssm.state_update %[[S]], %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] D(%[[D]]) z(%[[Z]]) dt_bias(%[[DTB]]) dt_softplus : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>, tensor<16xf32>, tensor<2x16xf32>, tensor<16xf32>) -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
// CHECK: return %[[Y]], %[[NS]]
func.func @state_update_mamba1_layout(
    %s: tensor<2x16x8xf32>, %x: tensor<2x16xf32>, %dt: tensor<2x16xf32>,
    %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>, %C: tensor<2x1x8xf32>,
    %D: tensor<16xf32>, %z: tensor<2x16xf32>, %dtb: tensor<16xf32>)
    -> (tensor<2x16xf32>, tensor<2x16x8xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb)
      dt_softplus
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>,
         tensor<16xf32>, tensor<2x16xf32>, tensor<16xf32>)
      -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
  return %y, %ns : tensor<2x16xf32>, tensor<2x16x8xf32>
}

// Mamba-2 layout: a rank-4 state (b, h, p, n), D per (h, p), g = 2, dt_limit.
// CHECK-LABEL: func.func @state_update_mamba2_layout_dt_limit
// CHECK-SAME: %[[S:[^:]+]]: tensor<?x4x8x16xf32>
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x4x8xbf16>
// CHECK-SAME: %[[DT:[^:]+]]: tensor<?x4xbf16>
// CHECK-SAME: %[[A:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<?x2x16xbf16>
// CHECK-SAME: %[[C:[^:]+]]: tensor<?x2x16xbf16>
// CHECK-SAME: %[[D:[^:]+]]: tensor<4x8xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<?x4x8xbf16>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<4xf32>
// CHECK: %[[Y:.*]], %[[NS:.*]] = ssm.state_update %[[S]], %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] D(%[[D]]) z(%[[Z]]) dt_bias(%[[DTB]]) dt_softplus dt_limit = [0.000000e+00, 1.000000e+01] : (tensor<?x4x8x16xf32>, tensor<?x4x8xbf16>, tensor<?x4xbf16>, tensor<4xf32>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>, tensor<4x8xf32>, tensor<?x4x8xbf16>, tensor<4xf32>) -> (tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>)
// CHECK: return %[[Y]], %[[NS]]
func.func @state_update_mamba2_layout_dt_limit(
    %s: tensor<?x4x8x16xf32>, %x: tensor<?x4x8xbf16>, %dt: tensor<?x4xbf16>,
    %A: tensor<4xf32>, %B: tensor<?x2x16xbf16>, %C: tensor<?x2x16xbf16>,
    %D: tensor<4x8xf32>, %z: tensor<?x4x8xbf16>, %dtb: tensor<4xf32>)
    -> (tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb)
      dt_softplus dt_limit = [0.0, 10.0]
      : (tensor<?x4x8x16xf32>, tensor<?x4x8xbf16>, tensor<?x4xbf16>,
         tensor<4xf32>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>,
         tensor<4x8xf32>, tensor<?x4x8xbf16>, tensor<4xf32>)
      -> (tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>)
  return %y, %ns : tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>
}

// h_t = a_t h_{t-1} + b_t as a scan of (a, b) pairs.
// CHECK-LABEL: func.func @scan_linear_recurrence
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x?xf32>
// CHECK-SAME: %[[B:[^:]+]]: tensor<?x?xf32>
// CHECK: %[[R:.*]]:2 = ssm.scan %[[A]], %[[B]] dimension = 1 : tensor<?x?xf32>, tensor<?x?xf32> {
// CHECK-NEXT: ^bb0(%[[A0:[^:]+]]: f32, %[[B0:[^:]+]]: f32, %[[A1:[^:]+]]: f32, %[[B1:[^:]+]]: f32):
// CHECK-NEXT:   %[[AA:.*]] = arith.mulf %[[A0]], %[[A1]] : f32
// CHECK-NEXT:   %[[AB:.*]] = arith.mulf %[[A1]], %[[B0]] : f32
// CHECK-NEXT:   %[[BB:.*]] = arith.addf %[[AB]], %[[B1]] : f32
// CHECK-NEXT:   ssm.yield %[[AA]], %[[BB]] : f32, f32
// CHECK-NEXT: }
// CHECK: return %[[R]]#1
func.func @scan_linear_recurrence(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>)
    -> tensor<?x?xf32> {
  %a_out, %h = ssm.scan %a, %b dimension = 1
      : tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    %aa = arith.mulf %a0, %a1 : f32
    %ab = arith.mulf %a1, %b0 : f32
    %bb = arith.addf %ab, %b1 : f32
    ssm.yield %aa, %bb : f32, f32
  }
  return %h : tensor<?x?xf32>
}

// A reversed prefix sum (a suffix sum) of one input.
// CHECK-LABEL: func.func @scan_single_input_add_reverse
// CHECK-SAME: %[[X:[^:]+]]: tensor<4x8xf16>
// CHECK: %[[R:.*]] = ssm.scan %[[X]] dimension = 0 reverse : tensor<4x8xf16> {
// CHECK-NEXT: ^bb0(%[[ACC:[^:]+]]: f16, %[[NEXT:[^:]+]]: f16):
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[ACC]], %[[NEXT]] : f16
// CHECK-NEXT:   ssm.yield %[[S]] : f16
// CHECK-NEXT: }
// CHECK: return %[[R]]
func.func @scan_single_input_add_reverse(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %r = ssm.scan %x dimension = 0 reverse : tensor<4x8xf16> {
  ^bb0(%acc: f16, %next: f16):
    %s = arith.addf %acc, %next : f16
    ssm.yield %s : f16
  }
  return %r : tensor<4x8xf16>
}

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x16xf32>
// CHECK-SAME: %[[W:[^:]+]]: tensor<16xf32>
// CHECK: %[[Y:.*]] = ssm.rms_norm %[[X]], %[[W]] eps = 1.000000e-05 : (tensor<?x?x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[Y]]
func.func @rms_norm(%x: tensor<?x?x16xf32>, %w: tensor<16xf32>)
    -> tensor<?x?x16xf32> {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// Two groups of 16 channels, as Mamba-2 with n_groups = 2 and d = 32.
// CHECK-LABEL: func.func @gated_rms_norm
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x32xf32>
// CHECK-SAME: %[[Z:[^:]+]]: tensor<?x?x32xf32>
// CHECK-SAME: %[[W:[^:]+]]: tensor<32xf32>
// CHECK: %[[Y:.*]] = ssm.gated_rms_norm %[[X]], %[[Z]], %[[W]] group_size = 16 eps = 1.000000e-05 : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
// CHECK: return %[[Y]]
func.func @gated_rms_norm(%x: tensor<?x?x32xf32>, %z: tensor<?x?x32xf32>,
                          %w: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %y = ssm.gated_rms_norm %x, %z, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>)
      -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// Mamba-1 mixer without the optional biases: d_model = 16, d = 32, n = 4,
// r = 2, k = 4.
// CHECK-LABEL: func.func @mamba_mixer_no_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x16xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<64x16xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<32x4xf32>
// CHECK-SAME: %[[XP:[^:]+]]: tensor<10x32xf32>
// CHECK-SAME: %[[DTW:[^:]+]]: tensor<32x2xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<32x4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[OUT:[^:]+]]: tensor<16x32xf32>
// CHECK: %[[Y:.*]] = ssm.mamba_mixer %[[H]] in_proj(%[[IN]]) conv1d(%[[CW]]) x_proj(%[[XP]]) dt_proj(%[[DTW]], %[[DTB]]) A_log(%[[AL]]) D(%[[D]]) out_proj(%[[OUT]]) : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>, tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[Y]]
func.func @mamba_mixer_no_biases(%hidden: tensor<?x?x16xf32>,
                                 %in_proj: tensor<64x16xf32>,
                                 %conv_w: tensor<32x4xf32>,
                                 %x_proj: tensor<10x32xf32>,
                                 %dt_w: tensor<32x2xf32>, %dt_b: tensor<32xf32>,
                                 %A_log: tensor<32x4xf32>, %D: tensor<32xf32>,
                                 %out_proj: tensor<16x32xf32>)
    -> tensor<?x?x16xf32> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %dt_b) A_log(%A_log) D(%D)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}

// Mamba-1 mixer with the in_proj, conv1d and out_proj biases.
// CHECK-LABEL: func.func @mamba_mixer_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<2x?x16xbf16>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<64x16xbf16>
// CHECK-SAME: %[[INB:[^:]+]]: tensor<64xbf16>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<32x4xbf16>
// CHECK-SAME: %[[CB:[^:]+]]: tensor<32xbf16>
// CHECK-SAME: %[[XP:[^:]+]]: tensor<10x32xbf16>
// CHECK-SAME: %[[DTW:[^:]+]]: tensor<32x2xbf16>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<32x4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[OUT:[^:]+]]: tensor<16x32xbf16>
// CHECK-SAME: %[[OUTB:[^:]+]]: tensor<16xbf16>
// CHECK: %[[Y:.*]] = ssm.mamba_mixer %[[H]] in_proj(%[[IN]], %[[INB]]) conv1d(%[[CW]], %[[CB]]) x_proj(%[[XP]]) dt_proj(%[[DTW]], %[[DTB]]) A_log(%[[AL]]) D(%[[D]]) out_proj(%[[OUT]], %[[OUTB]]) : (tensor<2x?x16xbf16>, tensor<64x16xbf16>, tensor<64xbf16>, tensor<32x4xbf16>, tensor<32xbf16>, tensor<10x32xbf16>, tensor<32x2xbf16>, tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xbf16>, tensor<16xbf16>) -> tensor<2x?x16xbf16>
// CHECK: return %[[Y]]
func.func @mamba_mixer_biases(%hidden: tensor<2x?x16xbf16>,
                              %in_proj: tensor<64x16xbf16>,
                              %in_b: tensor<64xbf16>,
                              %conv_w: tensor<32x4xbf16>,
                              %conv_b: tensor<32xbf16>,
                              %x_proj: tensor<10x32xbf16>,
                              %dt_w: tensor<32x2xbf16>, %dt_b: tensor<32xf32>,
                              %A_log: tensor<32x4xf32>, %D: tensor<32xf32>,
                              %out_proj: tensor<16x32xbf16>,
                              %out_b: tensor<16xbf16>) -> tensor<2x?x16xbf16> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) x_proj(%x_proj) dt_proj(%dt_w, %dt_b)
      A_log(%A_log) D(%D) out_proj(%out_proj, %out_b)
      : (tensor<2x?x16xbf16>, tensor<64x16xbf16>, tensor<64xbf16>,
         tensor<32x4xbf16>, tensor<32xbf16>, tensor<10x32xbf16>,
         tensor<32x2xbf16>, tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>,
         tensor<16x32xbf16>, tensor<16xbf16>) -> tensor<2x?x16xbf16>
  return %out : tensor<2x?x16xbf16>
}

// Mamba-2 mixer without dt_limit or biases: d_model = 16, d = 32 (h = 4,
// p = 8), g = 2, n = 4, k = 4, in_proj rows 2*32 + 2*2*4 + 4 = 84.
// CHECK-LABEL: func.func @mamba2_mixer_no_dt_limit_no_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x16xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<84x16xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<48x4xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[NW:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[OUT:[^:]+]]: tensor<16x32xf32>
// CHECK: %[[Y:.*]] = ssm.mamba2_mixer %[[H]] in_proj(%[[IN]]) conv1d(%[[CW]]) dt_bias(%[[DTB]]) A_log(%[[AL]]) D(%[[D]]) norm(%[[NW]]) out_proj(%[[OUT]]) n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.000000e-05 : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>, tensor<16x32xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[Y]]
func.func @mamba2_mixer_no_dt_limit_no_biases(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
    %conv_w: tensor<48x4xf32>, %dt_bias: tensor<4xf32>,
    %A_log: tensor<4xf32>, %D: tensor<4xf32>, %norm: tensor<32xf32>,
    %out_proj: tensor<16x32xf32>) -> tensor<?x?x16xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%dt_bias) A_log(%A_log) D(%D) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}

// Mamba-2 mixer with dt_limit and every bias.
// CHECK-LABEL: func.func @mamba2_mixer_dt_limit_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x16xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<84x16xf32>
// CHECK-SAME: %[[INB:[^:]+]]: tensor<84xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<48x4xf32>
// CHECK-SAME: %[[CB:[^:]+]]: tensor<48xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[NW:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[OUT:[^:]+]]: tensor<16x32xf32>
// CHECK-SAME: %[[OUTB:[^:]+]]: tensor<16xf32>
// CHECK: %[[Y:.*]] = ssm.mamba2_mixer %[[H]] in_proj(%[[IN]], %[[INB]]) conv1d(%[[CW]], %[[CB]]) dt_bias(%[[DTB]]) A_log(%[[AL]]) D(%[[D]]) norm(%[[NW]]) out_proj(%[[OUT]], %[[OUTB]]) n_groups = 2 head_dim = 8 chunk_size = 64 eps = 1.000000e-05 dt_limit = [0.000000e+00, 1.000000e+01] : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<84xf32>, tensor<48x4xf32>, tensor<48xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[Y]]
func.func @mamba2_mixer_dt_limit_biases(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
    %in_b: tensor<84xf32>, %conv_w: tensor<48x4xf32>, %conv_b: tensor<48xf32>,
    %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>, %D: tensor<4xf32>,
    %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>,
    %out_b: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) dt_bias(%dt_bias) A_log(%A_log) D(%D)
      norm(%norm) out_proj(%out_proj, %out_b)
      n_groups = 2 head_dim = 8 chunk_size = 64 eps = 1.0e-05
      dt_limit = [0.0, 10.0]
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<84xf32>,
         tensor<48x4xf32>, tensor<48xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<32xf32>, tensor<16x32xf32>, tensor<16xf32>)
      -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}

// Packed sequences: the states are one per sequence.
// CHECK-LABEL: func.func @packed
// CHECK: ssm.selective_scan {{.*}} cu_seqlens(%{{.*}}) delta_softplus
// CHECK: ssm.causal_conv1d {{.*}} cu_seqlens(%{{.*}}) silu
// CHECK: ssm.ssd {{.*}} cu_seqlens(%{{.*}}) dt_softplus
func.func @packed(%u: tensor<1x4x?xf32>, %A: tensor<4x16xf32>,
                  %B: tensor<1x1x16x?xf32>, %w: tensor<4x4xf32>,
                  %x: tensor<1x?x4x3xf32>, %dt: tensor<1x?x4xf32>,
                  %A2: tensor<4xf32>, %B2: tensor<1x?x2x5xf32>,
                  %cu: tensor<?xi32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %h = ssm.selective_scan %u, %u, %A, %B, %B cu_seqlens(%cu)
      delta_softplus
      : (tensor<1x4x?xf32>, tensor<1x4x?xf32>, tensor<4x16xf32>,
         tensor<1x1x16x?xf32>, tensor<1x1x16x?xf32>, tensor<?xi32>)
      -> (tensor<1x4x?xf32>, tensor<?x4x16xf32>)
  %c, %s = ssm.causal_conv1d %u, %w cu_seqlens(%cu) silu
      : (tensor<1x4x?xf32>, tensor<4x4xf32>, tensor<?xi32>)
      -> (tensor<1x4x?xf32>, tensor<?x4x3xf32>)
  %o, %f = ssm.ssd %x, %dt, %A2, %B2, %B2 chunk_size = 8 cu_seqlens(%cu)
      dt_softplus
      : (tensor<1x?x4x3xf32>, tensor<1x?x4xf32>, tensor<4xf32>,
         tensor<1x?x2x5xf32>, tensor<1x?x2x5xf32>, tensor<?xi32>)
      -> (tensor<1x?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %h, %s, %f : tensor<?x4x16xf32>, tensor<?x4x3xf32>, tensor<?x4x3x5xf32>
}

// Model-level blocks and the tensor-parallel collectives.
// CHECK-LABEL: func.func @model_blocks
// CHECK: ssm.embedding %{{.*}}, %{{.*}} world_size = 2 : (tensor<?x?xi32>, tensor<5x8xbf16>) -> tensor<?x?x8xf32>
// CHECK: ssm.all_reduce %{{.*}} world_size = 2 : tensor<?x?x8xf32>
// CHECK: ssm.linear %{{.*}}, %{{.*}} bias(%{{.*}}) : (tensor<?x?x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
// CHECK: ssm.all_gather %{{.*}} dim = 2 world_size = 2 : (tensor<?x?x5xf32>) -> tensor<?x?x10xf32>
// CHECK: ssm.tp_rank
func.func @model_blocks(%t: tensor<?x?xi32>, %table: tensor<5x8xbf16>,
                        %w: tensor<5x8xf32>, %b: tensor<5xf32>) -> (tensor<?x?x10xf32>, index) {
  %e = ssm.embedding %t, %table world_size = 2 : (tensor<?x?xi32>, tensor<5x8xbf16>) -> tensor<?x?x8xf32>
  %s = ssm.all_reduce %e world_size = 2 : tensor<?x?x8xf32>
  %p = ssm.linear %s, %w bias(%b) : (tensor<?x?x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %g = ssm.all_gather %p dim = 2 world_size = 2 : (tensor<?x?x5xf32>) -> tensor<?x?x10xf32>
  %r = ssm.tp_rank
  return %g, %r : tensor<?x?x10xf32>, index
}

// A mixer with its caches in and out (the model's layer entry).
// CHECK-LABEL: func.func @mixer_caches
// CHECK: ssm.mamba2_mixer {{.*}} conv_state(%{{[a-z0-9]+}}) ssm_state(%{{[a-z0-9]+}}) n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.000000e-05 norm_group_size = 16 a_given world_size = 2
func.func @mixer_caches(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %conv: tensor<20x4xf32>,
                        %v: tensor<4xf32>, %norm: tensor<8xf32>, %out: tensor<8x8xf32>,
                        %cs: tensor<?x20x3xf32>, %ss: tensor<?x4x2x6xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>) {
  %y, %st:2 = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) conv_state(%cs) ssm_state(%ss)
      n_groups = 1 head_dim = 2 chunk_size = 8 eps = 1.0e-5 norm_group_size = 16 a_given world_size = 2
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<?x20x3xf32>, tensor<?x4x2x6xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>)
  return %y, %st#0, %st#1 : tensor<?x?x8xf32>, tensor<?x20x3xf32>, tensor<?x4x2x6xf32>
}
