// RUN: ssmc-opt --ssm-gpu-choose-tiles --ssm-gpu-lower-ops --split-input-file --verify-diagnostics %s

// The state must be static and fit the registers.
func.func @scan_dynamic_n(%u: tensor<1x4x8xf32>, %dt: tensor<1x4x8xf32>,
    %A: tensor<4x?xf32>, %B: tensor<1x1x?x8xf32>, %C: tensor<1x1x?x8xf32>)
    -> tensor<1x4x8xf32> {
  // expected-error @+1 {{'ssm.selective_scan' op the GPU target keeps the state in registers and needs a static state size n <= 64; A has shape (d, ?)}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4x?xf32>,
         tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// Ops without a GPU lowering are reported with their location.
func.func @all_reduce(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ssm.all_reduce' has no GPU lowering yet (the cuda target lowers ssm.selective_scan, ssm.ssd, ssm.causal_conv1d, ssm.state_update, ssm.recurrence, ssm.linear_attention, the norms and linalg ops)}}
  %y = ssm.all_reduce %x world_size = 2 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// So is any other computation on tensors.
func.func @sin(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'math.sin' has no GPU lowering yet (the cuda target lowers ssm.selective_scan, ssm.ssd, ssm.causal_conv1d, ssm.state_update, ssm.recurrence, ssm.linear_attention, the norms and linalg ops)}}
  %s = math.sin %a : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// The chunked form asked for by hand where it does not apply says why.
func.func @ssd_f32_chunked(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32> {
  // expected-error @+1 {{'ssm.ssd' op cannot use the chunked tensor-core form: the tensor-core form takes bf16 x, B and C}}
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 {ssm.gpu_tile = {form = "chunked"}}
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32>
  return %y : tensor<?x?x?x64xf32>
}

// -----

func.func @ssd_bad_form(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32> {
  // expected-error @+1 {{'ssm.ssd' op unknown SSD form 'dual' in ssm.gpu_tile (expected chunked or recurrent)}}
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 {ssm.gpu_tile = {form = "dual"}}
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32>
  return %y : tensor<?x?x?x64xf32>
}
