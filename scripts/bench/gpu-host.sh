#!/usr/bin/env bash
# The kernels' GPU-host benchmark in one command (BENCHMARKS.md, Kernels). Run on the host from
# the project root after `bash /work/shared/gpu/bundle.sh && node scripts/build-cli.mjs
# .gpu/hp-lab.mjs`, with .gpu/ copied along:  bash scripts/bench/gpu-host.sh OUTDIR
# PARTS="verify wgsl encoder f16 torch" (the default) picks what runs.
set -uo pipefail
PARTS=${PARTS:-verify wgsl encoder f16 torch}
part() { [[ " $PARTS " == *" $1 "* ]]; }
out=${1:-bench-out}
mkdir -p "$out"
source .gpu/prelude.sh
cli() { timeout "${T:-60}" node .gpu/hp-lab.mjs "$@"; }
{
  nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv
  cli gpu-info
} > "$out/adapter.txt" 2>&1
part verify && { T=90 cli bench verify > "$out/verify.json" 2>&1; echo "verify rc=$?"; }
r() { echo "## $*"; cli bench "$@" 2>&1; }
part wgsl && {
  r matmul --m 256 --k 256 --n 256 --reps 20 --tile all
  r matmul --m 4096 --k 4096 --n 4096 --reps 20 --tile all
  r hp --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 32x32 --split 0.5 --reps 30 --variant all
  r hp --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 32x32 --split 1 --reps 30 --variant all
  r hp --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 16x16 --reps 30
  for shape in "312 1200" "1200 312" "312 312"; do
    set -- $shape
    r matmul --m 4096 --k $1 --n $2 --reps 50 --tile all
    r hp --m 4096 --k $1 --n $2 --sparsity 0.9 --tile 32x32 --reps 50 --variant all
    # Few tokens: every variant, to find where the subgroup variant stops paying.
    for M in 1 4 8 16 32 64 128; do
      r matmul --m $M --k $1 --n $2 --reps 30 --tile all
      r hp --m $M --k $1 --n $2 --sparsity 0.9 --tile 32x32 --reps 30 --variant all
    done
  done
} > "$out/wgsl.log" 2>&1 && echo "wgsl done"
# The whole encoder with and without the subgroup variants (B x L <= 64 tokens use them).
part encoder && {
  cli encoder --no-accuracy --sparsity 0.9 --batch 1,8,32 --seq 16,32,64,128 --reps 30 --warmup 3
  HP_LAB_GPU_SKIP_FEATURES=subgroups cli encoder --no-accuracy --sparsity 0.9 --batch 1,8 --seq 16,32,64 \
    --reps 30 --warmup 3
} > "$out/encoder.log" 2>&1 && echo "encoder done"
# f16 weights (HP's f16 value type; math stays f32): kernels, then the encoder's latency and its
# logits on the dev split (compared with onnxruntime afterwards, on the dev machine).
part f16 && {
  r matmul --m 4096 --k 4096 --n 4096 --reps 20 --weights f16
  r hp --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 32x32 --reps 30 --weights f16
  for shape in "312 1200" "1200 312" "312 312"; do
    set -- $shape
    for M in 1 8 32 128 4096; do
      r matmul --m $M --k $1 --n $2 --reps 30 --weights f16
      r hp --m $M --k $1 --n $2 --sparsity 0.9 --tile 32x32 --reps 30 --weights f16
    done
  done
  cli encoder --no-accuracy --sparsity 0.9 --batch 1,8,32 --seq 32,128 --reps 30 --warmup 3 --weights f16
  for s in 0 0.9; do T=120 cli encoder --no-latency --sparsity $s --weights f16 \
    --save-logits "$out/engine-logits-f16-$s.json" > /dev/null; done
} > "$out/f16.log" 2>&1 && echo "f16 done"
part torch && { PYTHONUNBUFFERED=1 timeout 300 python3 scripts/bench/torch_matmul.py > "$out/torch.jsonl" \
  2> "$out/torch.err"; echo "torch rc=$?"; }
part torch && { PYTHONUNBUFFERED=1 timeout 200 python3 scripts/bench/encoder-torch.py --reps 50 --warmup 5 \
  --seq 16,32,64,128 --out "$out/encoder-torch.json" > "$out/encoder-torch.log" 2>&1; echo "encoder-torch rc=$?"; }
