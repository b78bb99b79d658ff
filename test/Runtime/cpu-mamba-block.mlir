// examples/02-mamba-block compiled for the CPU and run by the CPU runtime on
// fresh random inputs with odd batch sizes and lengths, against the float64
// reference: float32 rel. L2 <= 1e-5 (the default --tolerance).
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %S/../../examples/02-mamba-block/mamba_block.mlir -o %t/block.ssmpkg
// DEFINE: %{run} = ssmc eval --target cpu --package %t/block.ssmpkg \
// DEFINE:   %S/../../examples/02-mamba-block/mamba_block.mlir --compare-reference --output %t/o
// RUN: %{run} --entry mamba_block --random-inputs 1 --input-shape 0=1x1x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-1
// RUN: %{run} --entry mamba_block --random-inputs 2 --input-shape 0=1x5x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-5
// RUN: %{run} --entry mamba_block --random-inputs 3 --input-shape 0=1x37x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-37
// RUN: %{run} --entry mamba_block --random-inputs 4 --input-shape 0=3x1x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-1
// RUN: %{run} --entry mamba_block --random-inputs 5 --input-shape 0=3x5x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-5
// RUN: %{run} --entry mamba_block --random-inputs 6 --input-shape 0=3x37x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-37
// RUN: %{run} --entry mamba2_block --random-inputs 7 --input-shape 0=1x1x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-1
// RUN: %{run} --entry mamba2_block --random-inputs 8 --input-shape 0=1x5x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-5
// RUN: %{run} --entry mamba2_block --random-inputs 9 --input-shape 0=1x37x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-1-37
// RUN: %{run} --entry mamba2_block --random-inputs 10 --input-shape 0=3x1x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-1
// RUN: %{run} --entry mamba2_block --random-inputs 11 --input-shape 0=3x5x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-5
// RUN: %{run} --entry mamba2_block --random-inputs 12 --input-shape 0=3x37x16 \
// RUN:   | FileCheck %s --check-prefix=CHECK-3-37
// CHECK-1-1: output 0: shape (1, 1, 16) f32
// CHECK-1-1-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// CHECK-1-5: output 0: shape (1, 5, 16) f32
// CHECK-1-5-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// CHECK-1-37: output 0: shape (1, 37, 16) f32
// CHECK-1-37-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// CHECK-3-1: output 0: shape (3, 1, 16) f32
// CHECK-3-1-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// CHECK-3-5: output 0: shape (3, 5, 16) f32
// CHECK-3-5-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
// CHECK-3-37: output 0: shape (3, 37, 16) f32
// CHECK-3-37-NEXT: output 0: rel. L2 vs reference = {{.*}}e-0{{[6-9]}}
