func.func @scan_yield_wrong_type(%x: tensor<8xf32>) {
  %r = ssm.scan %x dimension = 0 : tensor<8xf32> {
  ^bb0(%acc: f32, %next: f32):
    %s = arith.truncf %next : f32 to f16
    ssm.yield %s : f16
  }
  return
}
