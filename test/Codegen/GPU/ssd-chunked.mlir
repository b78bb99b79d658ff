// RUN: ssmc-opt --ssm-gpu-choose-tiles %s | FileCheck %s --check-prefix=TILE
// RUN: ssmc-opt --ssm-gpu-choose-tiles --ssm-gpu-lower-ops %s | FileCheck %s --check-prefix=KERNEL
// RUN: ssmc compile %s --target cuda:sm_90 --emit=ptx -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=OPS < %t.ptx

// ssm.ssd with bf16 x, B and C takes the chunked dual form on tensor cores;
// f32 operands (exact to 1e-5) and shapes the form does not take (p = 48)
// keep the recurrent form.
// TILE-LABEL: func.func @ssd_bf16
// TILE:         ssm.ssd {{.*}} {ssm.gpu_tile = {form = "chunked", segments = 0 : i64}}
// TILE-LABEL: func.func @ssd_f32
// TILE:         ssm.ssd {{.*}} {ssm.gpu_tile = {form = "recurrent", row_blocks = 8 : i64, time_chunk = 16 : i64, warps = 8 : i64}}
// TILE-LABEL: func.func @ssd_p48
// TILE:         ssm.ssd {{.*}} {ssm.gpu_tile = {form = "recurrent"

// Two kernels when the sequence is split into segments (their end states
// from zero, then the outputs), one otherwise: 4 warps (p = 64), tiles in
// dynamic shared memory, operands by ldmatrix (transposed where the product
// needs it) into mma.sync bf16 with f32 accumulators, chunks staged by
// cp.async. The only device buffers are the results and the per-segment
// end states: no per-chunk intermediate leaves the multiprocessor.
// KERNEL-LABEL: func.func @ssd_bf16
// KERNEL:         gpu.alloc async {{.*}} : memref<?x?x?x64xbf16>
// KERNEL:         gpu.alloc async {{.*}} : memref<?x?x64x128xf32>
// KERNEL:         scf.if
// KERNEL:           gpu.alloc async {{.*}} : memref<?xf32>
// KERNEL:           gpu.alloc async {{.*}} : memref<?xf32>
// KERNEL:           gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c128{{.*}}) dynamic_shared_memory_size
// KERNEL:             gpu.dynamic_shared_memory
// KERNEL:             nvgpu.device_async_copy
// KERNEL:             nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// KERNEL:             nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>
// KERNEL:           gpu.launch async
// KERNEL:             nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// KERNEL:             nvvm.mma.sync
// KERNEL:           gpu.dealloc
// KERNEL:         } else {
// KERNEL:           gpu.launch async
// KERNEL-NOT:     gpu.alloc
// KERNEL:         }

// In the assembly: tensor-core products, matrix loads, asynchronous copies with
// zero fill, and nothing in local memory (the state and the accumulators in
// registers).
// PTX:       // ssmc: kernel module @ssd_bf16_kernel (assembly)
// PTX-NOT:   .local
// PTX:       // ssmc: kernel module @ssd_bf16_kernel_0
// PTX-NOT:   .local
// PTX:       // ssmc: kernel module @ssd_bf16_kernel_1
// PTX-NOT:   .local
// PTX:       // ssmc: kernel module @ssd_f32_kernel
// OPS-DAG:   cp.async.cg.shared.global
// OPS-DAG:   ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// OPS-DAG:   ldmatrix.sync.aligned.m8n8.x4.shared.b16
// OPS-DAG:   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// OPS-DAG:   cp.async.commit_group
// OPS-DAG:   cp.async.wait_group
func.func @ssd_bf16(%x: tensor<?x?x?x64xbf16>, %dt: tensor<?x?x?xbf16>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xbf16>, %C: tensor<?x?x?x128xbf16>, %D: tensor<?xf32>,
    %z: tensor<?x?x?x64xbf16>, %db: tensor<?xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x64xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?x128xbf16>,
         tensor<?x?x?x128xbf16>, tensor<?xf32>, tensor<?x?x?x64xbf16>, tensor<?xf32>)
      -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xbf16>, tensor<?x?x64x128xf32>
}

func.func @ssd_f32(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>) -> tensor<?x?x?x64xf32>
  return %y : tensor<?x?x?x64xf32>
}

func.func @ssd_p48(%x: tensor<?x?x?x48xbf16>, %dt: tensor<?x?x?xbf16>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xbf16>, %C: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x48xbf16> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256
      : (tensor<?x?x?x48xbf16>, tensor<?x?x?xbf16>, tensor<?xf32>, tensor<?x?x?x128xbf16>,
         tensor<?x?x?x128xbf16>) -> tensor<?x?x?x48xbf16>
  return %y : tensor<?x?x?x48xbf16>
}
