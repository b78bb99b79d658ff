// The SSD of bench/cpu/README.md (h = 24, p = 64, n = 128, g = 1, chunk 256,
// with D (h), z, dt_bias and softplus), dynamic batch and length; compiled and
// timed by bench/ssd_bench.cpp at (b, l) = (1, 2048).
func.func @ssd(%x: tensor<?x?x24x64xf32>, %dt: tensor<?x?x24xf32>,
               %A: tensor<24xf32>, %B: tensor<?x?x1x128xf32>,
               %C: tensor<?x?x1x128xf32>, %D: tensor<24xf32>,
               %z: tensor<?x?x24x64xf32>, %dt_bias: tensor<24xf32>)
    -> (tensor<?x?x24x64xf32>, tensor<?x24x64x128xf32>) {
  %out, %state = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z)
      dt_bias(%dt_bias) dt_softplus
      : (tensor<?x?x24x64xf32>, tensor<?x?x24xf32>, tensor<24xf32>,
         tensor<?x?x1x128xf32>, tensor<?x?x1x128xf32>, tensor<24xf32>,
         tensor<?x?x24x64xf32>, tensor<24xf32>)
      -> (tensor<?x?x24x64xf32>, tensor<?x24x64x128xf32>)
  return %out, %state : tensor<?x?x24x64xf32>, tensor<?x24x64x128xf32>
}
