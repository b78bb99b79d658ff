// RUN: ssmc compile %s --target cuda:sm_90 --emit=ptx -o - | FileCheck %s
// RUN: ssmc compile %s --target cuda --gpu-scan-segments=1 --emit=ptx -o - | FileCheck %s --check-prefix=ONE
// RUN: ssmc compile %s --target cuda:sm_80 --emit=ptx -o - | FileCheck %s --check-prefix=SM80
// RUN: ssmc compile %s --target cuda --emit=llvm -o - | FileCheck %s --check-prefix=HOST
// RUN: not ssmc compile %s --target cuda:sm90 --emit=ptx -o - 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not ssmc compile %s --emit=ptx -o - 2>&1 | FileCheck %s --check-prefix=NOTCUDA

// The kernels' PTX: the staged chunk in shared memory, the decays on the
// special-function unit (ex2.approx), B and C read as 16-byte shared loads,
// barriers between staging and use, and nothing in local memory (no spills,
// no stack arrays: the state is in registers).
// CHECK:     // ssmc: kernel module @scan_kernel (assembly)
// CHECK:     .target sm_90
// CHECK:     .entry scan_kernel(
// CHECK:     .shared .align {{[0-9]+}} .b8
// CHECK:     bar.sync
// CHECK:     ld.shared.v4.b32
// CHECK:     ex2.approx.ftz.f32
// CHECK-NOT: .local
// CHECK:     // ssmc: kernel module @scan_kernel_0
// CHECK-NOT: .local
// CHECK:     // ssmc: kernel module @scan_kernel_1
// CHECK-NOT: .local

// With one segment: one kernel.
// ONE:       // ssmc: kernel module @scan_kernel (assembly)
// ONE-NOT:   // ssmc: kernel module
// SM80:      .target sm_80

// The host code loads the kernels when the object is loaded and launches
// them through the mgpu* ABI that ssmc's runtime implements.
// HOST-DAG:  call ptr @mgpuModuleLoad(
// HOST-DAG:  call void @mgpuLaunchKernel(
// HOST-DAG:  call ptr @mgpuMemAlloc(
// HOST-DAG:  define void @ssmc_entry_scan(ptr

// BAD:       ssmc compile: malformed --target 'cuda:sm90'; expected cuda:sm_XX, e.g. cuda:sm_90
// NOTCUDA:   ssmc compile: --emit=gpu and --emit=ptx need --target cuda
func.func @scan(%u: tensor<?x?x?xbf16>, %dt: tensor<?x?x?xbf16>,
    %A: tensor<?x16xf32>, %B: tensor<?x1x16x?xbf16>, %C: tensor<?x1x16x?xbf16>,
    %D: tensor<?xf32>, %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>)
    -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x16xf32>,
         tensor<?x1x16x?xbf16>, tensor<?x1x16x?xbf16>, tensor<?xf32>,
         tensor<?x?x?xbf16>, tensor<?xf32>)
      -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xbf16>, tensor<?x?x16xf32>
}
