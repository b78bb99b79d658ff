// ssmc eval computes arith, math, tensor and linalg ops exactly as their
// semantics say (f64 results, read back with od), and rounds f32 values
// unless --exact is given.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc eval %s --entry ops --random-inputs 0 --output %t/ops | FileCheck %s --check-prefix=OUT
// OUT: output 0: shape (2, 3) f64
// OUT: output 8: shape () f64
// OUT: output 9: shape () index
// RUN: od -A n -t f8 -v -w24 -j 128 %t/ops0.npy | FileCheck %s --check-prefix=ABS
// ABS: {{^}} 1 2 3{{$}}
// ABS-NEXT: {{^}} 4 5 6{{$}}
// RUN: od -A n -t f8 -v -w16 -j 128 %t/ops1.npy | FileCheck %s --check-prefix=TRANSPOSE
// TRANSPOSE: {{^}} 1 4{{$}}
// TRANSPOSE-NEXT: {{^}} 2 5{{$}}
// TRANSPOSE-NEXT: {{^}} 3 6{{$}}
// RUN: od -A n -t f8 -v -w16 -j 128 %t/ops2.npy | FileCheck %s --check-prefix=SUM
// SUM: {{^}} 6 15{{$}}
// RUN: od -A n -t f8 -v -w48 -j 128 %t/ops3.npy | FileCheck %s --check-prefix=FLAT
// FLAT: {{^}} 1 2 3 4 5 6{{$}}
// RUN: od -A n -t f8 -v -w16 -j 128 %t/ops4.npy | FileCheck %s --check-prefix=MATMUL
// MATMUL: {{^}} 14 32{{$}}
// MATMUL-NEXT: {{^}} 32 77{{$}}
// RUN: od -A n -t f8 -v -w24 -j 128 %t/ops5.npy | FileCheck %s --check-prefix=SLICE
// SLICE: {{^}} 0 1 3{{$}}
// SLICE-NEXT: {{^}} 0 4 6{{$}}
// RUN: od -A n -t f8 -v -w24 -j 128 %t/ops6.npy | FileCheck %s --check-prefix=RELU
// RELU: {{^}} 2 0 4{{$}}
// RELU-NEXT: {{^}} 5 6 0{{$}}
// RUN: od -A n -t f8 -v -w24 -j 128 %t/ops7.npy | FileCheck %s --check-prefix=IOTA
// IOTA: {{^}} 0 1 2{{$}}
// IOTA-NEXT: {{^}} 10 11 12{{$}}
// RUN: od -A n -t f8 -j 128 %t/ops8.npy | FileCheck %s --check-prefix=EXTRACT
// EXTRACT: {{^}} -6{{$}}
// RUN: od -A n -t d8 -j 128 %t/ops9.npy | FileCheck %s --check-prefix=DIM
// DIM: {{^}} 3{{$}}
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @ops() -> (tensor<2x3xf64>, tensor<3x2xf64>, tensor<2xf64>,
                     tensor<6xf64>, tensor<2x2xf64>, tensor<2x3xf64>,
                     tensor<2x3xf64>, tensor<2x3xf64>, f64, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f64
  %a = arith.constant dense<[[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]> : tensor<2x3xf64>
  %e23 = tensor.empty() : tensor<2x3xf64>
  %abs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x3xf64>) outs(%e23 : tensor<2x3xf64>) {
  ^bb0(%in: f64, %out: f64):
    %v = math.absf %in : f64
    linalg.yield %v : f64
  } -> tensor<2x3xf64>
  %e32 = tensor.empty() : tensor<3x2xf64>
  %t = linalg.transpose ins(%abs : tensor<2x3xf64>) outs(%e32 : tensor<3x2xf64>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<2xf64>
  %z2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<2xf64>) -> tensor<2xf64>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%abs : tensor<2x3xf64>) outs(%z2 : tensor<2xf64>) {
  ^bb0(%in: f64, %acc: f64):
    %v = arith.addf %acc, %in : f64
    linalg.yield %v : f64
  } -> tensor<2xf64>
  %flat = tensor.collapse_shape %abs [[0, 1]] : tensor<2x3xf64> into tensor<6xf64>
  %e22 = tensor.empty() : tensor<2x2xf64>
  %z22 = linalg.fill ins(%zero : f64) outs(%e22 : tensor<2x2xf64>) -> tensor<2x2xf64>
  %mm = linalg.matmul ins(%abs, %t : tensor<2x3xf64>, tensor<3x2xf64>) outs(%z22 : tensor<2x2xf64>) -> tensor<2x2xf64>
  %s = tensor.extract_slice %abs[0, 0] [2, 2] [1, 2] : tensor<2x3xf64> to tensor<2x2xf64>
  %z23 = linalg.fill ins(%zero : f64) outs(%e23 : tensor<2x3xf64>) -> tensor<2x3xf64>
  %ins = tensor.insert_slice %s into %z23[0, 1] [2, 2] [1, 1] : tensor<2x2xf64> into tensor<2x3xf64>
  %ones = arith.constant dense<1.0> : tensor<2x3xf64>
  %a1 = arith.addf %a, %ones : tensor<2x3xf64>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a1 : tensor<2x3xf64>) outs(%e23 : tensor<2x3xf64>) {
  ^bb0(%in: f64, %out: f64):
    %gt = arith.cmpf ogt, %in, %zero : f64
    %v = arith.select %gt, %in, %zero : f64
    linalg.yield %v : f64
  } -> tensor<2x3xf64>
  %iota = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e23 : tensor<2x3xf64>) {
  ^bb0(%out: f64):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c10 = arith.constant 10 : index
    %i10 = arith.muli %i, %c10 : index
    %ij = arith.addi %i10, %j : index
    %ii = arith.index_cast %ij : index to i64
    %f = arith.sitofp %ii : i64 to f64
    linalg.yield %f : f64
  } -> tensor<2x3xf64>
  %x = tensor.extract %a[%c1, %c2] : tensor<2x3xf64>
  %d = tensor.dim %a, %c1 : tensor<2x3xf64>
  return %abs, %t, %sum, %flat, %mm, %ins, %relu, %iota, %x, %d
      : tensor<2x3xf64>, tensor<3x2xf64>, tensor<2xf64>, tensor<6xf64>,
        tensor<2x2xf64>, tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, f64, index
}

// f32 arithmetic rounds: 1 + 1e-8 is 1 in f32, so the difference is 0; with
// --exact it is f32(1e-8).
// RUN: ssmc eval %s --entry rounding --random-inputs 0 --output %t/r
// RUN: od -A n -t f8 -j 128 %t/r0.npy | FileCheck %s --check-prefix=ROUNDED
// ROUNDED: {{^}} 0{{$}}
// RUN: ssmc eval %s --entry rounding --random-inputs 0 --exact --output %t/x
// RUN: od -A n -t f8 -j 128 %t/x0.npy | FileCheck %s --check-prefix=EXACT
// EXACT: {{^}} 9.99999993922529e-09{{$}}
func.func @rounding() -> f64 {
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-08 : f32
  %s = arith.addf %one, %eps : f32
  %d = arith.subf %s, %one : f32
  %r = arith.extf %d : f32 to f64
  return %r : f64
}

// Inputs round-trip: a .npy written by ssmc eval reads back bit for bit, and
// a bf16 argument reads '<f4' and writes it back.
// RUN: ssmc eval %s --entry identity --random-inputs 9 --output %t/in
// RUN: ssmc eval %s --entry identity --input %t/in0.npy --input %t/in1.npy \
// RUN:   --input %t/in2.npy --output %t/out | FileCheck %s --check-prefix=ID
// ID: output 0: shape (2, 9) f32
// ID-NEXT: output 1: shape (3,) bf16
// ID-NEXT: output 2: shape (2, 2) f16
// RUN: cmp %t/in0.npy %t/out0.npy
// RUN: cmp %t/in1.npy %t/out1.npy
// RUN: cmp %t/in2.npy %t/out2.npy
func.func @identity(%a: tensor<2x9xf32>, %b: tensor<3xbf16>, %c: tensor<2x2xf16>)
    -> (tensor<2x9xf32>, tensor<3xbf16>, tensor<2x2xf16>) {
  return %a, %b, %c : tensor<2x9xf32>, tensor<3xbf16>, tensor<2x2xf16>
}

// Ordered and unordered comparisons, NaN included: a = (1, 2, 3, NaN) against
// 2 with olt, ule, une and uno, one result each.
// RUN: ssmc eval %s --entry cmpf --random-inputs 0 --output %t/cmp
// RUN: od -A n -t f8 -v -w32 -j 128 %t/cmp0.npy | FileCheck %s --check-prefix=OLT
// RUN: od -A n -t f8 -v -w32 -j 128 %t/cmp1.npy | FileCheck %s --check-prefix=ULE
// RUN: od -A n -t f8 -v -w32 -j 128 %t/cmp2.npy | FileCheck %s --check-prefix=UNE
// RUN: od -A n -t f8 -v -w32 -j 128 %t/cmp3.npy | FileCheck %s --check-prefix=UNO
// OLT: {{^}} 1 0 0 0{{$}}
// ULE: {{^}} 1 1 0 1{{$}}
// UNE: {{^}} 1 0 1 1{{$}}
// UNO: {{^}} 0 0 0 1{{$}}
#vec = affine_map<(d0) -> (d0)>
func.func @cmpf() -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  %a = arith.constant dense<[1.0, 2.0, 3.0, 0x7FF8000000000000]> : tensor<4xf64>
  %init = tensor.empty() : tensor<4xf64>
  %r:4 = linalg.generic {indexing_maps = [#vec, #vec, #vec, #vec, #vec], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf64>) outs(%init, %init, %init, %init : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  ^bb0(%x: f64, %o0: f64, %o1: f64, %o2: f64, %o3: f64):
    %two = arith.constant 2.0 : f64
    %one = arith.constant 1.0 : f64
    %zero = arith.constant 0.0 : f64
    %lt = arith.cmpf olt, %x, %two : f64
    %le = arith.cmpf ule, %x, %two : f64
    %ne = arith.cmpf une, %x, %two : f64
    %no = arith.cmpf uno, %x, %two : f64
    %v0 = arith.select %lt, %one, %zero : f64
    %v1 = arith.select %le, %one, %zero : f64
    %v2 = arith.select %ne, %one, %zero : f64
    %v3 = arith.select %no, %one, %zero : f64
    linalg.yield %v0, %v1, %v2, %v3 : f64, f64, f64, f64
  } -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>)
  return %r#0, %r#1, %r#2, %r#3 : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
}
