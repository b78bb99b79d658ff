// RUN: ssmc-opt --convert-ssm-to-loops="ssd-sequential=1" %s | FileCheck %s

// With ssd-sequential, the SSD as a sequential recurrence per (batch, head, head channel): the n
// state elements of one row of the (p, n) state are iter_args of the loop
// over time; dt_bias, softplus and the dt_limit clamp, the decay exp2(dt A
// log2(e)) (one per step and head), the seq_idx reset, D (h, p) and silu(z)
// are all inside that loop.

// CHECK-LABEL: func.func @ssd_all_options
// CHECK-DAG:   %[[LO:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-DAG:   %[[HI:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-DAG:   %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:   %[[SEQ:.*]] = bufferization.to_buffer %arg9 read_only
// CHECK-DAG:   %[[H0:.*]] = bufferization.to_buffer %arg8 read_only
// CHECK:       %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x4x3xf32>
// CHECK:       %[[FIN:.*]] = memref.alloc(%{{.*}}) : memref<?x4x3x2xf32>
// CHECK:       scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             %[[A2:.*]] = arith.mulf %{{.*}}, %[[LOG2E]] : f32
// CHECK:             %[[I0:.*]] = memref.load %[[H0]][%[[B]], %[[H]], %[[P]], %{{.*}}]
// CHECK:             %[[STATE:.*]]:2 = scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[S0:.*]] = %[[I0]], %[[S1:.*]] = %{{.*}}) -> (f32, f32) {
// CHECK:               math.log1p
// CHECK:               %[[CL:.*]] = arith.maximumf %{{.*}}, %[[LO]] : f32
// CHECK:               %[[DT:.*]] = arith.minimumf %[[CL]], %[[HI]] : f32
// CHECK:               %[[DTA:.*]] = arith.mulf %[[DT]], %[[A2]] : f32
// CHECK:               %[[DECAY:.*]] = math.exp2 %[[DTA]] : f32
// CHECK:               %[[PREV:.*]] = memref.load %[[SEQ]][%[[B]], %{{.*}}] : memref<?x?xi64
// CHECK:               %[[CUR:.*]] = memref.load %[[SEQ]][%[[B]], %[[T]]] : memref<?x?xi64
// CHECK:               %[[RESET:.*]] = arith.cmpi ne, %[[CUR]], %[[PREV]] : i64
// CHECK:               %[[R0:.*]] = arith.select %[[RESET]], %[[ZERO]], %[[S0]] : f32
// CHECK:               arith.mulf %[[DECAY]], %[[R0]] : f32
// CHECK:               arith.select %[[RESET]], %[[ZERO]], %[[S1]] : f32
// CHECK:               arith.divf
// CHECK:               memref.store %{{.*}}, %[[OUT]][%[[B]], %[[T]], %[[H]], %[[P]]]
// CHECK:               scf.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK:             memref.store %[[STATE]]#0, %[[FIN]][%[[B]], %[[H]], %[[P]], %{{.*}}]
// CHECK:             memref.store %[[STATE]]#1, %[[FIN]][%[[B]], %[[H]], %[[P]], %{{.*}}]
func.func @ssd_all_options(
    %x: tensor<?x?x4x3xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>,
    %B: tensor<?x?x2x2xf32>, %C: tensor<?x?x2x2xf32>, %D: tensor<4x3xf32>,
    %z: tensor<?x?x4x3xf32>, %dtb: tensor<4xf32>, %h0: tensor<?x4x3x2xf32>,
    %seq: tensor<?x?xi64>) -> (tensor<?x?x4x3xf32>, tensor<?x4x3x2xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 64 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      dt_limit = [0.001, 10.0]
      : (tensor<?x?x4x3xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x2xf32>, tensor<?x?x2x2xf32>, tensor<4x3xf32>,
         tensor<?x?x4x3xf32>, tensor<4xf32>, tensor<?x4x3x2xf32>,
         tensor<?x?xi64>) -> (tensor<?x?x4x3xf32>, tensor<?x4x3x2xf32>)
  return %y, %h : tensor<?x?x4x3xf32>, tensor<?x4x3x2xf32>
}
