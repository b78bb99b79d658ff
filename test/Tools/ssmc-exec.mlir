// ssmc-exec runs a package's entry on .npy files with the runtime alone (no
// MLIR): it agrees with ssmc eval on the same package, and every error names
// what is wrong, exits 1 and writes nothing.
// RUN: rm -rf %t && mkdir -p %t/out
// RUN: ssmc compile %s -o %t/f.ssmpkg
// RUN: ssmc eval %s --entry axpy --random-inputs 1 --output %t/in
// RUN: ssmc eval %s --entry twice --random-inputs 2 --input-shape 0=7 --output %t/d
// RUN: ssmc eval %s --entry rows --random-inputs 3 --input-shape 0=4x5 --output %t/r

// RUN: ssmc-exec %t/f.ssmpkg --list | FileCheck %s --check-prefix=LIST
// LIST:      f.ssmpkg: format version 2, written by ssmc {{[0-9.]+}}
// LIST-NEXT: object cpu: {{.+}}, cpu {{.+}}, {{[0-9]+}} bytes
// LIST-NEXT: entry axpy(f32[3, 5], f32[3, 5]) -> (f32[3, 5])
// LIST-NEXT: entry twice(f64[?]) -> (f64[?])
// LIST-NEXT: entry rows(f32[?, 5]) -> (f32[?, 5])
// LIST-NEXT: entry pair(f64[?]) -> (f64[?], f64[?])

// RUN: ssmc-exec %t/f.ssmpkg --entry axpy --input %t/in0.npy --input %t/in0.npy \
// RUN:   --output %t/x | FileCheck %s --check-prefix=EXEC
// RUN: ssmc eval --package %t/f.ssmpkg --entry axpy --input %t/in0.npy --input %t/in0.npy \
// RUN:   --target cpu --output %t/e
// RUN: cmp %t/e0.npy %t/x0.npy
// EXEC: output 0: shape (3, 5) f32 -> {{.*}}x0.npy
// RUN: ssmc-exec %t/f.ssmpkg --entry=twice --input=%t/d0.npy --device=cpu --output=%t/y \
// RUN:   --time 3 | FileCheck %s --check-prefix=DYN
// DYN:      output 0: shape (7,) f64 -> {{.*}}y0.npy
// DYN-NEXT: time: {{[0-9.]+}} ms (median of 3 runs on cpu)
// RUN: ssmc-exec --help | FileCheck %s --check-prefix=HELP
// HELP: usage: ssmc-exec PACKAGE --entry NAME

// DEFINE: %{exec} = not ssmc-exec %t/f.ssmpkg --output %t/out/z
// RUN: %{exec} --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: ssmc-exec: no entry 'nope' in the package; its entries are: axpy, twice
// RUN: %{exec} --entry axpy --input %t/in0.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: ssmc-exec: entry 'axpy': expected 2 inputs, got 1
// RUN: %{exec} --entry axpy --input %t/d0.npy --input %t/in0.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DTYPE
// DTYPE: ssmc-exec: entry 'axpy': input 0: expected dtype f32, got f64
// RUN: %{exec} --entry axpy --input %t/in0.npy --input %t/x0.npy --input %t/in0.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=COUNT3
// COUNT3: ssmc-exec: entry 'axpy': expected 2 inputs, got 3
// RUN: %{exec} --entry axpy --input %t/r0.npy --input %t/in0.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SHAPE
// SHAPE: ssmc-exec: entry 'axpy': input 0: expected shape (3, 5), got (4, 5)
// RUN: %{exec} --entry twice --input %t/in0.npy 2>&1 | FileCheck %s --check-prefix=DTYPE2
// DTYPE2: ssmc-exec: entry 'twice': input 0: expected dtype f64, got f32
// RUN: %{exec} --entry axpy --input %t/missing.npy 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: ssmc-exec: {{.*}}missing.npy: cannot open: No such file or directory
// RUN: %{exec} --entry axpy --device tpu 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: ssmc-exec: unknown device 'tpu' (known devices: cpu, cuda)
// The package has only a cpu object: cuda is an error, not a fallback.
// RUN: %{exec} --entry axpy --device cuda 2>&1 | FileCheck %s --check-prefix=NOCUDA
// NOCUDA: ssmc-exec: {{.*}}f.ssmpkg: the package has no cuda object (its objects: cpu); compile it with ssmc compile --target cuda
// RUN: not ssmc-exec %t/in0.npy --list 2>&1 | FileCheck %s --check-prefix=NOTPKG
// NOTPKG: ssmc-exec: {{.*}}in0.npy: not an ssmc package (bad magic)
// RUN: not ssmc-exec %t/f.ssmpkg --output %t/out/z 2>&1 | FileCheck %s --check-prefix=NOENTRY
// NOENTRY: ssmc-exec: --entry NAME is required (--list shows the entries)
// RUN: not ssmc-exec %t/f.ssmpkg --entry axpy --time 0 2>&1 | FileCheck %s --check-prefix=TIME
// TIME: ssmc-exec: --time needs a positive count, got '0'
// RUN: not ssmc-exec %t/f.ssmpkg --entry axpy --output 2>&1 | FileCheck %s --check-prefix=VALUE
// VALUE: ssmc-exec: --output needs a value
// RUN: not ssmc-exec %t/f.ssmpkg --entry axpy --bogus 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: ssmc-exec: unknown option '--bogus' (see --help)

// The outputs of an entry are written all or none: when the second cannot
// be (a directory is in its place), the first is not left behind either.
// RUN: ssmc-exec %t/f.ssmpkg --entry pair --input %t/d0.npy --output %t/p | FileCheck %s --check-prefix=PAIR
// PAIR:      output 0: shape (7,) f64 -> {{.*}}p0.npy
// PAIR-NEXT: output 1: shape (7,) f64 -> {{.*}}p1.npy
// RUN: mkdir %t/out/z1.npy %t/out/e1.npy
// RUN: not ssmc-exec %t/f.ssmpkg --entry pair --input %t/d0.npy --output %t/out/z 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ATOMIC --implicit-check-not="shape ("
// ATOMIC: ssmc-exec: {{.*}}z1.npy: cannot rename from {{.*}}z1.npy.tmp: Is a directory
// RUN: not ssmc eval --package %t/f.ssmpkg --target cpu --entry pair --input %t/d0.npy \
// RUN:   --output %t/out/e 2>&1 | FileCheck %s --check-prefix=EATOMIC --implicit-check-not="shape ("
// EATOMIC: ssmc eval: {{.*}}e1.npy: cannot rename from {{.*}}e1.npy.tmp: Is a directory
// RUN: rmdir %t/out/z1.npy %t/out/e1.npy
// RUN: ls %t/out | count 0

func.func @axpy(%a: tensor<3x5xf32>, %b: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %e = tensor.empty() : tensor<3x5xf32>
  %c = linalg.add ins(%a, %b : tensor<3x5xf32>, tensor<3x5xf32>)
      outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %c : tensor<3x5xf32>
}

func.func @twice(%a: tensor<?xf64>) -> tensor<?xf64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf64>
  %e = tensor.empty(%n) : tensor<?xf64>
  %c = linalg.add ins(%a, %a : tensor<?xf64>, tensor<?xf64>)
      outs(%e : tensor<?xf64>) -> tensor<?xf64>
  return %c : tensor<?xf64>
}

func.func @rows(%a: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x5xf32>
  %e = tensor.empty(%n) : tensor<?x5xf32>
  %c = linalg.add ins(%a, %a : tensor<?x5xf32>, tensor<?x5xf32>)
      outs(%e : tensor<?x5xf32>) -> tensor<?x5xf32>
  return %c : tensor<?x5xf32>
}

func.func @pair(%a: tensor<?xf64>) -> (tensor<?xf64>, tensor<?xf64>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf64>
  %e = tensor.empty(%n) : tensor<?xf64>
  %c = linalg.add ins(%a, %a : tensor<?xf64>, tensor<?xf64>)
      outs(%e : tensor<?xf64>) -> tensor<?xf64>
  %f = tensor.empty(%n) : tensor<?xf64>
  %d = linalg.mul ins(%a, %a : tensor<?xf64>, tensor<?xf64>)
      outs(%f : tensor<?xf64>) -> tensor<?xf64>
  return %c, %d : tensor<?xf64>, tensor<?xf64>
}
