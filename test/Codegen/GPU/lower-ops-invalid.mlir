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
func.func @norm(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ssm.rms_norm' has no GPU lowering yet (the cuda target lowers ssm.selective_scan, ssm.ssd, ssm.causal_conv1d and ssm.state_update)}}
  %y = ssm.rms_norm %x, %w eps = 1.0e-05 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// So is any other computation on tensors.
func.func @sin(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'math.sin' has no GPU lowering yet (the cuda target lowers ssm.selective_scan, ssm.ssd, ssm.causal_conv1d and ssm.state_update)}}
  %s = math.sin %a : tensor<4xf32>
  return %s : tensor<4xf32>
}
