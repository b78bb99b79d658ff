// The selective scan of bench/cpu/README.md (d = 1536, n = 16, g = 1, with D,
// z, delta_bias and softplus), dynamic batch and length; compiled and timed by
// bench/ssmc_bench.cpp at (b, l) = (2, 2048).
func.func @selective_scan(%u: tensor<?x1536x?xf32>, %delta: tensor<?x1536x?xf32>,
                          %A: tensor<1536x16xf32>, %B: tensor<?x1x16x?xf32>,
                          %C: tensor<?x1x16x?xf32>, %D: tensor<1536xf32>,
                          %z: tensor<?x1536x?xf32>, %delta_bias: tensor<1536xf32>)
    -> (tensor<?x1536x?xf32>, tensor<?x1536x16xf32>) {
  %out, %state = ssm.selective_scan %u, %delta, %A, %B, %C D(%D) z(%z)
      delta_bias(%delta_bias) delta_softplus
      : (tensor<?x1536x?xf32>, tensor<?x1536x?xf32>, tensor<1536x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>, tensor<1536xf32>,
         tensor<?x1536x?xf32>, tensor<1536xf32>)
      -> (tensor<?x1536x?xf32>, tensor<?x1536x16xf32>)
  return %out, %state : tensor<?x1536x?xf32>, tensor<?x1536x16xf32>
}
