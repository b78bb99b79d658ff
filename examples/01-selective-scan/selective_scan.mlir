// Mamba-1's selective scan with every fused input, dynamic batch and length:
// d = 24 channels (not a multiple of a vector width), n = 16, g = 2 groups.
//   ssmc eval selective_scan.mlir --entry scan --random-inputs 1 \
//     --input-shape 0=1x24x37 --input-shape 1=1x24x37 --input-shape 3=1x2x16x37 \
//     --input-shape 4=1x2x16x37 --input-shape 6=1x24x37 --output /tmp/scan_
func.func @scan(%u: tensor<?x24x?xf32>, %delta: tensor<?x24x?xf32>,
                %A: tensor<24x16xf32>, %B: tensor<?x2x16x?xf32>,
                %C: tensor<?x2x16x?xf32>, %D: tensor<24xf32>,
                %z: tensor<?x24x?xf32>, %delta_bias: tensor<24xf32>)
    -> (tensor<?x24x?xf32>, tensor<?x24x16xf32>) {
  %out, %state = ssm.selective_scan %u, %delta, %A, %B, %C D(%D) z(%z)
      delta_bias(%delta_bias) delta_softplus
      : (tensor<?x24x?xf32>, tensor<?x24x?xf32>, tensor<24x16xf32>,
         tensor<?x2x16x?xf32>, tensor<?x2x16x?xf32>, tensor<24xf32>,
         tensor<?x24x?xf32>, tensor<24xf32>)
      -> (tensor<?x24x?xf32>, tensor<?x24x16xf32>)
  return %out, %state : tensor<?x24x?xf32>, tensor<?x24x16xf32>
}
