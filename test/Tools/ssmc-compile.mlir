// ssmc compile stops at every level; the package runs on the CPU runtime and
// matches the reference interpreter.
// RUN: rm -rf %t && mkdir -p %t

// RUN: ssmc compile %s --emit=mlir | FileCheck %s --check-prefix=MLIR
// MLIR-LABEL: func.func @axpy
// MLIR: linalg.generic

// RUN: ssmc compile %s --emit=llvm-dialect -o %t/f.llvm.mlir
// RUN: FileCheck %s --check-prefix=LLVMDIALECT < %t/f.llvm.mlir
// LLVMDIALECT-DAG: llvm.func @ssmc_entry_axpy(%{{.*}}: !llvm.ptr)
// LLVMDIALECT-DAG: llvm.func @ssmc_entry_dyn(%{{.*}}: !llvm.ptr)
// LLVMDIALECT-NOT: linalg.

// RUN: ssmc compile %s --emit=llvm | FileCheck %s --check-prefix=LLVM
// LLVM: define void @ssmc_entry_axpy(ptr {{.*}}%0)
// LLVM: attributes #{{[0-9]+}} = { {{.*}}"target-cpu"=

// An explicit CPU and features reach the IR and the manifest.
// RUN: ssmc compile %s --emit=llvm --cpu=x86-64-v2 --cpu-features=-avx | FileCheck %s --check-prefix=CPU
// CPU: "target-cpu"="x86-64-v2" "target-features"="-avx"

// RUN: ssmc compile %s --emit=obj -o %t/f.o
// RUN: od -A n -c -N 4 %t/f.o | FileCheck %s --check-prefix=ELF
// ELF: 177   E   L   F

// RUN: ssmc compile %s -o %t/f.ssmpkg
// RUN: od -A n -c -N 8 %t/f.ssmpkg | FileCheck %s --check-prefix=MAGIC
// MAGIC: S   S   M   C   P   K   G  \0
// RUN: strings %t/f.ssmpkg | FileCheck %s --check-prefix=MANIFEST
// MANIFEST: "format_version": 2,
// MANIFEST: "name": "axpy",
// MANIFEST-NEXT: "symbol": "ssmc_entry_axpy",
// MANIFEST: "dtype": "f32",
// MANIFEST-NEXT: "shape": [
// MANIFEST-NEXT: 3,
// MANIFEST-NEXT: 5
// MANIFEST: "name": "dyn",
// MANIFEST: "shape": [
// MANIFEST-NEXT: -1,
// MANIFEST-NEXT: 4
// MANIFEST-NOT: "name": "helper"
// MANIFEST: "objects": [
// MANIFEST: "target": "cpu",
// MANIFEST-NEXT: "arch": "{{.+}}",
// MANIFEST-NEXT: "cpu": "{{.+}}",

// RUN: ssmc compile %s --cpu=x86-64 -o %t/generic.ssmpkg
// RUN: strings %t/generic.ssmpkg | FileCheck %s --check-prefix=GENERIC
// GENERIC: "cpu": "x86-64",
// GENERIC-NOT: "+avx2"

// In-process compilation, a prebuilt package, and a generic-CPU package all
// agree with the reference.
// RUN: ssmc eval %s --entry axpy --random-inputs 1 --target cpu --compare-reference --output %t/a \
// RUN:   | FileCheck %s --check-prefix=EVAL
// EVAL: output 0: shape (3, 5) f32 -> {{.*}}a0.npy
// EVAL-NEXT: output 1: shape (3, 5) f32 -> {{.*}}a1.npy
// EVAL-NEXT: output 0: rel. L2 vs reference = {{.*}}
// EVAL-NEXT: output 1: rel. L2 vs reference = {{.*}}
// RUN: ssmc eval --package %t/f.ssmpkg --entry axpy --random-inputs 1 --target cpu --output %t/p
// RUN: cmp %t/a0.npy %t/p0.npy
// RUN: cmp %t/a1.npy %t/p1.npy
// RUN: ssmc eval --package %t/generic.ssmpkg %s --entry dyn --random-inputs 2 --input-shape 0=7x4 \
// RUN:   --target cpu --compare-reference --output %t/d | FileCheck %s --check-prefix=DYN
// DYN: output 0: shape (7, 4) f32
// DYN: output 0: rel. L2 vs reference = {{.*}}
// The inputs written by the reference run read back into the CPU run.
// RUN: ssmc eval %s --entry axpy --random-inputs 3 --output %t/in
// RUN: ssmc eval --package %t/f.ssmpkg --entry axpy --input %t/in0.npy --input %t/in1.npy \
// RUN:   --target cpu --output %t/q | FileCheck %s --check-prefix=NPY
// NPY: output 1: shape (3, 5) f32

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @axpy(%a: tensor<3x5xf32>, %b: tensor<3x5xf32>)
    -> (tensor<3x5xf32>, tensor<3x5xf32>) {
  %e = tensor.empty() : tensor<3x5xf32>
  %c = linalg.add ins(%a, %b : tensor<3x5xf32>, tensor<3x5xf32>)
      outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %d = linalg.generic {indexing_maps = [#map, #map, #map],
                       iterator_types = ["parallel", "parallel"]}
      ins(%c, %a : tensor<3x5xf32>, tensor<3x5xf32>)
      outs(%e : tensor<3x5xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    %s = math.exp %m : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  return %c, %d : tensor<3x5xf32>, tensor<3x5xf32>
}

func.func @dyn(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %r = linalg.generic {indexing_maps = [#map, #map],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

func.func private @helper(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
