// ssmc eval's errors: each names what is wrong, exits 1 and writes nothing.
// RUN: rm -rf %t && mkdir -p %t/out
// Inputs for the checks below: (2, 9) and (2, 8) f32, and (2, 9) f64.
// RUN: ssmc eval %s --entry make_2x9 --random-inputs 1 --output %t/a
// RUN: ssmc eval %s --entry make_2x8 --random-inputs 1 --output %t/b
// RUN: ssmc eval %s --entry make_2x9_f64 --random-inputs 1 --output %t/c
// DEFINE: %{check} = --output %t/out/o 2>&1 | FileCheck %s

// RUN: not ssmc eval %t/missing.mlir --entry f --random-inputs 1 %{check} --check-prefix=NOFILE
// NOFILE: ssmc eval: cannot open '{{.*}}missing.mlir': No such file or directory

// RUN: echo 'func.func @f(' > %t/bad.mlir
// RUN: not ssmc eval %t/bad.mlir --entry f --random-inputs 1 %{check} --check-prefix=PARSE
// PARSE: bad.mlir:1:14: error: expected non-function type

// RUN: not ssmc eval %s --entry nope --random-inputs 1 %{check} --check-prefix=ENTRY
// ENTRY: ssmc eval: no function @nope in {{.*}}ssmc-eval-errors.mlir; the functions there are: @f, @make_2x9, @make_2x8, @make_2x9_f64, @sin, @dyn, @conv

// RUN: not ssmc eval %s --entry f --input %t/a0.npy %{check} --check-prefix=COUNT
// COUNT: ssmc eval: @f takes 2 arguments but 1 --input was given

// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/b0.npy %{check} --check-prefix=SHAPE
// SHAPE: ssmc eval: input 1 ({{.*}}b0.npy) has shape (2, 8) but argument 1 of @f has type tensor<2x9xf32>

// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/c0.npy %{check} --check-prefix=DTYPE
// DTYPE: ssmc eval: input 1 ({{.*}}c0.npy) has dtype '<f8' but argument 1 of @f has type tensor<2x9xf32> (expected '<f4')

// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/a0.npy --input %t/a0.npy %{check} --check-prefix=COUNT3
// COUNT3: ssmc eval: @f takes 2 arguments but 3 --input were given

// A header length that runs past the end of the .npy file.
// RUN: printf '\223NUMPY\001\000\377\000{}' > %t/short.npy
// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/short.npy %{check} --check-prefix=NPYHEADER
// NPYHEADER: ssmc eval: {{.*}}short.npy: header length 255 runs past the end of the file (12 bytes)

// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/none.npy %{check} --check-prefix=NONPY
// NONPY: ssmc eval: {{.*}}none.npy: cannot open: No such file or directory

// RUN: not ssmc eval %s --entry f --input %t/a0.npy --input %t/bad.mlir %{check} --check-prefix=MAGIC
// MAGIC: ssmc eval: {{.*}}bad.mlir: not a .npy file (bad magic)

// RUN: not ssmc eval %s --entry dyn --random-inputs 1 --input-shape 0=2y3 %{check} --check-prefix=SYNTAX
// RUN: not ssmc eval %s --entry dyn --random-inputs 1 --input-shape 2x3 %{check} --check-prefix=SYNTAX
// SYNTAX: ssmc eval: bad --input-shape '{{.*}}': expected IDX=AxBxC, e.g. 0=2x9x16

// RUN: not ssmc eval %s --entry dyn --random-inputs 1 --input-shape 1=2x3 %{check} --check-prefix=SHAPEIDX
// SHAPEIDX: ssmc eval: --input-shape '1=2x3' names argument 1, but the function takes 1

// RUN: not ssmc eval %s --entry dyn --random-inputs 1 --input-shape 0=2x4 %{check} --check-prefix=SHAPEFIT
// SHAPEFIT: ssmc eval: --input-shape 0=2x4 does not fit: argument 0 of @dyn has type tensor<?x3xf32>

// RUN: not ssmc eval %s --entry dyn --random-inputs 1 %{check} --check-prefix=DYNAMIC
// DYNAMIC: ssmc eval: argument 0 of @dyn has type tensor<?x3xf32> with dynamic sizes: give its shape with --input-shape 0=AxBxC

// RUN: not ssmc eval %s --entry dyn --random-inputs 1 --input-shape 0=5x3 --target tpu %{check} --check-prefix=TARGET
// TARGET: ssmc eval: unknown --target 'tpu'; allowed targets: reference, cpu, cuda, cuda:sm_XX

// RUN: not ssmc eval %s --entry f --random-inputs 1 --compare-undecomposed %{check} --check-prefix=COMPARE
// COMPARE: ssmc eval: --compare-undecomposed needs --decompose

// RUN: not ssmc eval %s --entry f --random-inputs 1 --input %t/a0.npy %{check} --check-prefix=BOTH
// BOTH: ssmc eval: give either --input files or --random-inputs, not both
// RUN: not ssmc eval %s --entry f %{check} --check-prefix=NOINPUT
// NOINPUT: ssmc eval: give one --input per argument or --random-inputs SEED
// RUN: not ssmc eval %s --entry f --random-inputs 1 2>&1 | FileCheck %s --check-prefix=NOOUTPUT
// NOOUTPUT: ssmc eval: --output PREFIX is required

// RUN: not ssmc eval %s --entry sin --random-inputs 1 %{check} --check-prefix=UNKNOWN-OP
// Sizes that only meet at run time are checked by the reference.
// RUN: not ssmc eval %s --entry conv --random-inputs 1 --input-shape 0=2x4x5 --input-shape 2=3x4x2 %{check} --check-prefix=REFERENCE
// RUN: ls %t/out | count 0
// RUN: not ssmc 2>&1 | FileCheck %s --check-prefix=NOSUB
// NOSUB: ssmc: no subcommand given; see 'ssmc --help'
// RUN: ssmc --help | FileCheck %s --check-prefix=HELP
// HELP: eval - Run a function through the float64 reference interpreter

func.func @f(%a: tensor<2x9xf32>, %b: tensor<2x9xf32>) -> tensor<2x9xf32> {
  %c = arith.addf %a, %b : tensor<2x9xf32>
  return %c : tensor<2x9xf32>
}
func.func @make_2x9(%a: tensor<2x9xf32>) -> tensor<2x9xf32> {
  return %a : tensor<2x9xf32>
}
func.func @make_2x8(%a: tensor<2x8xf32>) -> tensor<2x8xf32> {
  return %a : tensor<2x8xf32>
}
func.func @make_2x9_f64(%a: tensor<2x9xf64>) -> tensor<2x9xf64> {
  return %a : tensor<2x9xf64>
}
func.func @sin(%a: tensor<4xf32>) -> tensor<4xf32> {
  // UNKNOWN-OP: ssmc eval: unsupported op 'math.erf' at {{.*}}ssmc-eval-errors.mlir:[[@LINE+1]]:8
  %s = math.erf %a : tensor<4xf32>
  return %s : tensor<4xf32>
}
func.func @dyn(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  return %a : tensor<?x3xf32>
}
func.func @conv(%x: tensor<?x4x?xf32>, %w: tensor<4x3xf32>,
                %s: tensor<?x4x2xf32>) -> tensor<?x4x?xf32> {
  // REFERENCE: ssmc eval: {{.*}}ssmc-eval-errors.mlir:[[@LINE+1]]:8: causal_conv1d: 'convState' has shape (3,4,2), expected (2,4,2)
  %y = ssm.causal_conv1d %x, %w conv_state(%s)
      : (tensor<?x4x?xf32>, tensor<4x3xf32>, tensor<?x4x2xf32>)
      -> tensor<?x4x?xf32>
  return %y : tensor<?x4x?xf32>
}
