// RUN: ssmc-opt --pass-pipeline='builtin.module(func.func(ssm-fresh-results))' %s | FileCheck %s

// Arguments, views of arguments, constants and repeated values are copied
// before they are returned; a value computed in the function is returned as
// it is. Tensor arguments become non-writable for bufferization.

// CHECK-LABEL: func.func @returns_aliases(
// CHECK-SAME:    %[[A:[^:]*]]: tensor<?x5xf32> {bufferization.writable = false}
// CHECK-SAME:    %[[B:[^:]*]]: tensor<?x5xf32> {bufferization.writable = false}
// CHECK:         %[[SLICE:.*]] = tensor.extract_slice %[[A]]
// CHECK:         %[[EXP:.*]] = tensor.expand_shape %[[SLICE]]
// CHECK:         %[[CST:.*]] = arith.constant dense
// CHECK:         %[[SUM:.*]] = linalg.add
// CHECK:         %[[CA:.*]] = bufferization.alloc_tensor() copy(%[[A]])
// CHECK:         %[[CE:.*]] = bufferization.alloc_tensor() copy(%[[EXP]])
// CHECK:         %[[CC:.*]] = bufferization.alloc_tensor() copy(%[[CST]])
// CHECK:         %[[CS:.*]] = bufferization.alloc_tensor() copy(%[[SUM]])
// CHECK:         return %[[CA]], %[[CE]], %[[CC]], %[[SUM]], %[[CS]]
func.func @returns_aliases(%a: tensor<?x5xf32>, %b: tensor<?x5xf32>)
    -> (tensor<?x5xf32>, tensor<?x1x2xf32>, tensor<2xf32>, tensor<?x5xf32>,
        tensor<?x5xf32>) {
  %c0 = arith.constant 0 : index
  %d0 = tensor.dim %a, %c0 : tensor<?x5xf32>
  %s = tensor.extract_slice %a[0, 1] [%d0, 2] [1, 1]
      : tensor<?x5xf32> to tensor<?x2xf32>
  %e = tensor.expand_shape %s [[0], [1, 2]] output_shape [%d0, 1, 2]
      : tensor<?x2xf32> into tensor<?x1x2xf32>
  %cst = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %sum = linalg.add ins(%a, %b : tensor<?x5xf32>, tensor<?x5xf32>)
                    outs(%b : tensor<?x5xf32>) -> tensor<?x5xf32>
  return %a, %e, %cst, %sum, %sum
      : tensor<?x5xf32>, tensor<?x1x2xf32>, tensor<2xf32>, tensor<?x5xf32>,
        tensor<?x5xf32>
}

// Private functions are not entry points: left alone.
// CHECK-LABEL: func.func private @private_returns_argument(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func private @private_returns_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
