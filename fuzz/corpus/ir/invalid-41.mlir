func.func @scan_combiner_not_ending_in_yield(%x: tensor<8xf32>) {
  %r = ssm.scan %x dimension = 0 : tensor<8xf32> {
  ^bb0(%acc: f32, %next: f32):
    llvm.unreachable
  }
  return
}
