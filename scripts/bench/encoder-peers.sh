#!/usr/bin/env bash
# The encoder engine against its peers on the GPU host, in one run (BENCHMARKS.md, Encoder engine,
# peers): the engine dense, HP 50% and HP 90% at B in {1, 32} x L in {64, 128} (GPU time and
# run() wall time), beside onnxruntime-web's WebGPU EP (Dawn in Node) when its wasm files are in
# .gpu/; the engine's GPU time per op kind (--profile); its dev-split logits at 0/50/90% (compared
# with onnxruntime here: `npx hp-lab encoder --compare-ort --engine-logits OUT/engine-logits.json
# --no-latency --sparsity 0,0.5,0.9`); the dense kernel's register tiles on TinyBERT's four linear
# shapes at 4096 tokens and the whole forward with each tile forced (the data behind the tile
# rule), the HP kernel's variants on the same shapes at 90% (and forced in the forward); `bench
# verify` (every kernel variant against the CPU reference, the 8x8 tiles included, which software
# adapters never compile); torch eager and torch.compile + CUDA graphs at fp32/TF32/bf16
# (encoder-torch-peers.py).
# The engine's latency rows run first and alone; torch then compiles on cores 4+ while the other
# engine steps run on cores 0-3, and times alone on the GPU at the end. Every step has its own
# time limit within BUDGET seconds (default 190) so the call ends on time with what it has.
# Run from the project root with .gpu/ holding the bundled CLI (hp-lab.mjs), the runtime from
# /work/shared/gpu/bundle.sh and, optionally, ORT's WebGPU wasm files as ort.tar.xz (made by
# `tar -C DIR -cf - ort | xz` with ort/ holding ort-wasm-simd-threaded.asyncify.{mjs,wasm}):
#   source .gpu/prelude.sh; bash scripts/bench/encoder-peers.sh OUTDIR
# Everything ends up in OUTDIR/all.tgz (the device returns few files), plus summary.txt.
# A smoke test of the script on a software adapter: BATCHES=1,2 SEQS=8 TOKENS=64 FORCED="--batch 2
# --seq 8" LIMIT="--limit 4" VERIFY=--quick SLOW=20 BUDGET=3000 bash scripts/bench/encoder-peers.sh /tmp/peers
# (SLOW multiplies every step's limit).
set -uo pipefail
out=${1:-bench-out}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
budget=${BUDGET:-190}
batches=${BATCHES:-1,32}
seqs=${SEQS:-64,128}
tokens=${TOKENS:-4096}
read -r -a forced <<< "${FORCED:---batch 32 --seq 128}"
read -r -a limit <<< "${LIMIT:-}"
read -r -a verify <<< "${VERIFY:-}"
t0=$(date +%s)
if [ ! -f .gpu/ort/ort-wasm-simd-threaded.asyncify.wasm ] && [ -f .gpu/ort.tar.xz ]; then
  python3 -c "import lzma,tarfile; tarfile.open(fileobj=lzma.open('.gpu/ort.tar.xz')).extractall('.gpu')"
fi
ort=()
[ -f .gpu/ort/ort-wasm-simd-threaded.asyncify.wasm ] && ort=(--compare-ort-webgpu)
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
log() { echo "$*" | tee -a "$out/summary.txt"; }
# step NAME LIMIT_S ARGS...: one hp-lab command on cores 0-3, JSON to NAME.json, progress to
# NAME.log, within both its own limit and what is left of the budget.
step() {
  local name=$1 limit=$(($2 * ${SLOW:-1}))
  shift 2
  local left=$((budget - ($(date +%s) - t0)))
  if [ "$left" -lt 5 ]; then
    log "$name: skipped (budget spent)"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local s
  s=$(date +%s)
  pin 0-3 timeout "$limit" node .gpu/hp-lab.mjs "$@" > "$out/$name.json" 2> "$out/$name.log"
  log "$name: rc=$? $(($(date +%s) - s)) s (limit $limit)"
}
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv; nproc; } > "$out/machine.txt" 2>&1
log "ort-webgpu: ${ort[*]:-not carried (no .gpu/ort.tar.xz)}"
rm -f "$out/engine-done"

# 1. The engine alone: dense, HP 50% and HP 90% at every shape (then beside ORT when carried).
step latency 70 encoder --no-accuracy --sparsity 0.5,0.9 --batch "$batches" --seq "$seqs" \
  --reps 30 --warmup 3 "${ort[@]}"

# 2. torch compiles on the other cores meanwhile; it times once the engine is done.
TORCHINDUCTOR_COMPILE_THREADS=8 PYTHONUNBUFFERED=1 pin 4-15 timeout "${TORCH_T:-175}" \
  python3 "$here/encoder-torch-peers.py" --batch 1,32 --seq 128 --reps 100 --warmup 10 \
  --wait-for "$out/engine-done" --wait-max-s 170 --out "$out/torch-peers.json" \
  > "$out/torch-peers.log" 2>&1 &
torch=$!

# 3. Where the time goes, per op kind.
step profile 50 encoder --no-accuracy --no-latency --sparsity 0.9 --batch "$batches" --seq "$seqs" \
  --reps 10 --warmup 1 --profile
# 4. Exactness: dev-split logits at 0/50/90%.
step logits 40 encoder --no-latency --sparsity 0,0.5,0.9 --save-logits "$out/engine-logits.json" "${limit[@]}"
# 5. The dense kernel's tiles and the HP kernel's variants on TinyBERT's shapes at 4096 tokens.
for kn in "312 936" "312 1200" "312 312" "1200 312"; do
  set -- $kn
  step "matmul-$1-$2" 15 bench matmul --m "$tokens" --k "$1" --n "$2" --tile all --reps 20
  step "hp90-$1-$2" 15 bench hp --m "$tokens" --k "$1" --n "$2" --sparsity 0.9 --variant all --reps 20
done
# 6. The whole forward at B=32 L=128 with each dense tile forced on every dense linear.
for v in 64x64 32x64 64x128 64x64/8x8 32x64/8x8; do
  step "forced-${v//\//-}" 25 encoder --no-accuracy --sparsity 0.9 "${forced[@]}" --reps 20 --warmup 2 --profile \
    --dense-variant "$v"
done
# 7. Every kernel variant against the CPU reference.
step verify 40 bench verify "${verify[@]}"
# 8. The same with each HP variant forced on every HP linear.
for v in wide mid tall narrow; do
  step "forced-hp-$v" 20 encoder --no-accuracy --sparsity 0.9 "${forced[@]}" --reps 20 --warmup 2 --hp-variant "$v"
done
touch "$out/engine-done"
wait $torch
log "torch: rc=$? (total $(($(date +%s) - t0)) s)"
tar -C "$out" -czf "$out.tgz" . && mv "$out.tgz" "$out/all.tgz"
