// RUN: ssmc-opt %s -ssm-shard-tensor-parallel=world-size=2 -split-input-file -verify-diagnostics | FileCheck %s
// RUN: ssmc-opt %s -ssm-shard-tensor-parallel=world-size=2 -split-input-file -verify-diagnostics | ssmc-opt -ssm-decompose-mixers | FileCheck %s --check-prefix=DECOMP
// RUN: ssmc-opt %s -ssm-shard-tensor-parallel=world-size=1 -split-input-file | FileCheck %s --check-prefix=ONE

// The program each of 2 ranks runs: every rank's op shapes, the slice of
// each weight it loads (ssm.shard: along `dim` of the `full` shape, the
// pieces [start, size, split]), and where the collectives go.

// ONE-NOT: ssm.shard
// ONE-NOT: ssm.all_reduce

// Mamba-1, d_model 8, d = 16, n = 4, r = 3, k = 4, with caches and biases:
// the channels split 8 + 8. in_proj: rows [0, 8) of x and [16, 24) of z on
// rank 0 (pieces split: rank r takes start + r * size); x_proj and out_proj
// by columns (their input channels).
// CHECK-LABEL: func.func @mamba(
// CHECK-SAME: %{{[^:]+}}: tensor<?x?x8xf32>
// CHECK-SAME: tensor<16x8xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 32, 8>, pieces = array<i64: 0, 8, 1, 16, 8, 1>}}
// CHECK-SAME: tensor<16xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 32>, pieces = array<i64: 0, 8, 1, 16, 8, 1>}}
// CHECK-SAME: tensor<8x1x4xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 16, 1, 4>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: tensor<11x8xf32> {ssm.shard = {dim = 1 : i64, full = array<i64: 11, 16>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: tensor<8x3xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 16, 3>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: tensor<8x4xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 16, 4>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: tensor<8x8xf32> {ssm.shard = {dim = 1 : i64, full = array<i64: 8, 16>, pieces = array<i64: 0, 8, 1>}}
// The out_proj bias stays whole: it is added once, after the sum.
// CHECK-SAME: %[[OB:[^:]+]]: tensor<8xf32>,
// CHECK-SAME: %{{[^:]+}}: tensor<?x8x3xf32>, %{{[^:]+}}: tensor<?x8x4xf32>)
// CHECK-SAME: -> (tensor<?x?x8xf32>, tensor<?x8x3xf32>, tensor<?x8x4xf32>)
// CHECK: %[[CW:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<8x1x4xf32> into tensor<8x4xf32>
// CHECK: %[[OUT:.*]], %[[ST:.*]]:2 = ssm.mamba_mixer
// CHECK-SAME: conv1d(%[[CW]], %{{[a-z0-9]+}})
// CHECK-SAME: a_given world_size = 2
// CHECK-SAME: -> (tensor<?x?x8xf32>, tensor<?x8x3xf32>, tensor<?x8x4xf32>)
// CHECK-NEXT: %[[SUM:.*]] = ssm.all_reduce %[[OUT]] world_size = 2 : tensor<?x?x8xf32>
// CHECK: %[[BIASED:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[OB]] : tensor<?x?x8xf32>, tensor<8xf32>)
// CHECK: return %[[BIASED]], %[[ST]]#0, %[[ST]]#1
//
// Decomposed: x_proj's partial product summed over the ranks before the
// split into dt_low, B and C.
// DECOMP-LABEL: func.func @mamba(
// DECOMP: %[[XDBL:[^ ]+]] = linalg.generic {{.*}} : tensor<?x8x?xf32>, tensor<11x8xf32>)
// DECOMP: ssm.all_reduce %[[XDBL]] world_size = 2 : tensor<?x11x?xf32>
// DECOMP: ssm.selective_scan
func.func @mamba(%h: tensor<?x?x8xf32>, %in: tensor<32x8xf32>, %inb: tensor<32xf32>,
                 %conv: tensor<16x1x4xf32>, %convb: tensor<16xf32>,
                 %xp: tensor<11x16xf32>, %dtw: tensor<16x3xf32>, %dtb: tensor<16xf32>,
                 %a: tensor<16x4xf32>, %d: tensor<16xf32>, %out: tensor<8x16xf32>,
                 %outb: tensor<8xf32>, %cs: tensor<?x16x3xf32>, %ss: tensor<?x16x4xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x16x3xf32>, tensor<?x16x4xf32>) {
  %cw = tensor.collapse_shape %conv [[0, 1], [2]] : tensor<16x1x4xf32> into tensor<16x4xf32>
  %y, %st:2 = ssm.mamba_mixer %h in_proj(%in, %inb) conv1d(%cw, %convb) x_proj(%xp)
      dt_proj(%dtw, %dtb) A_log(%a) D(%d) out_proj(%out, %outb)
      conv_state(%cs) ssm_state(%ss) a_given
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<16x4xf32>,
         tensor<16xf32>, tensor<11x16xf32>, tensor<16x3xf32>, tensor<16xf32>,
         tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8xf32>,
         tensor<?x16x3xf32>, tensor<?x16x4xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x16x3xf32>, tensor<?x16x4xf32>)
  return %y, %st#0, %st#1 : tensor<?x?x8xf32>, tensor<?x16x3xf32>, tensor<?x16x4xf32>
}

// -----

// Mamba-2, d_model 8, h = 4 heads of p = 4 (d = 16), g = 2 groups of n = 2,
// the norm per group (8 channels): each rank one group, 2 heads, the norm
// local. in_proj rows [z 16, x 16, B 4, C 4, dt 4]: rank r takes z[8r, 8r+8),
// x[16+8r, ...), B[32+2r, ...), C[36+2r, ...), dt[40+2r, ...).
// CHECK-LABEL: func.func @mamba2_groups(
// CHECK-SAME: tensor<22x8xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 44, 8>, pieces = array<i64: 0, 8, 1, 16, 8, 1, 32, 2, 1, 36, 2, 1, 40, 2, 1>}}
// CHECK-SAME: tensor<12x4xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 24, 4>, pieces = array<i64: 0, 8, 1, 16, 2, 1, 20, 2, 1>}}
// CHECK-SAME: tensor<2xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 4>, pieces = array<i64: 0, 2, 1>}}
// CHECK-SAME: tensor<8xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 16>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: tensor<8x8xf32> {ssm.shard = {dim = 1 : i64, full = array<i64: 8, 16>, pieces = array<i64: 0, 8, 1>}}
// CHECK-SAME: %{{[^:]+}}: tensor<?x12x3xf32>, %{{[^:]+}}: tensor<?x2x4x2xf32>)
// CHECK: ssm.mamba2_mixer
// CHECK-SAME: n_groups = 1 head_dim = 4 chunk_size = 8 eps = 1.000000e-05 norm_group_size = 8 world_size = 2
// CHECK-NEXT: ssm.all_reduce
// DECOMP-LABEL: func.func @mamba2_groups(
// DECOMP: ssm.gated_rms_norm {{.*}} group_size = 8
// DECOMP: ssm.all_reduce
func.func @mamba2_groups(%h: tensor<?x?x8xf32>, %in: tensor<44x8xf32>, %conv: tensor<24x4xf32>,
                         %dtb: tensor<4xf32>, %a: tensor<4xf32>, %d: tensor<4xf32>,
                         %norm: tensor<16xf32>, %out: tensor<8x16xf32>,
                         %cs: tensor<?x24x3xf32>, %ss: tensor<?x4x4x2xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x24x3xf32>, tensor<?x4x4x2xf32>) {
  %y, %st:2 = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%dtb) A_log(%a) D(%d)
      norm(%norm) out_proj(%out) conv_state(%cs) ssm_state(%ss)
      n_groups = 2 head_dim = 4 chunk_size = 8 eps = 1.0e-5
      : (tensor<?x?x8xf32>, tensor<44x8xf32>, tensor<24x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<16xf32>, tensor<8x16xf32>,
         tensor<?x24x3xf32>, tensor<?x4x4x2xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x24x3xf32>, tensor<?x4x4x2xf32>)
  return %y, %st#0, %st#1 : tensor<?x?x8xf32>, tensor<?x24x3xf32>, tensor<?x4x4x2xf32>
}

// -----

// One group: B and C whole on every rank (pieces not split), and the
// whole-width norm (group 16 = 2 x 8 channels) spans the ranks: its sum of
// squares is summed over them.
// CHECK-LABEL: func.func @mamba2_one_group(
// CHECK-SAME: tensor<22x8xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 40, 8>, pieces = array<i64: 0, 8, 1, 16, 8, 1, 32, 2, 0, 34, 2, 0, 36, 2, 1>}}
// CHECK-SAME: tensor<12x4xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 20, 4>, pieces = array<i64: 0, 8, 1, 16, 2, 0, 18, 2, 0>}}
// CHECK: ssm.mamba2_mixer
// CHECK-SAME: n_groups = 1 head_dim = 4 chunk_size = 8 eps = 1.000000e-05 norm_group_size = 16 world_size = 2
// DECOMP-LABEL: func.func @mamba2_one_group(
// DECOMP-NOT: ssm.gated_rms_norm
// DECOMP: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<?x?x1x8xf32>) outs(%{{.*}} : tensor<?x?x1xf32>)
// DECOMP: ssm.all_reduce %[[SQ]] world_size = 2 : tensor<?x?x1xf32>
// DECOMP: math.rsqrt
func.func @mamba2_one_group(%h: tensor<?x?x8xf32>, %in: tensor<40x8xf32>, %conv: tensor<20x4xf32>,
                            %dtb: tensor<4xf32>, %a: tensor<4xf32>, %d: tensor<4xf32>,
                            %norm: tensor<16xf32>, %out: tensor<8x16xf32>) -> tensor<?x?x8xf32> {
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%dtb) A_log(%a) D(%d)
      norm(%norm) out_proj(%out) n_groups = 1 head_dim = 4 chunk_size = 8 eps = 1.0e-5
      norm_group_size = 16
      : (tensor<?x?x8xf32>, tensor<40x8xf32>, tensor<20x4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<16xf32>, tensor<8x16xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// The embedding split by vocabulary rows, then summed (each id is one
// rank's); the lm_head by output features, then gathered.
// CHECK-LABEL: func.func @embed(
// CHECK-SAME: tensor<5x8xbf16> {ssm.shard = {dim = 0 : i64, full = array<i64: 10, 8>, pieces = array<i64: 0, 5, 1>}}
// CHECK: %[[E:.*]] = ssm.embedding %{{.*}}, %{{.*}} world_size = 2
// CHECK-NEXT: ssm.all_reduce %[[E]] world_size = 2 : tensor<?x?x8xf32>
// DECOMP-LABEL: func.func @embed(
// DECOMP: ssm.tp_rank
// DECOMP: arith.select
func.func @embed(%tokens: tensor<?x?xi32>, %table: tensor<10x8xbf16>) -> tensor<?x?x8xf32> {
  %e = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<10x8xbf16>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @head(
// CHECK-SAME: tensor<5x8xf32> {ssm.shard = {dim = 0 : i64, full = array<i64: 10, 8>, pieces = array<i64: 0, 5, 1>}}
// CHECK-SAME: -> tensor<?x?x10xf32>
// CHECK: %[[P:.*]] = ssm.linear {{.*}} -> tensor<?x?x5xf32>
// CHECK-NEXT: ssm.all_gather %[[P]] dim = 2 world_size = 2 : (tensor<?x?x5xf32>) -> tensor<?x?x10xf32>
func.func @head(%x: tensor<?x?x8xf32>, %w: tensor<10x8xf32>) -> tensor<?x?x10xf32> {
  %y = ssm.linear %x, %w : (tensor<?x?x8xf32>, tensor<10x8xf32>) -> tensor<?x?x10xf32>
  return %y : tensor<?x?x10xf32>
}

// -----

// What cannot be split over 2 ranks.
func.func @odd_vocab(%tokens: tensor<?x?xi32>, %table: tensor<7x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.embedding' op cannot be split over 2 ranks: the world size does not divide the vocabulary size = 7}}
  %e = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<7x8xf32>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

func.func @three_groups(%h: tensor<?x?x8xf32>, %in: tensor<36x8xf32>, %conv: tensor<18x4xf32>,
                        %v: tensor<6xf32>, %norm: tensor<12xf32>, %out: tensor<8x12xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'ssm.mamba2_mixer' op cannot be split over 2 ranks: the world size must divide the group count g = 3 (or g be 1, its B and C then held by every rank)}}
  %y = ssm.mamba2_mixer %h in_proj(%in) conv1d(%conv) dt_bias(%v) A_log(%v) D(%v)
      norm(%norm) out_proj(%out) n_groups = 3 head_dim = 2 chunk_size = 8 eps = 1.0e-5
      : (tensor<?x?x8xf32>, tensor<36x8xf32>, tensor<18x4xf32>, tensor<6xf32>,
         tensor<6xf32>, tensor<6xf32>, tensor<12xf32>, tensor<8x12xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// A weight that is not a function argument (here a constant) has no slice
// for the runtime to load.
func.func @not_an_argument(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x8xf32>
  // expected-error @+1 {{'ssm.linear' op cannot be sharded: operand 'weight' is not an argument of @not_an_argument}}
  %y = ssm.linear %x, %w : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}
