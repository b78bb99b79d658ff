// ssmc compile and ssmc eval --target cpu: each error names what is wrong,
// exits 1 and writes nothing.
// RUN: rm -rf %t && mkdir -p %t/out
// RUN: ssmc compile %s -o %t/f.ssmpkg
// RUN: ssmc eval %s --entry make_2x9 --random-inputs 1 --output %t/a
// RUN: ssmc eval %s --entry make_2x8 --random-inputs 1 --output %t/b
// RUN: ssmc eval %s --entry make_2x9_f64 --random-inputs 1 --output %t/c
// DEFINE: %{check} = --output %t/out/o 2>&1 | FileCheck %s

// RUN: not ssmc compile %s --target gpu -o %t/out/x.ssmpkg 2>&1 | FileCheck %s --check-prefix=CTARGET
// CTARGET: ssmc compile: unknown --target 'gpu'; allowed targets: cpu, cuda, cuda:sm_XX
// RUN: not ssmc compile %s 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: ssmc compile: -o FILE is required for --emit=obj and --emit=package
// RUN: not ssmc compile %t/missing.mlir -o %t/out/x.ssmpkg 2>&1 | FileCheck %s --check-prefix=CNOFILE
// CNOFILE: ssmc compile: cannot open '{{.*}}missing.mlir': No such file or directory
// RUN: not ssmc compile %s --cpu=no-such-cpu -o %t/out/x.ssmpkg 2>&1 | FileCheck %s --check-prefix=BADCPU
// BADCPU: ssmc compile: unknown CPU 'no-such-cpu' for x86_64

// RUN: not env PATH=%t/nowhere ssmc compile %s -o %t/out/x.ssmpkg 2>&1 | FileCheck %s --check-prefix=NOCC
// NOCC: ssmc compile: cannot link the shared object: no C compiler 'cc' in PATH

// RUN: echo 'func.func @bad(%%a: tensor<4xi1>) -> tensor<4xi1> { return %%a : tensor<4xi1> }' > %t/i1.mlir
// RUN: not ssmc compile %t/i1.mlir -o %t/out/x.ssmpkg 2>&1 | FileCheck %s --check-prefix=DTYPEENTRY
// DTYPEENTRY: i1.mlir:1:1: error: argument 0 of @bad has type 'tensor<4xi1>', which a package entry cannot take

// RUN: not ssmc eval %s --entry f --random-inputs 1 --target gpu %{check} --check-prefix=TARGET
// TARGET: ssmc eval: unknown --target 'gpu'; allowed targets: reference, cpu
// RUN: not ssmc eval --package %t/f.ssmpkg --entry f --random-inputs 1 %{check} --check-prefix=NEEDCPU
// NEEDCPU: ssmc eval: --package needs --target cpu
// RUN: not ssmc eval --package %t/f.ssmpkg --entry f --random-inputs 1 --target cpu --compare-reference %{check} --check-prefix=NEEDFILE
// NEEDFILE: ssmc eval: --compare-reference needs the FILE.mlir to interpret

// DEFINE: %{pkg} = ssmc eval --target cpu --package %t/f.ssmpkg
// RUN: not %{pkg} --entry nope --random-inputs 1 %{check} --check-prefix=ENTRY
// ENTRY: ssmc eval: no entry @nope in package {{.*}}f.ssmpkg; its entries are: @f, @make_2x9, @make_2x8, @make_2x9_f64, @dyn
// RUN: not ssmc eval %s --target cpu --entry nope --random-inputs 1 %{check} --check-prefix=FENTRY
// FENTRY: ssmc eval: no function @nope in {{.*}}cpu-eval-errors.mlir; the functions there are: @f, @make_2x9, @make_2x8, @make_2x9_f64, @dyn

// RUN: not %{pkg} --entry f --input %t/a0.npy %{check} --check-prefix=COUNT
// COUNT: ssmc eval: @f takes 2 arguments but 1 --input was given
// RUN: not %{pkg} --entry f --input %t/a0.npy --input %t/b0.npy %{check} --check-prefix=SHAPE
// SHAPE: ssmc eval: input 1 ({{.*}}b0.npy) has shape (2, 8) but argument 1 of @f has type tensor<2x9xf32>
// RUN: not %{pkg} --entry f --input %t/a0.npy --input %t/c0.npy %{check} --check-prefix=DTYPE
// DTYPE: ssmc eval: input 1 ({{.*}}c0.npy) has dtype '<f8' but argument 1 of @f has type tensor<2x9xf32> (expected '<f4')
// RUN: not %{pkg} --entry dyn --random-inputs 1 %{check} --check-prefix=DYNAMIC
// DYNAMIC: ssmc eval: argument 0 of @dyn has type tensor<?x3xf32> with dynamic sizes: give its shape with --input-shape 0=AxBxC
// RUN: not %{pkg} --entry dyn --random-inputs 1 --input-shape 0=2x4 %{check} --check-prefix=SHAPEFIT
// SHAPEFIT: ssmc eval: --input-shape 0=2x4 does not fit: argument 0 of @dyn has type tensor<?x3xf32>

// Broken packages.
// RUN: not ssmc eval --target cpu --package %t/missing.ssmpkg --entry f --random-inputs 1 %{check} --check-prefix=NOPKG
// NOPKG: ssmc eval: cannot open package '{{.*}}missing.ssmpkg': No such file or directory
// RUN: not ssmc eval --target cpu --package %s --entry f --random-inputs 1 %{check} --check-prefix=NOTPKG
// NOTPKG: ssmc eval: {{.*}}cpu-eval-errors.mlir: not an ssmc package (bad magic)
// A package of another format version (byte 8 of the header), newer and
// older, through ssmc eval and ssmc-exec.
// RUN: cp %t/f.ssmpkg %t/v3.ssmpkg && printf '\003' | dd of=%t/v3.ssmpkg bs=1 seek=8 conv=notrunc 2>/dev/null
// RUN: not ssmc eval --target cpu --package %t/v3.ssmpkg --entry f --random-inputs 1 %{check} --check-prefix=NEWER
// RUN: not ssmc-exec %t/v3.ssmpkg --entry f --input %t/a0.npy --input %t/a0.npy --output %t/out/e 2>&1 | FileCheck %s --check-prefix=NEWER
// NEWER: {{.*}}v3.ssmpkg: package format version 3 is not supported (the package was written by a newer ssmc; this runtime reads format version 2)
// RUN: cp %t/f.ssmpkg %t/v1.ssmpkg && printf '\001' | dd of=%t/v1.ssmpkg bs=1 seek=8 conv=notrunc 2>/dev/null
// RUN: not ssmc eval --target cpu --package %t/v1.ssmpkg --entry f --random-inputs 1 %{check} --check-prefix=OLDER
// OLDER: {{.*}}v1.ssmpkg: package format version 1 (the package was written by an older ssmc; recompile it with this ssmc, whose runtime reads format version 2)

// RUN: head -c 200 %t/f.ssmpkg > %t/truncated.ssmpkg
// RUN: not ssmc eval --target cpu --package %t/truncated.ssmpkg --entry f --random-inputs 1 %{check} --check-prefix=TRUNC
// TRUNC: ssmc eval: {{.*}}truncated.ssmpkg: manifest size {{[0-9]+}} runs past the end of the file (200 bytes)

// Failing the tolerance is an error too (the results are still written).
// RUN: not ssmc eval %s --target cpu --entry f --random-inputs 1 --compare-reference --tolerance -1 \
// RUN:   --output %t/tol 2>&1 | FileCheck %s --check-prefix=TOL
// TOL: ssmc eval: output 0 differs from the reference interpreter by {{.*}} > tolerance -1.0e+00

// RUN: ls %t/out | count 0

func.func @f(%a: tensor<2x9xf32>, %b: tensor<2x9xf32>) -> tensor<2x9xf32> {
  %e = tensor.empty() : tensor<2x9xf32>
  %c = linalg.add ins(%a, %b : tensor<2x9xf32>, tensor<2x9xf32>)
      outs(%e : tensor<2x9xf32>) -> tensor<2x9xf32>
  return %c : tensor<2x9xf32>
}
func.func @make_2x9(%a: tensor<2x9xf32>) -> tensor<2x9xf32> {
  %e = tensor.empty() : tensor<2x9xf32>
  %c = linalg.copy ins(%a : tensor<2x9xf32>) outs(%e : tensor<2x9xf32>) -> tensor<2x9xf32>
  return %c : tensor<2x9xf32>
}
func.func @make_2x8(%a: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %c = linalg.copy ins(%a : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}
func.func @make_2x9_f64(%a: tensor<2x9xf64>) -> tensor<2x9xf64> {
  %e = tensor.empty() : tensor<2x9xf64>
  %c = linalg.copy ins(%a : tensor<2x9xf64>) outs(%e : tensor<2x9xf64>) -> tensor<2x9xf64>
  return %c : tensor<2x9xf64>
}
func.func @dyn(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %c = linalg.copy ins(%a : tensor<?x3xf32>) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %c : tensor<?x3xf32>
}
