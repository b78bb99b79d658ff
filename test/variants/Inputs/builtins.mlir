// The built-in ops with the arguments of examples/variants/mamba1.ssm and
// mamba2.ssm (f32), for test/variants/builtins.test. B and C of one group.
func.func @mamba1(%u: tensor<?x?x?xf32>, %delta: tensor<?x?x?xf32>,
    %B: tensor<?x16x?xf32>, %C: tensor<?x16x?xf32>, %z: tensor<?x?x?xf32>,
    %A: tensor<?x16xf32>, %D: tensor<?xf32>, %bias: tensor<?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %nb = tensor.dim %B, %c0 : tensor<?x16x?xf32>
  %nl = tensor.dim %B, %c2 : tensor<?x16x?xf32>
  %b = tensor.expand_shape %B [[0, 1], [2], [3]] output_shape [%nb, 1, 16, %nl]
      : tensor<?x16x?xf32> into tensor<?x1x16x?xf32>
  %c = tensor.expand_shape %C [[0, 1], [2], [3]] output_shape [%nb, 1, 16, %nl]
      : tensor<?x16x?xf32> into tensor<?x1x16x?xf32>
  %y, %h = ssm.selective_scan %u, %delta, %A, %b, %c D(%D) z(%z) delta_bias(%bias) delta_softplus
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>, tensor<?x1x16x?xf32>,
         tensor<?x1x16x?xf32>, tensor<?xf32>, tensor<?x?x?xf32>, tensor<?xf32>)
      -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xf32>, tensor<?x?x16xf32>
}

func.func @mamba2(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>,
    %B: tensor<?x?x128xf32>, %C: tensor<?x?x128xf32>, %z: tensor<?x?x?x64xf32>,
    %A: tensor<?xf32>, %D: tensor<?xf32>, %bias: tensor<?xf32>)
    -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %nb = tensor.dim %B, %c0 : tensor<?x?x128xf32>
  %nl = tensor.dim %B, %c1 : tensor<?x?x128xf32>
  %b = tensor.expand_shape %B [[0], [1], [2, 3]] output_shape [%nb, %nl, 1, 128]
      : tensor<?x?x128xf32> into tensor<?x?x1x128xf32>
  %c = tensor.expand_shape %C [[0], [1], [2, 3]] output_shape [%nb, %nl, 1, 128]
      : tensor<?x?x128xf32> into tensor<?x?x1x128xf32>
  %y, %h = ssm.ssd %x, %dt, %A, %b, %c chunk_size = 256 D(%D) z(%z) dt_bias(%bias) dt_softplus
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x1x128xf32>,
         tensor<?x?x1x128xf32>, tensor<?xf32>, tensor<?x?x?x64xf32>, tensor<?xf32>)
      -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>
}
