// Issue 7's numerics on the CPU: a 1M-token sequence (2^20) through the
// selective scan (b=1, d=16, n=16) and the SSD (b=1, h=1, p=64, n=128)
// compiled for this CPU stays finite, matches the float64 reference on its
// last 1,000 tokens and in its final state (rel. L2 <= 1e-5), and gives the
// same bytes when run twice. ssmc-long-check holds the inputs and the checks.
// RUN: ssmc compile %s -o %t.ssmpkg
// RUN: ssmc-long-check %t.ssmpkg | FileCheck %s
// CHECK: prefix vs reference: scan {{.*}}, ssd {{.*}} ok
// CHECK: scan b=1 d=16 n=16 l=1048576 finite, tail {{.*}}, state {{.*}}, deterministic: ok
// CHECK: ssd b=1 h=1 p=64 n=128 l=1048576 finite, tail {{.*}}, state {{.*}}, deterministic: ok
// CHECK: long: all ok
// The same at a length that is not a multiple of any chunk or segment.
// RUN: ssmc-long-check %t.ssmpkg --length 4099 | FileCheck %s --check-prefix=ODD
// ODD: scan b=1 d=16 n=16 l=4099 finite, {{.*}}: ok
// ODD: ssd b=1 h=1 p=64 n=128 l=4099 finite, {{.*}}: ok
// ODD: long: all ok

func.func @scan(%u: tensor<?x?x?xf32>, %dt: tensor<?x?x?xf32>,
    %A: tensor<?x16xf32>, %B: tensor<?x?x16x?xf32>, %C: tensor<?x?x16x?xf32>,
    %D: tensor<?xf32>, %z: tensor<?x?x?xf32>, %db: tensor<?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x16xf32>,
         tensor<?x?x16x?xf32>, tensor<?x?x16x?xf32>, tensor<?xf32>,
         tensor<?x?x?xf32>, tensor<?xf32>)
      -> (tensor<?x?x?xf32>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xf32>, tensor<?x?x16xf32>
}

func.func @ssd(%x: tensor<?x?x?x64xf32>, %dt: tensor<?x?x?xf32>, %A: tensor<?xf32>,
    %B: tensor<?x?x?x128xf32>, %C: tensor<?x?x?x128xf32>, %D: tensor<?xf32>,
    %db: tensor<?xf32>)
    -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) dt_bias(%db) dt_softplus
      : (tensor<?x?x?x64xf32>, tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x?x?x128xf32>,
         tensor<?x?x?x128xf32>, tensor<?xf32>, tensor<?xf32>)
      -> (tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>)
  return %y, %h : tensor<?x?x?x64xf32>, tensor<?x?x64x128xf32>
}
