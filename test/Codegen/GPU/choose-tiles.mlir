// RUN: ssmc-opt --ssm-gpu-choose-tiles %s | FileCheck %s
// RUN: ssmc-opt --ssm-gpu-choose-tiles="channels=128 time-chunk=16 segments=1 poly-exps=4" %s | FileCheck %s --check-prefix=OVERRIDE
// RUN: not ssmc-opt --ssm-gpu-choose-tiles="chip=gfx90a" %s 2>&1 | FileCheck %s --check-prefix=BADCHIP

// The heuristic: 64 channels (threads) per block, 32 steps per staged chunk,
// sequence segments chosen at run time from the shapes (0). Options override
// it; a tile already on the op is kept.
// CHECK-LABEL: func.func @scan
// CHECK:         ssm.selective_scan {{.*}} {ssm.gpu_tile = {channels = 64 : i64, poly_exps = 0 : i64, segments = 0 : i64, time_chunk = 32 : i64}}
// CHECK:         ssm.selective_scan {{.*}} {ssm.gpu_tile = {channels = 32 : i64, segments = 4 : i64, time_chunk = 64 : i64}}
// OVERRIDE:      {ssm.gpu_tile = {channels = 128 : i64, poly_exps = 4 : i64, segments = 1 : i64, time_chunk = 16 : i64}}
// OVERRIDE:      {ssm.gpu_tile = {channels = 32 : i64, segments = 4 : i64, time_chunk = 64 : i64}}
// BADCHIP:       error: unknown GPU chip 'gfx90a'; expected sm_XX, e.g. sm_90
func.func @scan(%u: tensor<?x?x?xf32>, %dt: tensor<?x?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x1x16x?xf32>, %C: tensor<?x1x16x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>) -> tensor<?x?x?xf32>
  %y2 = ssm.selective_scan %u, %dt, %A, %B, %C
      {ssm.gpu_tile = {channels = 32 : i64, segments = 4 : i64, time_chunk = 64 : i64}}
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>) -> tensor<?x?x?xf32>
  return %y, %y2 : tensor<?x?x?xf32>, tensor<?x?x?xf32>
}
