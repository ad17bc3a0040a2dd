#!/usr/bin/env bash
# The encoder engine against its peers on the GPU host, in one run (BENCHMARKS.md, Encoder engine,
# peers): engine dense and HP 90% beside onnxruntime-web's WebGPU EP (Dawn in Node) on the same
# ONNX at B in {1, 32} x L in {64, 128}; the engine's GPU time per op kind (--profile); the
# engine's dev-split logits at 0/50/90% (compared with onnxruntime on the dev machine:
# `npx hp-lab encoder --compare-ort --engine-logits OUT/engine-logits-fuse-on.json --no-latency
# --sparsity 0,0.5,0.9`); torch eager and torch.compile + CUDA graphs at fp32/TF32/bf16
# (encoder-torch-peers.py). The engine with its output linears fused with residual + LayerNorm
# (--fuse-ln on) and without. torch compiles on cores 4+ while the engine runs on cores 0-3 and is
# timed alone on the GPU afterwards.
# Run from the project root with .gpu/ holding the bundled CLI (hp-lab.mjs), the runtime from
# /work/shared/gpu/bundle.sh, and ORT's WebGPU wasm files as ort.tar.xz (made by
# `tar -C DIR -cf - ort | xz` with ort/ holding ort-wasm-simd-threaded.asyncify.{mjs,wasm}):
#   source .gpu/prelude.sh; bash scripts/bench/encoder-peers.sh OUTDIR
set -uo pipefail
out=${1:-bench-out}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f .gpu/ort/ort-wasm-simd-threaded.asyncify.wasm ] && [ -f .gpu/ort.tar.xz ]; then
  python3 -c "import lzma,tarfile; tarfile.open(fileobj=lzma.open('.gpu/ort.tar.xz')).extractall('.gpu')"
fi
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
cli() { local t=$1; shift; pin 0-3 timeout "$t" node .gpu/hp-lab.mjs "$@"; }
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv; nproc; } > "$out/machine.txt" 2>&1
rm -f "$out/engine-done"
TORCHINDUCTOR_COMPILE_THREADS=8 PYTHONUNBUFFERED=1 pin 4-15 timeout "${TORCH_T:-185}" \
  python3 "$here/encoder-torch-peers.py" --batch 32 --seq 128 --reps 100 --warmup 10 \
  --wait-for "$out/engine-done" --out "$out/torch-peers.json" \
  > "$out/torch-peers.log" 2>&1 &
torch=$!
common=(--no-accuracy --no-latency --sparsity 0.9 --batch 1,32 --seq 64,128)
# Engine latency first (no ORT in the process), then the same engines beside ORT's WebGPU EP.
cli 120 encoder --no-accuracy --sparsity 0.9 --batch 1,32 --seq 64,128 --reps 30 --warmup 3 --compare-ort-webgpu \
  > "$out/ort-webgpu.json" 2> "$out/ort-webgpu.log"
echo "ort-webgpu rc=$?"
# The profile with the output linears fused with residual + LayerNorm, and without.
for fuse in on off; do
  cli 150 encoder "${common[@]}" --reps 10 --warmup 1 --fuse-ln $fuse --profile \
    > "$out/profile-fuse-$fuse.json" 2> "$out/profile-fuse-$fuse.log"
  echo "profile fuse-ln $fuse rc=$?"
done
for fuse in on off; do
  cli 60 encoder --no-latency --sparsity 0,0.5,0.9 --fuse-ln $fuse --save-logits "$out/engine-logits-fuse-$fuse.json" \
    > "$out/accuracy-fuse-$fuse.json" 2>&1
  echo "logits fuse-ln $fuse rc=$?"
done
touch "$out/engine-done"
wait $torch
echo "torch rc=$?"
# One file back (the device tool returns a few files only).
tar -C "$out" -czf "$out.tgz" . && mv "$out.tgz" "$out/all.tgz"
