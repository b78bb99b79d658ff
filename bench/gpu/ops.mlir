// The ops that bench/gpu/gpu_bench.cpp checks and times on the GPU, in f32
// and with bf16 activations (A, D, biases and states in f32, as the peers
// take them). Compiled by bench/gpu/build.sh: ssmc compile --target cuda.
func.func @scan_f32(%u: tensor<?x?x?xf32>, %dt: tensor<?x?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x?x16x?xf32>, %C: tensor<?x?x16x?xf32>,
    %D: tensor<?xf32>, %z: tensor<?x?x?xf32>, %db: tensor<?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>,
         tensor<?x?x16x?xf32>, tensor<?x?x16x?xf32>, tensor<?xf32>,
         tensor<?x?x?xf32>, tensor<?xf32>)
      -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xf32>, tensor<?x?x16xf32>
}
func.func @conv_f32(%x: tensor<?x?x?xf32>, %w: tensor<?x4xf32>, %b: tensor<?xf32>)
    -> tensor<?x?x?xf32> {
  %y = ssm.causal_conv1d %x, %w bias(%b) silu
      : (tensor<?x?x?xf32>, tensor<?x4xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}
func.func @conv_f32_cache(%x: tensor<?x?x?xf32>, %w: tensor<?x4xf32>, %b: tensor<?xf32>,
    %s: tensor<?x?x3xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x3xf32>) {
  %y, %ns = ssm.causal_conv1d %x, %w bias(%b) conv_state(%s) silu
      : (tensor<?x?x?xf32>, tensor<?x4xf32>, tensor<?xf32>, tensor<?x?x3xf32>)
      -> (tensor<?x?x?xf32>, tensor<?x?x3xf32>)
  return %y, %ns : tensor<?x?x?xf32>, tensor<?x?x3xf32>
}
func.func @step2_f32(%st: tensor<?x?x?x128xf32>, %x: tensor<?x?x?xf32>, %dt: tensor<?x?xf32>,
    %A: tensor<?xf32>, %B: tensor<?x?x128xf32>, %C: tensor<?x?x128xf32>, %D: tensor<?xf32>,
    %z: tensor<?x?x?xf32>, %db: tensor<?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?x128xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x128xf32>, tensor<?x?x?xf32>, tensor<?x?xf32>, tensor<?xf32>,
         tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<?xf32>, tensor<?x?x?xf32>,
         tensor<?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?x128xf32>)
  return %y, %n : tensor<?x?x?xf32>, tensor<?x?x?x128xf32>
}
func.func @step2any_f32(%st: tensor<?x?x?x?xf32>, %x: tensor<?x?x?xf32>, %dt: tensor<?x?xf32>,
    %A: tensor<?xf32>, %B: tensor<?x?x?xf32>, %C: tensor<?x?x?xf32>, %D: tensor<?xf32>,
    %z: tensor<?x?x?xf32>, %db: tensor<?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?xf32>, tensor<?xf32>,
         tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?xf32>,
         tensor<?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?x?xf32>)
  return %y, %n : tensor<?x?x?xf32>, tensor<?x?x?x?xf32>
}
func.func @step1_f32(%st: tensor<?x?x16xf32>, %x: tensor<?x?xf32>, %dt: tensor<?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x?x16xf32>, %C: tensor<?x?x16xf32>, %D: tensor<?xf32>,
    %z: tensor<?x?xf32>, %db: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?x16xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x16xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x16xf32>,
         tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?xf32>, tensor<?x?xf32>,
         tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?x16xf32>)
  return %y, %n : tensor<?x?xf32>, tensor<?x?x16xf32>
}
func.func @scan_bf16(%u: tensor<?x?x?xbf16>, %dt: tensor<?x?x?xbf16>,
    %A: tensor<?x16xf32>, %B: tensor<?x?x16x?xbf16>, %C: tensor<?x?x16x?xbf16>,
    %D: tensor<?xf32>, %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>)
    -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x16xf32>,
         tensor<?x?x16x?xbf16>, tensor<?x?x16x?xbf16>, tensor<?xf32>,
         tensor<?x?x?xbf16>, tensor<?xf32>)
      -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xbf16>, tensor<?x?x16xf32>
}
func.func @conv_bf16(%x: tensor<?x?x?xbf16>, %w: tensor<?x4xf32>, %b: tensor<?xf32>)
    -> tensor<?x?x?xbf16> {
  %y = ssm.causal_conv1d %x, %w bias(%b) silu
      : (tensor<?x?x?xbf16>, tensor<?x4xf32>, tensor<?xf32>) -> tensor<?x?x?xbf16>
  return %y : tensor<?x?x?xbf16>
}
func.func @conv_bf16_cache(%x: tensor<?x?x?xbf16>, %w: tensor<?x4xf32>, %b: tensor<?xf32>,
    %s: tensor<?x?x3xbf16>) -> (tensor<?x?x?xbf16>, tensor<?x?x3xbf16>) {
  %y, %ns = ssm.causal_conv1d %x, %w bias(%b) conv_state(%s) silu
      : (tensor<?x?x?xbf16>, tensor<?x4xf32>, tensor<?xf32>, tensor<?x?x3xbf16>)
      -> (tensor<?x?x?xbf16>, tensor<?x?x3xbf16>)
  return %y, %ns : tensor<?x?x?xbf16>, tensor<?x?x3xbf16>
}
func.func @step2_bf16(%st: tensor<?x?x?x128xf32>, %x: tensor<?x?x?xbf16>, %dt: tensor<?x?xbf16>,
    %A: tensor<?xf32>, %B: tensor<?x?x128xbf16>, %C: tensor<?x?x128xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x128xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x128xf32>, tensor<?x?x?xbf16>, tensor<?x?xbf16>, tensor<?xf32>,
         tensor<?x?x128xbf16>, tensor<?x?x128xbf16>, tensor<?xf32>, tensor<?x?x?xbf16>,
         tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x128xf32>)
  return %y, %n : tensor<?x?x?xbf16>, tensor<?x?x?x128xf32>
}
func.func @step2any_bf16(%st: tensor<?x?x?x?xf32>, %x: tensor<?x?x?xbf16>, %dt: tensor<?x?xbf16>,
    %A: tensor<?xf32>, %B: tensor<?x?x?xbf16>, %C: tensor<?x?x?xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x?xf32>, tensor<?x?x?xbf16>, tensor<?x?xbf16>, tensor<?xf32>,
         tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?xbf16>,
         tensor<?xf32>) -> (tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>)
  return %y, %n : tensor<?x?x?xbf16>, tensor<?x?x?x?xf32>
}
func.func @step1_bf16(%st: tensor<?x?x16xf32>, %x: tensor<?x?xbf16>, %dt: tensor<?x?xbf16>,
    %A: tensor<?x16xf32>, %B: tensor<?x?x16xbf16>, %C: tensor<?x?x16xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?xbf16>, %db: tensor<?xf32>) -> (tensor<?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %n = ssm.state_update %st, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x16xf32>, tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x16xf32>,
         tensor<?x?x16xbf16>, tensor<?x?x16xbf16>, tensor<?xf32>, tensor<?x?xbf16>,
         tensor<?xf32>) -> (tensor<?x?xbf16>, tensor<?x?x16xf32>)
  return %y, %n : tensor<?x?xbf16>, tensor<?x?x16xf32>
}
func.func @ssd_f32(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>, %D: tensor<?xf32>,
    %z: tensor<?x?x?x64xf32>, %db: tensor<?xf32>)
    -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>, tensor<?xf32>, tensor<?x?x?x64xf32>, tensor<?xf32>)
      -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>
}
func.func @ssd_bf16(%x: tensor<?x?x?x64xbf16>, %dt: tensor<?x?x?xbf16>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xbf16>, %C: tensor<?x?x?x128xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?x?x64xbf16>, %db: tensor<?xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x64xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?x128xbf16>,
         tensor<?x?x?x128xbf16>, tensor<?xf32>, tensor<?x?x?x64xbf16>, tensor<?xf32>)
      -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>
}
func.func @ssdseq_f32(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>, %D: tensor<?x64xf32>,
    %db: tensor<?xf32>, %h0: tensor<?x?x64x128xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) dt_bias(%db)
      initial_states(%h0) seq_idx(%seq) dt_softplus
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>, tensor<?x64xf32>, tensor<?xf32>, tensor<?x?x64x128xf32>,
         tensor<?x?xi32>)
      -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>
}
func.func @ssdseq_bf16(%x: tensor<?x?x?x64xbf16>, %dt: tensor<?x?x?xbf16>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xbf16>, %C: tensor<?x?x?x128xbf16>, %D: tensor<?x64xf32>,
    %db: tensor<?xf32>, %h0: tensor<?x?x64x128xf32>, %seq: tensor<?x?xi32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) dt_bias(%db)
      initial_states(%h0) seq_idx(%seq) dt_softplus
      : (tensor<?x?x?x64xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?x128xbf16>,
         tensor<?x?x?x128xbf16>, tensor<?x64xf32>, tensor<?xf32>, tensor<?x?x64x128xf32>,
         tensor<?x?xi32>)
      -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>
}
