# The models of bench/models/gpu_check.sh and gpu_bench.sh: name ->
# ssmc-make-checkpoint arguments (without --dtype and --out). Sourced by
# build_gpu_carry.sh here and by gpu_check.sh / gpu_bench.sh on the device
# (gpu_check.sh checks the first four; gpu_bench.sh times the 130M and
# 2.7B/2.8B shapes in bf16).
declare -A shapes=(
  [tiny-mamba]="--type mamba --d-model 32 --n-layer 2 --vocab 64 --d-state 8 --seed 1"
  [tiny-mamba2]="--type mamba2 --d-model 64 --n-layer 2 --vocab 64 --d-state 32 --head-dim 16 --chunk-size 16 --n-groups 2 --seed 2"
  [mamba-130m]="--type mamba --d-model 768 --n-layer 24 --vocab 50280 --d-state 16 --seed 1"
  [mamba2-130m]="--type mamba2 --d-model 768 --n-layer 24 --vocab 50280 --d-state 128 --head-dim 64 --chunk-size 256 --seed 1"
  [mamba-2.8b]="--type mamba --d-model 2560 --n-layer 64 --vocab 50280 --d-state 16 --seed 1"
  [mamba2-2.7b]="--type mamba2 --d-model 2560 --n-layer 64 --vocab 50280 --d-state 128 --head-dim 64 --chunk-size 256 --seed 1"
)
