// The examples stay valid: they parse, verify, decompose and evaluate.
// RUN: ssmc-opt %S/../../examples/01-selective-scan/selective_scan.mlir | FileCheck %s --check-prefix=SCAN
// RUN: ssmc eval %S/../../examples/01-selective-scan/selective_scan.mlir --entry scan --random-inputs 1 \
// RUN:   --input-shape 0=1x24x37 --input-shape 1=1x24x37 --input-shape 3=1x2x16x37 \
// RUN:   --input-shape 4=1x2x16x37 --input-shape 6=1x24x37 --output %t.scan_ | FileCheck %s --check-prefix=EVAL
// RUN: ssmc-opt --ssm-decompose-mixers %S/../../examples/02-mamba-block/mamba_block.mlir | FileCheck %s --check-prefix=BLOCK

// SCAN: ssm.selective_scan {{.*}} delta_softplus
// EVAL: output 0: shape (1, 24, 37) f32
// EVAL: output 1: shape (1, 24, 16) f32
// BLOCK-LABEL: func.func @mamba_block
// BLOCK: ssm.selective_scan
// BLOCK-LABEL: func.func @mamba2_block
// BLOCK: ssm.ssd
// BLOCK: ssm.gated_rms_norm
// BLOCK-NOT: ssm.mamba
