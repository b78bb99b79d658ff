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
