// RUN: ssmc-opt %s -ssm-gpu-small-projections -split-input-file | FileCheck %s
// RUN: ssmc-opt %s -ssm-gpu-small-projections -ssm-cpu-projections-to-gemm=gpu=true -split-input-file | FileCheck %s --check-prefix=GEMM
// RUN: not ssmc-opt %s -split-input-file -ssm-gpu-small-projections=max-rows=0 2>&1 | FileCheck %s --check-prefix=BAD

// A projection by a bf16 weight (out, in) = (5, 264): when x has 1 to 4 rows
// (b x t) and x and w are 16-byte aligned at every row, one kernel (one
// specialised for a single row, one for up to four); otherwise the zero fill
// and the op, which ssm-cpu-projections-to-gemm then makes cuBLAS calls.

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @channels_last
// CHECK-SAME: %[[X:[^:]+]]: memref<?x?x264xf32>, %[[W:[^:]+]]: memref<5x264xbf16>, %[[O:[^:]+]]: memref<?x?x5xf32>
// CHECK-DAG: %[[T:.*]] = memref.dim %[[X]], %c1
// CHECK-DAG: %[[B:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[ROWS:.*]] = arith.muli %[[B]], %[[T]]
// CHECK: arith.cmpi ule, %[[ROWS]], %c4
// CHECK: memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: scf.if
// CHECK-NOT: linalg.fill
// CHECK: arith.cmpi eq, %[[ROWS]], %c1
// CHECK: scf.if
// CHECK: gpu.launch async
// The grid: ceil(5 features / (4 warps x 2)) = 1 block of 128 threads.
// CHECK-SAME: in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%{{.*}}) in (%{{.*}} = %c128
// CHECK: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<5x264xbf16>, vector<8xbf16>
// CHECK: vector.load %[[X]][%{{.*}}, %{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?x264xf32>, vector<4xf32>
// The last step (elements 256..263) is partial: lanes past the end add 0.
// CHECK: arith.cmpi ult, %{{.*}}, %c264
// CHECK: gpu.shuffle xor
// The output was zero-filled: the sum is stored, not added.
// CHECK: scf.if
// CHECK-NOT: memref.load
// CHECK: memref.store %{{.*}}, %[[O]]
// CHECK: } {ssm.sink_constants}
// CHECK: } else {
// CHECK: gpu.launch async
// CHECK: } else {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.generic
// GEMM-LABEL: func.func @channels_last
// GEMM: gpu.launch
// GEMM: gpu.launch
// GEMM: } else {
// GEMM: memref.alloc
// GEMM: llvm.call
// GEMM: llvm.call
func.func @channels_last(%x: memref<?x?x264xf32>, %w: memref<5x264xbf16>, %out: memref<?x?x5xf32>) {
  %c0 = arith.constant 0.0 : f32
  linalg.fill ins(%c0 : f32) outs(%out : memref<?x?x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x264xf32>, memref<5x264xbf16>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
#w = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Channels first with one step (the Mamba-1 decode step's x_proj and
// dt_proj, x a slice of channels): the views collapsed to (b, channels), the
// output accumulated (no zero fill before the op).
// CHECK-LABEL: func.func @channels_first_step
// CHECK-SAME: %[[X:[^:]+]]: memref<?x48x1xf32, strided<[80, 1, 1]>>
// CHECK: %[[XC:.*]] = memref.collapse_shape %[[X]] {{\[}}[0], [1, 2]]
// CHECK: %[[OC:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2]]
// CHECK: gpu.launch async
// CHECK: vector.load %[[XC]]
// CHECK: %[[OLD:.*]] = memref.load %[[OC]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK: memref.store %[[NEW]], %[[OC]]
// CHECK: } else {
// CHECK-NOT: linalg.fill
// CHECK: linalg.generic
func.func @channels_first_step(%x: memref<?x48x1xf32, strided<[80, 1, 1]>>, %w: memref<1536x48xf16>, %out: memref<?x1536x1xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x48x1xf32, strided<[80, 1, 1]>>, memref<1536x48xf16>) outs(%out : memref<?x1536x1xf32>) {
  ^bb0(%a: f32, %b: f16, %acc: f32):
    %e = arith.extf %b : f16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
#w = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#xl = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#wl = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// Left as they are: channels first over a sequence (prefill), an f32
// weight (cuBLAS reads it once already), rows of the weight not a multiple
// of 8 elements, a weight of dynamic shape.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: gpu.launch
// CHECK-NOT: scf.if
// CHECK: return
func.func @untouched(%x: memref<?x48x?xf32>, %w: memref<64x48xbf16>, %out: memref<?x64x?xf32>,
                     %y: memref<?x?x48xf32>, %wf: memref<64x48xf32>, %wo: memref<64x44xbf16>, %y4: memref<?x?x44xf32>,
                     %wd: memref<?x48xbf16>, %o2: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x48x?xf32>, memref<64x48xbf16>) outs(%out : memref<?x64x?xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#xl, #wl, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%y, %wf : memref<?x?x48xf32>, memref<64x48xf32>) outs(%o2 : memref<?x?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#xl, #wl, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%y4, %wo : memref<?x?x44xf32>, memref<64x44xbf16>) outs(%o2 : memref<?x?x64xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#xl, #wl, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%y, %wd : memref<?x?x48xf32>, memref<?x48xbf16>) outs(%o2 : memref<?x?x64xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Few features (5) over a long input (1032 = 4 whole steps of 256 and a
// partial one): the steps split over the block's 4 warps, a block per two
// features (3 blocks), warp w at steps w and w + 4 (the second guarded), the
// warps' sums added by thread 0 through shared memory.
// CHECK-LABEL: func.func @split_steps
// CHECK: gpu.launch async {{.*}} in (%{{.*}} = %c3{{.*}}, %{{.*}}, %{{.*}}) threads({{.*}} = %c128{{.*}}) workgroup(%[[P:.*]] : memref<4x2xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[WARP:.*]] = arith.divui %{{.*}}, %c32
// CHECK: arith.muli %[[WARP]], %c256
// CHECK: arith.addi %{{.*}}, %c1024
// CHECK: arith.cmpi ult, %{{.*}}, %c1032
// CHECK: gpu.shuffle xor
// CHECK: memref.store %{{.*}}, %[[P]][%[[WARP]], %c0{{.*}}]
// CHECK: gpu.barrier
// CHECK: scf.if %{{.*}} -> (f32, f32)
// CHECK-COUNT-8: memref.load %[[P]]
// CHECK: memref.store
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @split_steps(%x: memref<?x?x1032xf32>, %w: memref<5x1032xbf16>, %out: memref<?x?x5xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x1032xf32>, memref<5x1032xbf16>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A residual add right after (the decode step's out_proj and the layer's
// residual): the kernel writes r + the sum into the add's buffer; the
// projection's own buffer, its fill and the add only on the other path.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: %[[R:[^:]+]]: memref<?x1x5xf32>
// CHECK: %[[RES:.*]] = memref.alloc(%{{.*}}) : memref<?x1x5xf32>
// CHECK-NOT: memref.alloc
// CHECK: gpu.launch async
// CHECK: %[[OLD:.*]] = memref.load %[[R]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK: memref.store %[[NEW]], %[[RES]]
// CHECK: gpu.launch async
// CHECK: } else {
// CHECK-NEXT: %[[OUT:.*]] = memref.alloc
// CHECK-NEXT: linalg.fill {{.*}} outs(%[[OUT]]
// CHECK-NEXT: linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[R]], %[[OUT]] : {{.*}}) outs(%[[RES]]
// CHECK: return %[[RES]]
func.func @residual(%x: memref<?x1x264xf32>, %w: memref<5x264xbf16>, %r: memref<?x1x5xf32>) -> memref<?x1x5xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x1x264xf32>
  %out = memref.alloc(%n) : memref<?x1x5xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x1x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x1x264xf32>, memref<5x264xbf16>) outs(%out : memref<?x1x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %res = memref.alloc(%n) : memref<?x1x5xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r, %out : memref<?x1x5xf32>, memref<?x1x5xf32>) outs(%res : memref<?x1x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return %res : memref<?x1x5xf32>
}

// BAD: error: ssm-gpu-small-projections: max-rows must be at least 1

// -----

// An RMS norm that only feeds the projection (the in_proj of a layer): the
// kernel reads the norm's input x and its weight, sums x^2 from the same
// loads (a third value through the warp reduction of the one-row kernel,
// after the two features' sums), multiplies x by the
// weight, and scales the sums by the norm's own rsqrt(s / 256 + eps) (an
// NVVM intrinsic, as every math op of the kernel); the
// sizes come from x; the norm's fill, sum and scaling run on the other path
// only, before the projection.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @norm_prologue
// CHECK-SAME: %[[H:[^:]+]]: memref<?x1x256xf32>, %[[NW:[^:]+]]: memref<256xbf16>
// CHECK: %[[NW2:.*]] = memref.expand_shape %[[NW]]
// CHECK-NOT: linalg.generic
// CHECK: memref.dim %[[H]], %c0
// CHECK: memref.alloc
// CHECK-NOT: linalg
// CHECK: memref.extract_aligned_pointer_as_index %[[H]]
// CHECK: memref.extract_aligned_pointer_as_index %[[NW2]]
// CHECK: scf.if
// CHECK: gpu.launch async
// CHECK: vector.load %[[H]]
// CHECK: vector.load %[[NW2]]{{.*}} vector<8xbf16>
// CHECK-COUNT-3: gpu.shuffle xor %{{.*}}, %c16_i32
// CHECK-NOT: gpu.shuffle xor %{{.*}}, %c16_i32
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32
// CHECK: llvm.call_intrinsic "llvm.nvvm.rsqrt.approx.ftz.f"
// CHECK: } else {
// CHECK: gpu.launch async
// CHECK: llvm.call_intrinsic "llvm.nvvm.rsqrt.approx.ftz.f"
// CHECK: } else {
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: memref.alloc
// CHECK: linalg.generic
// CHECK: math.rsqrt
// CHECK: memref.collapse_shape
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK: linalg.yield
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @norm_prologue(%h: memref<?x1x256xf32>, %nw: memref<256xbf16>, %win: memref<6x256xbf16>) -> memref<?x1x6xf32> {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %inv = arith.constant 3.906250e-03 : f32
  %eps = arith.constant 1.0e-05 : f32
  %b = memref.dim %h, %c0 : memref<?x1x256xf32>
  %v = memref.expand_shape %h [[0], [1], [2, 3]] output_shape [%b, 1, 1, 256] : memref<?x1x256xf32> into memref<?x1x1x256xf32>
  %sums = memref.alloc(%b) : memref<?x1x1xf32>
  linalg.fill ins(%z : f32) outs(%sums : memref<?x1x1xf32>)
  linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v : memref<?x1x1x256xf32>) outs(%sums : memref<?x1x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  %w2 = memref.expand_shape %nw [[0, 1]] output_shape [1, 256] : memref<256xbf16> into memref<1x256xbf16>
  %y = memref.alloc(%b) : memref<?x1x1x256xf32>
  linalg.generic {indexing_maps = [#id4, #row, #col, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v, %sums, %w2 : memref<?x1x1x256xf32>, memref<?x1x1xf32>, memref<1x256xbf16>) outs(%y : memref<?x1x1x256xf32>) {
  ^bb0(%a: f32, %s: f32, %g: bf16, %o: f32):
    %mean = arith.mulf %s, %inv : f32
    %t = arith.addf %mean, %eps : f32
    %r = math.rsqrt %t : f32
    %n = arith.mulf %a, %r : f32
    %gw = arith.extf %g : bf16 to f32
    %m = arith.mulf %n, %gw : f32
    linalg.yield %m : f32
  }
  %x = memref.collapse_shape %y [[0], [1], [2, 3]] : memref<?x1x1x256xf32> into memref<?x1x256xf32>
  %rows = memref.dim %x, %c0 : memref<?x1x256xf32>
  %out = memref.alloc(%rows) : memref<?x1x6xf32>
  linalg.fill ins(%z : f32) outs(%out : memref<?x1x6xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %win : memref<?x1x256xf32>, memref<6x256xbf16>) outs(%out : memref<?x1x6xf32>) {
  ^bb0(%a: f32, %b2: bf16, %acc: f32):
    %e = arith.extf %b2 : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %out : memref<?x1x6xf32>
}

// -----

// The norm's output also read elsewhere: the norm stays where it is and the
// kernel reads its output.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @norm_read_twice
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: linalg.generic
// CHECK: %[[X:.*]] = memref.collapse_shape
// CHECK: scf.if
// CHECK: gpu.launch async
// CHECK: vector.load %[[X]]
// CHECK-NOT: rsqrt
// CHECK: } else {
func.func @norm_read_twice(%h: memref<?x1x256xf32>, %nw: memref<256xf32>, %win: memref<6x256xbf16>) -> (memref<?x1x6xf32>, memref<?x1x256xf32>) {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %inv = arith.constant 3.906250e-03 : f32
  %eps = arith.constant 1.0e-05 : f32
  %b = memref.dim %h, %c0 : memref<?x1x256xf32>
  %v = memref.expand_shape %h [[0], [1], [2, 3]] output_shape [%b, 1, 1, 256] : memref<?x1x256xf32> into memref<?x1x1x256xf32>
  %sums = memref.alloc(%b) : memref<?x1x1xf32>
  linalg.fill ins(%z : f32) outs(%sums : memref<?x1x1xf32>)
  linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v : memref<?x1x1x256xf32>) outs(%sums : memref<?x1x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  %w2 = memref.expand_shape %nw [[0, 1]] output_shape [1, 256] : memref<256xf32> into memref<1x256xf32>
  %y = memref.alloc(%b) : memref<?x1x1x256xf32>
  linalg.generic {indexing_maps = [#id4, #row, #col, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v, %sums, %w2 : memref<?x1x1x256xf32>, memref<?x1x1xf32>, memref<1x256xf32>) outs(%y : memref<?x1x1x256xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %o: f32):
    %mean = arith.mulf %s, %inv : f32
    %t = arith.addf %mean, %eps : f32
    %r = math.rsqrt %t : f32
    %n = arith.mulf %a, %r : f32
    %m = arith.mulf %n, %g : f32
    linalg.yield %m : f32
  }
  %x = memref.collapse_shape %y [[0], [1], [2, 3]] : memref<?x1x1x256xf32> into memref<?x1x256xf32>
  %out = memref.alloc(%b) : memref<?x1x6xf32>
  linalg.fill ins(%z : f32) outs(%out : memref<?x1x6xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %win : memref<?x1x256xf32>, memref<6x256xbf16>) outs(%out : memref<?x1x6xf32>) {
  ^bb0(%a: f32, %b2: bf16, %acc: f32):
    %e = arith.extf %b2 : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %out, %x : memref<?x1x6xf32>, memref<?x1x256xf32>
}

// -----

// One step per sequence, the output read as channel slices: [0, 8) and
// [8, 16) each only transposed to (b, 8, 1) (Mamba-1's x and z), [16, 20)
// read in place. The kernel stores the first two slices' sums straight
// into the transposed buffers (allocated before it) and only the rest to
// out; the transposes run on the other path only, after the projection.
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @scatter
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x1x20xf32>
// CHECK: %[[XT:.*]] = memref.alloc(%{{.*}}) : memref<?x8x1xf32>
// CHECK: %[[ZT:.*]] = memref.alloc(%{{.*}}) : memref<?x8x1xf32>
// CHECK: scf.if
// CHECK: gpu.launch async
// CHECK: arith.cmpi ult, %{{.*}}, %c8
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[XT]]
// CHECK: arith.cmpi ult, %{{.*}}, %c16
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[ZT]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: } else {
// CHECK: } else {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.generic
// CHECK: memref.subview %[[OUT]][0, 0, 0]
// CHECK-NEXT: linalg.transpose {{.*}} outs(%[[XT]]
// CHECK-NEXT: memref.subview %[[OUT]][0, 0, 8]
// CHECK-NEXT: linalg.transpose {{.*}} outs(%[[ZT]]
// CHECK-NEXT: }
// CHECK: memref.subview %[[OUT]][0, 0, 16]
func.func @scatter(%x: memref<?x1x64xf32>, %w: memref<20x64xbf16>) -> (memref<?x8x1xf32>, memref<?x8x1xf32>, memref<?x1x4xf32, strided<[20, 20, 1], offset: 16>>) {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %b = memref.dim %x, %c0 : memref<?x1x64xf32>
  %out = memref.alloc(%b) : memref<?x1x20xf32>
  linalg.fill ins(%z : f32) outs(%out : memref<?x1x20xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x1x64xf32>, memref<20x64xbf16>) outs(%out : memref<?x1x20xf32>) {
  ^bb0(%a: f32, %b2: bf16, %acc: f32):
    %e = arith.extf %b2 : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %s0 = memref.subview %out[0, 0, 0] [%b, 1, 8] [1, 1, 1] : memref<?x1x20xf32> to memref<?x1x8xf32, strided<[20, 20, 1]>>
  %xt = memref.alloc(%b) : memref<?x8x1xf32>
  linalg.transpose ins(%s0 : memref<?x1x8xf32, strided<[20, 20, 1]>>) outs(%xt : memref<?x8x1xf32>) permutation = [0, 2, 1]
  %s1 = memref.subview %out[0, 0, 8] [%b, 1, 8] [1, 1, 1] : memref<?x1x20xf32> to memref<?x1x8xf32, strided<[20, 20, 1], offset: 8>>
  %zt = memref.alloc(%b) : memref<?x8x1xf32>
  linalg.transpose ins(%s1 : memref<?x1x8xf32, strided<[20, 20, 1], offset: 8>>) outs(%zt : memref<?x8x1xf32>) permutation = [0, 2, 1]
  %s2 = memref.subview %out[0, 0, 16] [%b, 1, 4] [1, 1, 1] : memref<?x1x20xf32> to memref<?x1x4xf32, strided<[20, 20, 1], offset: 16>>
  return %xt, %zt, %s2 : memref<?x8x1xf32>, memref<?x8x1xf32>, memref<?x1x4xf32, strided<[20, 20, 1], offset: 16>>
}

// -----

// A transposed slice that overlaps a slice read in place: left alone.
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @scatter_overlap
// CHECK: gpu.launch async
// CHECK-NOT: memref.store %{{.*}} : memref<?x8x1xf32>
// CHECK: } else {
// CHECK: } else {
// CHECK: linalg.generic
// CHECK: linalg.transpose
// CHECK: return
func.func @scatter_overlap(%x: memref<?x1x64xf32>, %w: memref<20x64xbf16>) -> (memref<?x8x1xf32>, memref<?x1x4xf32, strided<[20, 20, 1], offset: 6>>) {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %b = memref.dim %x, %c0 : memref<?x1x64xf32>
  %out = memref.alloc(%b) : memref<?x1x20xf32>
  linalg.fill ins(%z : f32) outs(%out : memref<?x1x20xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x1x64xf32>, memref<20x64xbf16>) outs(%out : memref<?x1x20xf32>) {
  ^bb0(%a: f32, %b2: bf16, %acc: f32):
    %e = arith.extf %b2 : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %s0 = memref.subview %out[0, 0, 0] [%b, 1, 8] [1, 1, 1] : memref<?x1x20xf32> to memref<?x1x8xf32, strided<[20, 20, 1]>>
  %xt = memref.alloc(%b) : memref<?x8x1xf32>
  linalg.transpose ins(%s0 : memref<?x1x8xf32, strided<[20, 20, 1]>>) outs(%xt : memref<?x8x1xf32>) permutation = [0, 2, 1]
  %s2 = memref.subview %out[0, 0, 6] [%b, 1, 4] [1, 1, 1] : memref<?x1x20xf32> to memref<?x1x4xf32, strided<[20, 20, 1], offset: 6>>
  return %xt, %s2 : memref<?x8x1xf32>, memref<?x1x4xf32, strided<[20, 20, 1], offset: 6>>
}

// -----

// Mamba-2's out_proj: the gated norm over a buffer of its own, written by
// the gate v = y * silu(z) that feeds only the norm. The kernel loads y and
// z (z a slice of a wider row), computes the gate on the loads (exp as ex2),
// and its sum of squares; the gate's and the norm's kernels run on the
// other path only.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @gated_norm_prologue
// CHECK-SAME: %[[Y:[^:]+]]: memref<?x1x1x256xf32>, %[[Z:[^:]+]]: memref<?x1x1x256xf32, strided<[600, 600, 256, 1]>>
// CHECK: memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK: memref.extract_aligned_pointer_as_index %[[Z]]
// CHECK: scf.if
// CHECK: gpu.launch async
// CHECK: vector.load %[[Y]]
// CHECK: vector.load %[[Z]]
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK-NOT: math.exp
// CHECK: llvm.call_intrinsic "llvm.nvvm.rsqrt.approx.ftz.f"
// CHECK: } else {
// CHECK: } else {
// CHECK-NEXT: linalg.generic
// CHECK: math.exp
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
func.func @gated_norm_prologue(%y: memref<?x1x1x256xf32>, %z: memref<?x1x1x256xf32, strided<[600, 600, 256, 1]>>, %nw: memref<256xf32>, %wout: memref<6x256xbf16>) -> memref<?x1x6xf32> {
  %c0 = arith.constant 0 : index
  %z0 = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %inv = arith.constant 3.906250e-03 : f32
  %eps = arith.constant 1.0e-05 : f32
  %b = memref.dim %y, %c0 : memref<?x1x1x256xf32>
  %v = memref.alloc(%b) : memref<?x1x1x256xf32>
  linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %z : memref<?x1x1x256xf32>, memref<?x1x1x256xf32, strided<[600, 600, 256, 1]>>) outs(%v : memref<?x1x1x256xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %ng = arith.negf %g : f32
    %e = math.exp %ng : f32
    %d = arith.addf %one, %e : f32
    %s = arith.divf %g, %d : f32
    %m = arith.mulf %a, %s : f32
    linalg.yield %m : f32
  }
  %sums = memref.alloc(%b) : memref<?x1x1xf32>
  linalg.fill ins(%z0 : f32) outs(%sums : memref<?x1x1xf32>)
  linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v : memref<?x1x1x256xf32>) outs(%sums : memref<?x1x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  %w2 = memref.expand_shape %nw [[0, 1]] output_shape [1, 256] : memref<256xf32> into memref<1x256xf32>
  %n = memref.alloc(%b) : memref<?x1x1x256xf32>
  linalg.generic {indexing_maps = [#id4, #row, #col, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v, %sums, %w2 : memref<?x1x1x256xf32>, memref<?x1x1xf32>, memref<1x256xf32>) outs(%n : memref<?x1x1x256xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %o: f32):
    %mean = arith.mulf %s, %inv : f32
    %t = arith.addf %mean, %eps : f32
    %r = math.rsqrt %t : f32
    %nn = arith.mulf %a, %r : f32
    %m = arith.mulf %nn, %g : f32
    linalg.yield %m : f32
  }
  %x = memref.collapse_shape %n [[0], [1], [2, 3]] : memref<?x1x1x256xf32> into memref<?x1x256xf32>
  %out = memref.alloc(%b) : memref<?x1x6xf32>
  linalg.fill ins(%z0 : f32) outs(%out : memref<?x1x6xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %wout : memref<?x1x256xf32>, memref<6x256xbf16>) outs(%out : memref<?x1x6xf32>) {
  ^bb0(%a: f32, %b2: bf16, %acc: f32):
    %e = arith.extf %b2 : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %out : memref<?x1x6xf32>
}
