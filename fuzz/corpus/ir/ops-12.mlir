func.func @scan_single_input_add_reverse(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %r = ssm.scan %x dimension = 0 reverse : tensor<4x8xf16> {
  ^bb0(%acc: f16, %next: f16):
    %s = arith.addf %acc, %next : f16
    ssm.yield %s : f16
  }
  return %r : tensor<4x8xf16>
}
