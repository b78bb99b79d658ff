// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

// Every message of the ssm.recurrence verifier (Recurrence.cpp) and of
// ssm.linear_attention's.

func.func @time_not_a_dim(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op 'time_dim' 'l' is not one of 'dims'}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "l",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @dim_twice(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op dimension 'b' appears twice in 'dims'}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t", "b"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @unknown_dim(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op input #0 names dimension 'l', which is not one of 'dims'}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "l"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @rank_mismatch(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op input #0 has rank 2 but 3 dimensions are named for it}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t", "d"], time_dim = "t",
      input_dims = [["b", "t", "d"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @state_with_time(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op state #0 must not have the time dimension 't'}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b", "t"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2x5xf32>
}

// -----

func.func @output_without_time(%x: tensor<2x5xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op output #0 must have the time dimension 't'}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b"]]}
      : (tensor<2x5xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2xf32>, tensor<2xf32>
}

// -----

func.func @sizes_disagree(%x: tensor<2x5xf32>, %y: tensor<3x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op dimension 'b' is 3 in input #1 but 2 in input #0}}
  %o, %h = ssm.recurrence "r" (%x, %y) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"], ["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>, tensor<3x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %c: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @final_state_bf16(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xbf16>) {
  // expected-error @+1 {{'ssm.recurrence' op final state #0 must have f32 or f64 elements}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xbf16>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xbf16>
}

// -----

func.func @wrong_arg_count(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  // expected-error @+1 {{'ssm.recurrence' op body must take 2 scalars (one per input, then one per state), got 1}}
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @sum_over_missing_dim(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t", "d"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    // expected-error @+1 {{'ssm.rec_sum' op sums over 'd', which its operand does not range over (it ranges over b)}}
    %y = ssm.rec_sum %a over "d" : f32
    ssm.rec_yield %a, %y : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @state_gets_extra_dim(%x: tensor<2x5x3xf32>) -> (tensor<2x5x3xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t", "d"], time_dim = "t",
      input_dims = [["b", "t", "d"]], state_dims = [["b"]], output_dims = [["b", "t", "d"]]}
      : (tensor<2x5x3xf32>) -> (tensor<2x5x3xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    // expected-error @+1 {{'ssm.rec_yield' op new state #0 ranges over d, which the state does not have}}
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5x3xf32>, tensor<2xf32>
}

// -----

func.func @disallowed_op(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    // expected-error @+1 {{'math.erf' op is not allowed in the body of ssm.recurrence (only f32 arith/math scalar ops, ssm activations and ssm.rec_sum)}}
    %e = math.erf %a : f32
    ssm.rec_yield %e, %e : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @yield_count(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    // expected-error @+1 {{'ssm.rec_yield' op must yield 2 values (1 new states, then 1 outputs), got 1}}
    ssm.rec_yield %a : f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}

// -----

func.func @la_rank(%q: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'ssm.linear_attention' op operand 'q' must have rank 2 or more (..., T, K), got 'tensor<8xf32>'}}
  %o = ssm.linear_attention %q, %q, %q, %q
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %o : tensor<8xf32>
}

// -----

func.func @la_decay(%q: tensor<2x5x4xf32>, %v: tensor<2x5x3xf32>, %a: tensor<2xf32>) -> tensor<2x5x3xf32> {
  // expected-error @+1 {{'ssm.linear_attention' op operand 'log_decay' must be (..., T), one decay per step, or (..., T, K), one per key dimension; got 'tensor<2xf32>'}}
  %o = ssm.linear_attention %q, %q, %v, %a
      : (tensor<2x5x4xf32>, tensor<2x5x4xf32>, tensor<2x5x3xf32>, tensor<2xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}

// -----

func.func @la_k_shape(%q: tensor<2x5x4xf32>, %k: tensor<2x5x6xf32>, %v: tensor<2x5x3xf32>, %a: tensor<2x5xf32>) -> tensor<2x5x3xf32> {
  // expected-error @+1 {{'ssm.linear_attention' op operand 'k' has shape (2, 5, 6) but (o0, T, K) = (2, 5, 4) is expected}}
  %o = ssm.linear_attention %q, %k, %v, %a
      : (tensor<2x5x4xf32>, tensor<2x5x6xf32>, tensor<2x5x3xf32>, tensor<2x5xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}
