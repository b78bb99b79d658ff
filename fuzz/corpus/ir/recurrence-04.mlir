func.func @ssd_unscaled(%x: tensor<?x?x4x8xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>,
    %B: tensor<?x?x4x16xf32>) -> tensor<?x?x4x8xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 unscaled_input
      : (tensor<?x?x4x8xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x4x16xf32>,
         tensor<?x?x4x16xf32>) -> tensor<?x?x4x8xf32>
  return %y : tensor<?x?x4x8xf32>
}
