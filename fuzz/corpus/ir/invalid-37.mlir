func.func @scan_dimension_out_of_range(%x: tensor<4x8xf32>) {
  %r = ssm.scan %x dimension = 2 : tensor<4x8xf32> {
  ^bb0(%acc: f32, %next: f32):
    %s = arith.addf %acc, %next : f32
    ssm.yield %s : f32
  }
  return
}
