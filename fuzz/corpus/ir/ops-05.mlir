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
