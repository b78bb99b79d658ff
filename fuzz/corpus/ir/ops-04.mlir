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
