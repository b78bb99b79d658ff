// RUN: ssmc-opt %s -ssm-decompose-mixers -split-input-file --mlir-print-local-scope | FileCheck %s
// RUN: ssmc-opt %s -ssm-decompose-mixers -split-input-file | FileCheck %s --check-prefix=NOMIXER

// The data flow of ssm.mamba_mixer and ssm.mamba2_mixer after
// -ssm-decompose-mixers. --mlir-print-local-scope prints the indexing maps on
// each linalg.generic, so the checks read the contraction layouts directly.
// No -cse: the repeated tensor.dim ops it would merge are never checked.
// No --mlir-pass-statistics line: Debian's LLVM 22 is built without
// statistics, so the report stays empty.
// Function arguments are captured with `[^:]+` because FileCheck's regexes
// are leftmost-longest (`.*` would swallow several arguments of one type).

// No mixer op survives the pass.
// NOMIXER-NOT: ssm.mamba_mixer
// NOMIXER-NOT: ssm.mamba2_mixer

// Mamba-1 at d_model = 8, d = 16, n = 4, r = 3, k = 4: x_proj has
// r + 2n = 11 rows, split [dt_low, B, C] at offsets 0, 3, 7.
// CHECK-LABEL: func.func @mamba_mixer_f32
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x8xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<32x8xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[XP:[^:]+]]: tensor<11x16xf32>
// CHECK-SAME: %[[DTW:[^:]+]]: tensor<16x3xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[OUTW:[^:]+]]: tensor<8x16xf32>
//
// in_proj: (b, l, d_model) times the (2d, d_model) weight, reducing d_model,
// into a zero-filled (b, l, 2d).
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[XZ_INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
// CHECK: %[[XZ:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[H]], %[[IN]] : tensor<?x?x8xf32>, tensor<32x8xf32>) outs(%[[XZ_INIT]] : tensor<?x?x32xf32>)
// CHECK-NEXT: ^bb0(%[[XIN:[^:]+]]: f32, %[[WIN:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[XIN]], %[[WIN]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[PROD]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
//
// [x, z] = the channels [0, d) and [d, 2d), each transposed to (b, d, l).
// CHECK: %[[X_BLD:.*]] = tensor.extract_slice %[[XZ]][0, 0, 0] [%{{.*}}, %{{.*}}, 16] [1, 1, 1] : tensor<?x?x32xf32> to tensor<?x?x16xf32>
// CHECK: %[[X:.*]] = linalg.transpose ins(%[[X_BLD]] : tensor<?x?x16xf32>) outs(%{{.*}} : tensor<?x16x?xf32>) permutation = [0, 2, 1]
// CHECK: %[[Z_BLD:.*]] = tensor.extract_slice %[[XZ]][0, 0, 16] [%{{.*}}, %{{.*}}, 16] [1, 1, 1] : tensor<?x?x32xf32> to tensor<?x?x16xf32>
// CHECK: %[[Z:.*]] = linalg.transpose ins(%[[Z_BLD]] : tensor<?x?x16xf32>) outs(%{{.*}} : tensor<?x16x?xf32>) permutation = [0, 2, 1]
// CHECK: %[[XC:.*]] = ssm.causal_conv1d %[[X]], %[[CW]] silu : (tensor<?x16x?xf32>, tensor<16x4xf32>) -> tensor<?x16x?xf32>
//
// x_proj: (b, d, l) times the (r + 2n, d) weight, reducing d, into (b, 11, l).
// CHECK: %[[XDBL:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[XC]], %[[XP]] : tensor<?x16x?xf32>, tensor<11x16xf32>) outs(%{{.*}} : tensor<?x11x?xf32>)
// CHECK: %[[DTLOW:.*]] = tensor.extract_slice %[[XDBL]][0, 0, 0] [%{{.*}}, 3, %{{.*}}] [1, 1, 1] : tensor<?x11x?xf32> to tensor<?x3x?xf32>
// CHECK: %[[B_FLAT:.*]] = tensor.extract_slice %[[XDBL]][0, 3, 0] [%{{.*}}, 4, %{{.*}}] [1, 1, 1] : tensor<?x11x?xf32> to tensor<?x4x?xf32>
// CHECK: %[[B:.*]] = tensor.expand_shape %[[B_FLAT]] {{\[\[}}0], [1, 2], [3]] output_shape [%{{.*}}, 1, 4, %{{.*}}] : tensor<?x4x?xf32> into tensor<?x1x4x?xf32>
// CHECK: %[[C_FLAT:.*]] = tensor.extract_slice %[[XDBL]][0, 7, 0] [%{{.*}}, 4, %{{.*}}] [1, 1, 1] : tensor<?x11x?xf32> to tensor<?x4x?xf32>
// CHECK: %[[C:.*]] = tensor.expand_shape %[[C_FLAT]] {{\[\[}}0], [1, 2], [3]] output_shape [%{{.*}}, 1, 4, %{{.*}}] : tensor<?x4x?xf32> into tensor<?x1x4x?xf32>
//
// dt_proj: (b, r, l) times the (d, r) weight into (b, d, l); its bias goes to
// the scan as delta_bias.
// CHECK: %[[DT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[DTLOW]], %[[DTW]] : tensor<?x3x?xf32>, tensor<16x3xf32>) outs(%{{.*}} : tensor<?x16x?xf32>)
//
// A = -exp(A_log).
// CHECK: %[[A:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[AL]] : tensor<16x4xf32>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK-NEXT: ^bb0(%[[ALIN:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[ALIN]] : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[EXP]] : f32
// CHECK-NEXT: linalg.yield %[[NEG]] : f32
//
// CHECK: %[[Y:.*]] = ssm.selective_scan %[[XC]], %[[DT]], %[[A]], %[[B]], %[[C]] D(%[[D]]) z(%[[Z]]) delta_bias(%[[DTB]]) delta_softplus : (tensor<?x16x?xf32>, tensor<?x16x?xf32>, tensor<16x4xf32>, tensor<?x1x4x?xf32>, tensor<?x1x4x?xf32>, tensor<16xf32>, tensor<?x16x?xf32>, tensor<16xf32>) -> tensor<?x16x?xf32>
//
// out_proj on y back in (b, l, d).
// CHECK: %[[Y_BLD:.*]] = linalg.transpose ins(%[[Y]] : tensor<?x16x?xf32>) outs(%{{.*}} : tensor<?x?x16xf32>) permutation = [0, 2, 1]
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[Y_BLD]], %[[OUTW]] : tensor<?x?x16xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: return %[[OUT]] : tensor<?x?x8xf32>
func.func @mamba_mixer_f32(%hidden: tensor<?x?x8xf32>,
                           %in_proj: tensor<32x8xf32>,
                           %conv_w: tensor<16x4xf32>,
                           %x_proj: tensor<11x16xf32>,
                           %dt_w: tensor<16x3xf32>, %dt_b: tensor<16xf32>,
                           %A_log: tensor<16x4xf32>, %D: tensor<16xf32>,
                           %out_proj: tensor<8x16xf32>) -> tensor<?x?x8xf32> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %dt_b) A_log(%A_log) D(%D)
      out_proj(%out_proj)
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<16x4xf32>,
         tensor<11x16xf32>, tensor<16x3xf32>, tensor<16xf32>,
         tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>)
      -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// The optional biases: in_proj and out_proj add theirs after the
// contraction, the conv takes its own.
// CHECK-LABEL: func.func @mamba_mixer_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x8xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<32x8xf32>
// CHECK-SAME: %[[INB:[^:]+]]: tensor<32xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[CB:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[XP:[^:]+]]: tensor<11x16xf32>
// CHECK-SAME: %[[DTW:[^:]+]]: tensor<16x3xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[OUTW:[^:]+]]: tensor<8x16xf32>
// CHECK-SAME: %[[OUTB:[^:]+]]: tensor<8xf32>
// CHECK: %[[XZ_NOBIAS:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[IN]] : tensor<?x?x8xf32>, tensor<32x8xf32>) outs(%{{.*}} : tensor<?x?x32xf32>)
// CHECK: %[[XZ:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[XZ_NOBIAS]], %[[INB]] : tensor<?x?x32xf32>, tensor<32xf32>) outs(%{{.*}} : tensor<?x?x32xf32>)
// CHECK-NEXT: ^bb0(%[[V:[^:]+]]: f32, %[[BIAS:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[V]], %[[BIAS]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[X_BLD:.*]] = tensor.extract_slice %[[XZ]][0, 0, 0] [%{{.*}}, %{{.*}}, 16] [1, 1, 1]
// CHECK: %[[X:.*]] = linalg.transpose ins(%[[X_BLD]] : tensor<?x?x16xf32>)
// CHECK: %[[Z_BLD:.*]] = tensor.extract_slice %[[XZ]][0, 0, 16] [%{{.*}}, %{{.*}}, 16] [1, 1, 1]
// CHECK: %[[Z:.*]] = linalg.transpose ins(%[[Z_BLD]] : tensor<?x?x16xf32>)
// CHECK: %[[XC:.*]] = ssm.causal_conv1d %[[X]], %[[CW]] bias(%[[CB]]) silu : (tensor<?x16x?xf32>, tensor<16x4xf32>, tensor<16xf32>) -> tensor<?x16x?xf32>
// CHECK: %[[Y:.*]] = ssm.selective_scan %[[XC]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} D(%[[D]]) z(%[[Z]]) delta_bias(%[[DTB]]) delta_softplus
// CHECK: %[[Y_BLD:.*]] = linalg.transpose ins(%[[Y]] : tensor<?x16x?xf32>)
// CHECK: %[[OUT_NOBIAS:.*]] = linalg.generic {{.*}} ins(%[[Y_BLD]], %[[OUTW]] : tensor<?x?x16xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[OUT_NOBIAS]], %[[OUTB]] : tensor<?x?x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK-NEXT: ^bb0(%[[OV:[^:]+]]: f32, %[[OBIAS:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[OADD:.*]] = arith.addf %[[OV]], %[[OBIAS]] : f32
// CHECK-NEXT: linalg.yield %[[OADD]] : f32
// CHECK: return %[[OUT]] : tensor<?x?x8xf32>
func.func @mamba_mixer_biases(%hidden: tensor<?x?x8xf32>,
                              %in_proj: tensor<32x8xf32>, %in_b: tensor<32xf32>,
                              %conv_w: tensor<16x4xf32>, %conv_b: tensor<16xf32>,
                              %x_proj: tensor<11x16xf32>,
                              %dt_w: tensor<16x3xf32>, %dt_b: tensor<16xf32>,
                              %A_log: tensor<16x4xf32>, %D: tensor<16xf32>,
                              %out_proj: tensor<8x16xf32>,
                              %out_b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) x_proj(%x_proj) dt_proj(%dt_w, %dt_b)
      A_log(%A_log) D(%D) out_proj(%out_proj, %out_b)
      : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>,
         tensor<16x4xf32>, tensor<16xf32>, tensor<11x16xf32>,
         tensor<16x3xf32>, tensor<16xf32>, tensor<16x4xf32>, tensor<16xf32>,
         tensor<8x16xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// bf16 activations and projection weights, f32 A_log, D and dt bias: the
// bf16 values are extended to f32 on entry, the f32 ones used as they are,
// and the result is truncated back to bf16.
// CHECK-LABEL: func.func @mamba_mixer_bf16
// CHECK-SAME: %[[H:[^:]+]]: tensor<2x?x8xbf16>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<32x8xbf16>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<16x4xbf16>
// CHECK-SAME: %[[XP:[^:]+]]: tensor<11x16xbf16>
// CHECK-SAME: %[[DTW:[^:]+]]: tensor<16x3xbf16>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<16x4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<16xf32>
// CHECK-SAME: %[[OUTW:[^:]+]]: tensor<8x16xbf16>
// CHECK: %[[H32:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[H]] : tensor<2x?x8xbf16>) outs(%{{.*}} : tensor<2x?x8xf32>)
// CHECK-NEXT: ^bb0(%[[HIN:[^:]+]]: bf16, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[HEXT:.*]] = arith.extf %[[HIN]] : bf16 to f32
// CHECK-NEXT: linalg.yield %[[HEXT]] : f32
// CHECK: %[[IN32:.*]] = linalg.generic {{.*}} ins(%[[IN]] : tensor<32x8xbf16>) outs(%{{.*}} : tensor<32x8xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[XZ:.*]] = linalg.generic {{.*}} ins(%[[H32]], %[[IN32]] : tensor<2x?x8xf32>, tensor<32x8xf32>) outs(%{{.*}} : tensor<2x?x32xf32>)
// CHECK: %[[CW32:.*]] = linalg.generic {{.*}} ins(%[[CW]] : tensor<16x4xbf16>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[XC:.*]] = ssm.causal_conv1d %{{.*}}, %[[CW32]] silu : (tensor<2x16x?xf32>, tensor<16x4xf32>) -> tensor<2x16x?xf32>
// CHECK: %[[XP32:.*]] = linalg.generic {{.*}} ins(%[[XP]] : tensor<11x16xbf16>) outs(%{{.*}} : tensor<11x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[XC]], %[[XP32]] : tensor<2x16x?xf32>, tensor<11x16xf32>)
// CHECK: %[[DTW32:.*]] = linalg.generic {{.*}} ins(%[[DTW]] : tensor<16x3xbf16>) outs(%{{.*}} : tensor<16x3xf32>)
// CHECK: %[[DT:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[DTW32]] : tensor<2x3x?xf32>, tensor<16x3xf32>)
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[AL]] : tensor<16x4xf32>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.negf
// CHECK: %[[Y:.*]] = ssm.selective_scan %[[XC]], %[[DT]], %[[A]], %{{.*}}, %{{.*}} D(%[[D]]) z(%{{.*}}) delta_bias(%[[DTB]]) delta_softplus : (tensor<2x16x?xf32>, tensor<2x16x?xf32>, tensor<16x4xf32>, tensor<2x1x4x?xf32>, tensor<2x1x4x?xf32>, tensor<16xf32>, tensor<2x16x?xf32>, tensor<16xf32>) -> tensor<2x16x?xf32>
// CHECK: %[[OUTW32:.*]] = linalg.generic {{.*}} ins(%[[OUTW]] : tensor<8x16xbf16>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK: %[[OUT32:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[OUTW32]] : tensor<2x?x16xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<2x?x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[OUT32]] : tensor<2x?x8xf32>) outs(%{{.*}} : tensor<2x?x8xbf16>)
// CHECK-NEXT: ^bb0(%[[OIN:[^:]+]]: f32, %{{[^:]+}}: bf16):
// CHECK-NEXT: %[[TRUNC:.*]] = arith.truncf %[[OIN]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[TRUNC]] : bf16
// CHECK: return %[[OUT]] : tensor<2x?x8xbf16>
func.func @mamba_mixer_bf16(%hidden: tensor<2x?x8xbf16>,
                            %in_proj: tensor<32x8xbf16>,
                            %conv_w: tensor<16x4xbf16>,
                            %x_proj: tensor<11x16xbf16>,
                            %dt_w: tensor<16x3xbf16>, %dt_b: tensor<16xf32>,
                            %A_log: tensor<16x4xf32>, %D: tensor<16xf32>,
                            %out_proj: tensor<8x16xbf16>)
    -> tensor<2x?x8xbf16> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %dt_b) A_log(%A_log) D(%D)
      out_proj(%out_proj)
      : (tensor<2x?x8xbf16>, tensor<32x8xbf16>, tensor<16x4xbf16>,
         tensor<11x16xbf16>, tensor<16x3xbf16>, tensor<16xf32>,
         tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xbf16>)
      -> tensor<2x?x8xbf16>
  return %out : tensor<2x?x8xbf16>
}

// -----

// Mamba-2 at d_model = 8, h = 4 heads of p = 6 (d = 24), g = 2 groups,
// n = 5, k = 4: conv channels d + 2gn = 44, in_proj rows 2d + 2gn + h = 72,
// split [z, xBC, dt] at offsets 0, d = 24, 2d + 2gn = 68, and xBC split
// [x, B, C] at offsets 0, 24, 34.
// CHECK-LABEL: func.func @mamba2_mixer_f32
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x8xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<72x8xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<44x4xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[NW:[^:]+]]: tensor<24xf32>
// CHECK-SAME: %[[OUTW:[^:]+]]: tensor<8x24xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P_INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<?x?x72xf32>) -> tensor<?x?x72xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[H]], %[[IN]] : tensor<?x?x8xf32>, tensor<72x8xf32>) outs(%[[P_INIT]] : tensor<?x?x72xf32>)
// CHECK-NEXT: ^bb0(%[[XIN:[^:]+]]: f32, %[[WIN:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[XIN]], %[[WIN]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[PROD]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK: %[[Z:.*]] = tensor.extract_slice %[[P]][0, 0, 0] [%{{.*}}, %{{.*}}, 24] [1, 1, 1] : tensor<?x?x72xf32> to tensor<?x?x24xf32>
// CHECK: %[[XBC:.*]] = tensor.extract_slice %[[P]][0, 0, 24] [%{{.*}}, %{{.*}}, 44] [1, 1, 1] : tensor<?x?x72xf32> to tensor<?x?x44xf32>
// CHECK: %[[DT:.*]] = tensor.extract_slice %[[P]][0, 0, 68] [%{{.*}}, %{{.*}}, 4] [1, 1, 1] : tensor<?x?x72xf32> to tensor<?x?x4xf32>
//
// The conv runs on xBC transposed to (b, c, l), then back to (b, l, c).
// CHECK: %[[XBC_T:.*]] = linalg.transpose ins(%[[XBC]] : tensor<?x?x44xf32>) outs(%{{.*}} : tensor<?x44x?xf32>) permutation = [0, 2, 1]
// CHECK: %[[CONV:.*]] = ssm.causal_conv1d %[[XBC_T]], %[[CW]] silu : (tensor<?x44x?xf32>, tensor<44x4xf32>) -> tensor<?x44x?xf32>
// CHECK: %[[XBC2:.*]] = linalg.transpose ins(%[[CONV]] : tensor<?x44x?xf32>) outs(%{{.*}} : tensor<?x?x44xf32>) permutation = [0, 2, 1]
//
// CHECK: %[[X_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 0] [%{{.*}}, %{{.*}}, 24] [1, 1, 1] : tensor<?x?x44xf32> to tensor<?x?x24xf32>
// CHECK: %[[X:.*]] = tensor.expand_shape %[[X_FLAT]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 4, 6] : tensor<?x?x24xf32> into tensor<?x?x4x6xf32>
// CHECK: %[[B_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 24] [%{{.*}}, %{{.*}}, 10] [1, 1, 1] : tensor<?x?x44xf32> to tensor<?x?x10xf32>
// CHECK: %[[B:.*]] = tensor.expand_shape %[[B_FLAT]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 2, 5] : tensor<?x?x10xf32> into tensor<?x?x2x5xf32>
// CHECK: %[[C_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 34] [%{{.*}}, %{{.*}}, 10] [1, 1, 1] : tensor<?x?x44xf32> to tensor<?x?x10xf32>
// CHECK: %[[C:.*]] = tensor.expand_shape %[[C_FLAT]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 2, 5] : tensor<?x?x10xf32> into tensor<?x?x2x5xf32>
//
// CHECK: %[[A:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[AL]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[ALIN:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[ALIN]] : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[EXP]] : f32
// CHECK-NEXT: linalg.yield %[[NEG]] : f32
//
// z gates the norm, not the SSD.
// CHECK: %[[Y:.*]] = ssm.ssd %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] chunk_size = 8 D(%[[D]]) dt_bias(%[[DTB]]) dt_softplus : (tensor<?x?x4x6xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x2x5xf32>, tensor<?x?x2x5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4x6xf32>
// CHECK: %[[Y_FLAT:.*]] = tensor.collapse_shape %[[Y]] {{\[\[}}0], [1], [2, 3]] : tensor<?x?x4x6xf32> into tensor<?x?x24xf32>
// CHECK: %[[NORMED:.*]] = ssm.gated_rms_norm %[[Y_FLAT]], %[[Z]], %[[NW]] group_size = 12 eps = 1.000000e-05 : (tensor<?x?x24xf32>, tensor<?x?x24xf32>, tensor<24xf32>) -> tensor<?x?x24xf32>
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[NORMED]], %[[OUTW]] : tensor<?x?x24xf32>, tensor<8x24xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: return %[[OUT]] : tensor<?x?x8xf32>
func.func @mamba2_mixer_f32(%hidden: tensor<?x?x8xf32>,
                            %in_proj: tensor<72x8xf32>,
                            %conv_w: tensor<44x4xf32>,
                            %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                            %D: tensor<4xf32>, %norm: tensor<24xf32>,
                            %out_proj: tensor<8x24xf32>) -> tensor<?x?x8xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%dt_bias) A_log(%A_log) D(%D) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 6 chunk_size = 8 eps = 1.0e-05
      : (tensor<?x?x8xf32>, tensor<72x8xf32>, tensor<44x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<24xf32>,
         tensor<8x24xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// dt_limit reaches the SSD; the biases are added after in_proj and out_proj
// and given to the conv. One group (g = 1): group_size = d = 24.
// CHECK-LABEL: func.func @mamba2_mixer_dt_limit_biases
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x8xf32>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<62x8xf32>
// CHECK-SAME: %[[INB:[^:]+]]: tensor<62xf32>
// CHECK-SAME: %[[CW:[^:]+]]: tensor<34x4xf32>
// CHECK-SAME: %[[CB:[^:]+]]: tensor<34xf32>
// CHECK-SAME: %[[DTB:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[AL:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[D:[^:]+]]: tensor<4xf32>
// CHECK-SAME: %[[NW:[^:]+]]: tensor<24xf32>
// CHECK-SAME: %[[OUTW:[^:]+]]: tensor<8x24xf32>
// CHECK-SAME: %[[OUTB:[^:]+]]: tensor<8xf32>
// CHECK: %[[P_NOBIAS:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[IN]] : tensor<?x?x8xf32>, tensor<62x8xf32>) outs(%{{.*}} : tensor<?x?x62xf32>)
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[P_NOBIAS]], %[[INB]] : tensor<?x?x62xf32>, tensor<62xf32>) outs(%{{.*}} : tensor<?x?x62xf32>)
// CHECK-NEXT: ^bb0(%[[V:[^:]+]]: f32, %[[BIAS:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[V]], %[[BIAS]] : f32
// CHECK: %[[Z:.*]] = tensor.extract_slice %[[P]][0, 0, 0] [%{{.*}}, %{{.*}}, 24] [1, 1, 1] : tensor<?x?x62xf32> to tensor<?x?x24xf32>
// CHECK: %[[XBC:.*]] = tensor.extract_slice %[[P]][0, 0, 24] [%{{.*}}, %{{.*}}, 34] [1, 1, 1] : tensor<?x?x62xf32> to tensor<?x?x34xf32>
// CHECK: %[[DT:.*]] = tensor.extract_slice %[[P]][0, 0, 58] [%{{.*}}, %{{.*}}, 4] [1, 1, 1] : tensor<?x?x62xf32> to tensor<?x?x4xf32>
// CHECK: %[[XBC_T:.*]] = linalg.transpose ins(%[[XBC]] : tensor<?x?x34xf32>)
// CHECK: %[[CONV:.*]] = ssm.causal_conv1d %[[XBC_T]], %[[CW]] bias(%[[CB]]) silu : (tensor<?x34x?xf32>, tensor<34x4xf32>, tensor<34xf32>) -> tensor<?x34x?xf32>
// CHECK: %[[XBC2:.*]] = linalg.transpose ins(%[[CONV]] : tensor<?x34x?xf32>)
// CHECK: %[[X_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 0] [%{{.*}}, %{{.*}}, 24] [1, 1, 1]
// CHECK: %[[X:.*]] = tensor.expand_shape %[[X_FLAT]] {{.*}} into tensor<?x?x4x6xf32>
// CHECK: %[[B_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 24] [%{{.*}}, %{{.*}}, 5] [1, 1, 1]
// CHECK: %[[B:.*]] = tensor.expand_shape %[[B_FLAT]] {{.*}} into tensor<?x?x1x5xf32>
// CHECK: %[[C_FLAT:.*]] = tensor.extract_slice %[[XBC2]][0, 0, 29] [%{{.*}}, %{{.*}}, 5] [1, 1, 1]
// CHECK: %[[C:.*]] = tensor.expand_shape %[[C_FLAT]] {{.*}} into tensor<?x?x1x5xf32>
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[AL]] : tensor<4xf32>)
// CHECK: %[[Y:.*]] = ssm.ssd %[[X]], %[[DT]], %[[A]], %[[B]], %[[C]] chunk_size = 16 D(%[[D]]) dt_bias(%[[DTB]]) dt_softplus dt_limit = [0.000000e+00, 1.000000e+01] : (tensor<?x?x4x6xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x1x5xf32>, tensor<?x?x1x5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4x6xf32>
// CHECK: %[[Y_FLAT:.*]] = tensor.collapse_shape %[[Y]] {{\[\[}}0], [1], [2, 3]] : tensor<?x?x4x6xf32> into tensor<?x?x24xf32>
// CHECK: %[[NORMED:.*]] = ssm.gated_rms_norm %[[Y_FLAT]], %[[Z]], %[[NW]] group_size = 24 eps = 1.000000e-05
// CHECK: %[[OUT_NOBIAS:.*]] = linalg.generic {{.*}} ins(%[[NORMED]], %[[OUTW]] : tensor<?x?x24xf32>, tensor<8x24xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[OUT_NOBIAS]], %[[OUTB]] : tensor<?x?x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: return %[[OUT]] : tensor<?x?x8xf32>
func.func @mamba2_mixer_dt_limit_biases(%hidden: tensor<?x?x8xf32>,
                                        %in_proj: tensor<62x8xf32>,
                                        %in_b: tensor<62xf32>,
                                        %conv_w: tensor<34x4xf32>,
                                        %conv_b: tensor<34xf32>,
                                        %dt_bias: tensor<4xf32>,
                                        %A_log: tensor<4xf32>,
                                        %D: tensor<4xf32>,
                                        %norm: tensor<24xf32>,
                                        %out_proj: tensor<8x24xf32>,
                                        %out_b: tensor<8xf32>)
    -> tensor<?x?x8xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) dt_bias(%dt_bias) A_log(%A_log) D(%D)
      norm(%norm) out_proj(%out_proj, %out_b)
      n_groups = 1 head_dim = 6 chunk_size = 16 eps = 1.0e-05
      dt_limit = [0.0, 10.0]
      : (tensor<?x?x8xf32>, tensor<62x8xf32>, tensor<62xf32>,
         tensor<34x4xf32>, tensor<34xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<24xf32>, tensor<8x24xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// A bf16 Mamba-2 mixer with f32 weights: only hidden is extended, and the
// result is truncated back.
// CHECK-LABEL: func.func @mamba2_mixer_bf16
// CHECK-SAME: %[[H:[^:]+]]: tensor<?x?x8xbf16>
// CHECK-SAME: %[[IN:[^:]+]]: tensor<72x8xf32>
// CHECK: %[[H32:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<?x?x8xbf16>) outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK-NEXT: ^bb0(%[[HIN:[^:]+]]: bf16, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[HEXT:.*]] = arith.extf %[[HIN]] : bf16 to f32
// CHECK-NEXT: linalg.yield %[[HEXT]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[H32]], %[[IN]] : tensor<?x?x8xf32>, tensor<72x8xf32>)
// CHECK: ssm.ssd
// CHECK: ssm.gated_rms_norm
// CHECK: %[[OUT32:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x?x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[OUT32]] : tensor<?x?x8xf32>) outs(%{{.*}} : tensor<?x?x8xbf16>)
// CHECK-NEXT: ^bb0(%[[OIN:[^:]+]]: f32, %{{[^:]+}}: bf16):
// CHECK-NEXT: %[[TRUNC:.*]] = arith.truncf %[[OIN]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[TRUNC]] : bf16
// CHECK: return %[[OUT]] : tensor<?x?x8xbf16>
func.func @mamba2_mixer_bf16(%hidden: tensor<?x?x8xbf16>,
                             %in_proj: tensor<72x8xf32>,
                             %conv_w: tensor<44x4xf32>,
                             %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                             %D: tensor<4xf32>, %norm: tensor<24xf32>,
                             %out_proj: tensor<8x24xf32>)
    -> tensor<?x?x8xbf16> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%dt_bias) A_log(%A_log) D(%D) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 6 chunk_size = 8 eps = 1.0e-05
      : (tensor<?x?x8xbf16>, tensor<72x8xf32>, tensor<44x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<24xf32>,
         tensor<8x24xf32>) -> tensor<?x?x8xbf16>
  return %out : tensor<?x?x8xbf16>
}
