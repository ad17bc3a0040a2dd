#!/usr/bin/env bash
# The int8 kernels' GPU-host benchmark in one command (BENCHMARKS.md, int8): the int8 variants of
# the dense 4096³ and FFN-in (4096 x 312 -> 1200) cases and of HP 90 % (32x32) at 4096² and the
# FFN-in shape (each verified bit for bit, then timed), and the int8 encoder (B = 32, L = 128, HP
# 90 %), with Dawn's robustness on and off, and torch's int8/fp32/TF32/bf16 peers. Run on the
# host from the project root after `node scripts/build-cli.mjs .gpu/hp-lab.mjs`, with .gpu/
# (bundle.sh) copied along:  bash scripts/bench/int8-h200.sh OUTDIR
# Environment: DENSE / HPV = the variants (comma lists; default all), ENC = encoder runs, each
# 'dense-variant/hp-variant' or 'auto' (space-separated; default auto), PROFILE=1 adds the
# encoder's per-op GPU times, TORCH=0 skips torch.
set -u
out=${1:-bench-out}
mkdir -p "$out"
source .gpu/prelude.sh
export HP_LAB_UNSAFE_APIS=1
cli() { local t=$1; shift; echo "## $*"; timeout "$t" node .gpu/hp-lab.mjs "$@" 2>> "$out/stderr.log"; }
step() { echo "$1 rc=$2 t=${SECONDS}s" | tee -a "$out/run.log"; }
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv; cli 20 gpu-info; } \
  > "$out/adapter.txt" 2>&1; step adapter $?
if [ "${TORCH:-1}" != 0 ]; then
  PYTHONUNBUFFERED=1 timeout 45 python3 scripts/bench/torch_int8.py > "$out/torch-int8.jsonl" 2>&1; step torch $?
fi
for mode in 0 1; do
  export HP_LAB_DISABLE_ROBUSTNESS=$mode
  {
    cli 70 bench matmul --quant int8 --m 4096 --k 4096 --n 4096 --tile "${DENSE:-all}" --reps 10
    cli 45 bench hp --quant int8 --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 32x32 --variant "${HPV:-all}" \
      --reps 20
    cli 25 bench matmul --quant int8 --m 4096 --k 312 --n 1200 --tile "${DENSE:-all}" --reps 20
    cli 25 bench hp --quant int8 --m 4096 --k 312 --n 1200 --sparsity 0.9 --tile 32x32 --variant "${HPV:-all}" --reps 20
  } > "$out/kernels-norobust$mode.log"; step "kernels norobust=$mode" $?
  for run in ${ENC:-auto}; do
    flags=()
    [ "$run" = auto ] || flags=(--dense-variant "${run%/*}" --hp-variant "${run#*/}")
    cli 60 encoder --quant int8 --no-accuracy --sparsity 0.9 --batch 32 --seq 128 --reps 30 --warmup 3 "${flags[@]}" \
      ${PROFILE:+--profile} \
      > "$out/encoder-${run//\//_}-norobust$mode.log"; step "encoder $run norobust=$mode" $?
  done
done
