// --target cuda end to end on a machine without a GPU: the package holds a
// cpu and a cuda object; without a CUDA driver the cuda object cannot run, so
// the cpu object does, after one message, and matches the reference. The
// driver is pinned to a missing file so that the test means the same thing
// on a machine that has one.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ssmc compile %s --target cuda:sm_90 --gpu-format=isa -o %t/f.ssmpkg
// RUN: env SSMC_CUDA_DRIVER=%t/no-libcuda.so ssmc eval %s --entry scan --target cuda --compare-reference --random-inputs 3 --input-shape 0=1x37x45 --input-shape 1=1x37x45 --input-shape 2=37x16 --input-shape 3=1x1x16x45 --input-shape 4=1x1x16x45 --output %t/o 2>&1 | FileCheck %s
// RUN: env SSMC_CUDA_DRIVER=%t/no-libcuda.so ssmc eval --package %t/f.ssmpkg --entry scan --target cuda --random-inputs 3 --input-shape 0=1x37x45 --input-shape 1=1x37x45 --input-shape 2=37x16 --input-shape 3=1x1x16x45 --input-shape 4=1x1x16x45 --output %t/p 2>&1 | FileCheck %s --check-prefix=PKG
// RUN: grep -c '"target": *"cuda"' %t/f.ssmpkg | FileCheck %s --check-prefix=MANIFEST
// RUN: grep -c '"gpu_arch": *"sm_90"' %t/f.ssmpkg | FileCheck %s --check-prefix=MANIFEST

// CHECK: ssmc eval: no CUDA driver ({{.*}}no-libcuda.so{{.*}}); running on the CPU
// CHECK: output 0: rel. L2 vs reference = {{.*e-0[6-9]}}
// CHECK: output 1: rel. L2 vs reference = {{.*e-0[6-9]}}
// PKG: ssmc eval: no CUDA driver ({{.*}}); running on the CPU
// PKG: output 1: shape (1, 37, 16) f32
// MANIFEST: 1
func.func @scan(%u: tensor<?x?x?xf32>, %dt: tensor<?x?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x1x16x?xf32>, %C: tensor<?x1x16x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C delta_softplus
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>)
      -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xf32>, tensor<?x?x16xf32>
}
