#!/usr/bin/env bash
# The int8 kernels' GPU-host benchmark in one command (BENCHMARKS.md, int8): the int8 variants of
# the dense 4096³ and FFN-in (4096 x 312 -> 1200) cases and of HP 90 % (32x32) at 4096² and the
# FFN-in and FFN-out (4096 x 1200 -> 312) shapes (each verified bit for bit, then timed), and
# the int8 encoder (B = 32, L = 128, HP 90 %), with Dawn's robustness on and off, and torch's
# int8/fp32/TF32/bf16 peers. Run on the
# host from the project root after `node scripts/build-cli.mjs .gpu/hp-lab.mjs`, with .gpu/
# (bundle.sh) copied along:  bash scripts/bench/int8-h200.sh OUTDIR
# Environment: MODES = Dawn settings to run everything under, each in its own processes
# (space-separated; default 'on off'): off = HP_LAB_DISABLE_ROBUSTNESS=1, coop / nocoop = the
# toggle vulkan_use_cooperative_matrix_robust_access forced on / off (no predication of
# subgroup-matrix loads from storage buffers where the driver's loads are robust; the H200's
# driver lacks it: Dawn forces it off), range = enable_integer_range_analysis_in_robustness (no
# clamp where an index is provably in bounds), any other name (on, on2, ...) = as a browser
# (robustness on). DENSE / HPV =
# the variants (comma lists; default all), DENSE_<mode> / HPV_<mode> per mode (a '-' skips the
# case), FFN=0 skips the FFN shapes, ENC = encoder runs, each 'dense-variant/hp-variant' or
# 'auto' (space-separated; default auto), ENC_MODES = the modes that run them (default on off),
# PROFILE=1 adds the encoder's per-op GPU times, TORCH=0 skips torch, PEAK=1 adds `bench peak`
# (the tensor-core / dot4 / fma ceilings) in every mode.
set -u
out=${1:-bench-out}
mkdir -p "$out"
source .gpu/prelude.sh
export HP_LAB_UNSAFE_APIS=1
cli() { local t=$1; shift; echo "## $*"; timeout "$t" node .gpu/hp-lab.mjs "$@" 2>> "$out/stderr.log"; }
step() { echo "$1 rc=$2 t=${SECONDS}s" | tee -a "$out/run.log"; }
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv; cli 20 gpu-info; } \
  > "$out/adapter.txt" 2>&1; step adapter $?
idx=0
for mode in ${MODES:-on off}; do
  idx=$((idx + 1))
  unset HP_LAB_DISABLE_ROBUSTNESS HP_LAB_DAWN_ENABLE HP_LAB_DAWN_DISABLE
  case $mode in
    off) export HP_LAB_DISABLE_ROBUSTNESS=1 ;;
    coop) export HP_LAB_DAWN_ENABLE=vulkan_use_cooperative_matrix_robust_access ;;
    nocoop) export HP_LAB_DAWN_DISABLE=vulkan_use_cooperative_matrix_robust_access ;;
    range) export HP_LAB_DAWN_ENABLE=enable_integer_range_analysis_in_robustness ;;
  esac
  dv=DENSE_$mode hv=HPV_$mode
  dense=${!dv:-${DENSE:-all}} hpv=${!hv:-${HPV:-all}}
  {
    if [ "$dense" != - ]; then
      cli 90 bench matmul --quant int8 --m 4096 --k 4096 --n 4096 --tile "$dense" --reps 10
      [ "${FFN:-1}" = 0 ] || cli 30 bench matmul --quant int8 --m 4096 --k 312 --n 1200 --tile "$dense" --reps 20
    fi
    if [ "$hpv" != - ]; then
      cli 60 bench hp --quant int8 --m 4096 --k 4096 --n 4096 --sparsity 0.9 --tile 32x32 --variant "$hpv" --reps 20
      if [ "${FFN:-1}" != 0 ]; then
        cli 30 bench hp --quant int8 --m 4096 --k 312 --n 1200 --sparsity 0.9 --tile 32x32 --variant "$hpv" --reps 20
        cli 30 bench hp --quant int8 --m 4096 --k 1200 --n 312 --sparsity 0.9 --tile 32x32 --variant "$hpv" --reps 20
      fi
    fi
  } > "$out/kernels-$idx-$mode.log"; step "kernels $idx $mode" $?
  if [ "${PEAK:-0}" = 1 ]; then cli 120 bench peak --reps 10 > "$out/peak-$idx-$mode.log"; step "peak $idx $mode" $?; fi
  case " ${ENC_MODES:-on off} " in *" $mode "*) ;; *) continue ;; esac
  for run in ${ENC:-auto}; do
    flags=()
    [ "$run" = auto ] || flags=(--dense-variant "${run%/*}" --hp-variant "${run#*/}")
    cli 60 encoder --quant int8 --no-accuracy --sparsity 0.9 --batch 32 --seq 128 --reps 30 --warmup 3 "${flags[@]}" \
      ${PROFILE:+--profile} \
      > "$out/encoder-${run//\//_}-$idx-$mode.log"; step "encoder $run $idx $mode" $?
  done
done
# torch last: its peers are the same on every run (a short call keeps the kernels).
if [ "${TORCH:-1}" != 0 ]; then
  PYTHONUNBUFFERED=1 timeout 45 python3 scripts/bench/torch_int8.py > "$out/torch-int8.jsonl" 2>&1; step torch $?
fi
