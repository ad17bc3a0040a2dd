#!/usr/bin/env bash
# The encoder engine against its peers on the GPU host, in one run (BENCHMARKS.md, Encoder engine,
# peers). In order:
#  1. each attention variant (hp-lab encoder --attention-variant V --profile, B=32 L=128, dense and
#     HP 90%): GPU time per op kind; the variant with the least attention time is taken below
#     (BEST=V takes V instead, e.g. auto);
#     optionally (LN_VARIANTS) each LayerNorm kernel, the least LayerNorm time taken below, and
#     (HP_VARIANTS, KERNELS=1) forced HP kernel variants and every linear kernel variant on
#     TinyBERT's shapes at 4096 tokens;
#  2. the engine dense and HP 90% at B in {1, 32} x L in {64, 128} (GPU time and run() wall time),
#     then the same beside onnxruntime-web's WebGPU EP (Dawn in Node) on the same ONNX and tokens;
#  3. the engine's GPU time per op kind (--profile) at every shape;
#  4. its dev-split logits at 0/50/90% (compared with onnxruntime here: `npx hp-lab encoder
#     --compare-ort --engine-logits OUT/engine-logits.json --no-latency --sparsity 0,0.5,0.9`), and
#     with each attention variant of LOGIT_VARIANTS (engine-logits-V.json);
#  5. torch eager and torch.compile + CUDA graphs at fp32/TF32/bf16 (encoder-torch-peers.py): it
#     compiles on cores 4+ meanwhile and times alone on the GPU once the engine is done;
#  6. `bench verify` (every linear kernel variant against the CPU reference, the 8x8 tiles that
#     software adapters never compile), with what is left of the budget.
# Every engine step runs after SPIN ms of dense forwards (an idle GPU's clock rises only under
# load) and within its own limit and what is left of BUDGET seconds (default 230).
# Run from the project root with the bundled CLI at .gpu/hp-lab.mjs and the runtime sourced; ORT's
# asyncify wasm files come from ORT_TAR (default .gpu/ort.tar.xz; made by `tar -C DIR -cf - ort |
# xz -9e` with ort/ holding ort-wasm-simd-threaded.asyncify.{mjs,wasm}), unpacked to .gpu/ort/:
#   source .gpu/prelude.sh; ORT_TAR=.dev-19/ort.tar.xz bash scripts/bench/encoder-peers.sh OUTDIR
# Everything ends up in OUTDIR/all.tgz (the device returns few files), plus summary.txt.
# A smoke test on a software adapter: BATCHES=1,2 SEQS=8 ATTN_SHAPE="--batch 2 --seq 8" LIMIT="--limit 4"
# VERIFY=--quick SLOW=20 BUDGET=3000 SPIN=0 NO_TORCH=1 bash scripts/bench/encoder-peers.sh /tmp/peers
# (SLOW multiplies every step's limit).
set -uo pipefail
out=${1:-bench-out}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
budget=${BUDGET:-230}
batches=${BATCHES:-1,32}
seqs=${SEQS:-64,128}
spin=${SPIN:-1500}
variants=${VARIANTS:-q1c64 q1c8 q1c16 q2c8}
read -r -a attn_shape <<< "${ATTN_SHAPE:---batch 32 --seq 128}"
read -r -a limit <<< "${LIMIT:-}"
read -r -a verify <<< "${VERIFY:-}"
ort_tar=${ORT_TAR:-.gpu/ort.tar.xz}
t0=$(date +%s)
if [ ! -f .gpu/ort/ort-wasm-simd-threaded.asyncify.wasm ] && [ -f "$ort_tar" ]; then
  python3 -c "import lzma,sys,tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall('.gpu')" "$ort_tar"
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
log "ort-webgpu: ${ort[*]:-not carried (no $ort_tar)}"
rm -f "$out/engine-done"

# torch compiles on the other cores meanwhile; it times once the engine is done.
torch=
if [ -z "${NO_TORCH:-}" ]; then
  TORCHINDUCTOR_COMPILE_THREADS=8 PYTHONUNBUFFERED=1 pin 4-15 timeout "${TORCH_T:-$((budget - 10))}" \
    python3 "$here/encoder-torch-peers.py" --batch 1,32 --seq 128 --reps 100 --warmup 10 \
    --wait-for "$out/engine-done" --wait-max-s "$((budget - 60))" --out "$out/torch-peers.json" \
    > "$out/torch-peers.log" 2>&1 &
  torch=$!
fi

# 1. Attention variants (VARIANTS), whole forward profiled; the least attention time (dense + HP, summed
#    over ATTN_SHAPE's shapes) wins.
for v in $variants; do
  step "attn-$v" 30 encoder --no-accuracy --no-latency --sparsity 0.9 "${attn_shape[@]}" --reps 10 --warmup 1 \
    --profile --spin-up "$spin" --attention-variant "$v"
done
best=$(python3 - "$out" $variants <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
best = None
for v in names:
    try:
        rows = json.load(open(f'{out}/attn-{v}.json'))['profile']
        ms = sum(r['ops_ms']['attention'] for r in rows)
    except Exception:
        continue
    print(f'{v}: attention dense + hp {ms:.4f} ms', file=sys.stderr)
    if best is None or ms < best[1]:
        best = (v, ms)
print(best[0] if best else names[0])
PY
)
[ -n "${BEST:-}" ] && best=$BEST
log "attention variant taken: $best"
# 1a. LN_VARIANTS (e.g. "tree subgroup"): the residual + LayerNorm kernels, whole forward profiled
#     over ATTN_SHAPE with the attention variant taken; the least LayerNorm time is used below.
ln=()
if [ -n "${LN_VARIANTS:-}" ]; then
  for v in $LN_VARIANTS; do
    step "ln-$v" 30 encoder --no-accuracy --no-latency --sparsity 0.9 "${attn_shape[@]}" --reps 10 --warmup 1 \
      --profile --spin-up "$spin" --attention-variant "$best" --ln-variant "$v"
  done
  best_ln=$(python3 - "$out" $LN_VARIANTS <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
best = None
for v in names:
    try:
        ms = sum(r['ops_ms']['layernorm'] for r in json.load(open(f'{out}/ln-{v}.json'))['profile'])
    except Exception:
        continue
    print(f'{v}: layernorm dense + hp {ms:.4f} ms', file=sys.stderr)
    if best is None or ms < best[1]:
        best = (v, ms)
print(best[0] if best else names[0])
PY
)
  log "layernorm variant taken: $best_ln"
  ln=(--ln-variant "$best_ln")
fi
# 1b. HP kernel variants forced on every HP linear (HP_VARIANTS, e.g. "tall-k32 narrow-k32"), whole
#     forward profiled at B=32 L=128 with the attention variant taken (the automatic choice is in
#     the attention steps above).
for hv in ${HP_VARIANTS:-}; do
  step "hpv-$hv" 30 encoder --no-accuracy --no-latency --sparsity 0.9 --batch 32 --seq 128 --reps 10 --warmup 1 \
    --profile --spin-up "$spin" --attention-variant "$best" --hp-variant "$hv"
done
# 1c. KERNELS=1: every dense tile and HP variant (90 %) on TinyBERT's linears at 4096 tokens.
if [ -n "${KERNELS:-}" ]; then
  for shape in 312,936 312,312 312,1200 1200,312; do
    k=${shape%,*}
    n=${shape#*,}
    step "matmul-$k-$n" 25 bench matmul --m 4096 --k "$k" --n "$n" --tile all --reps 20
    step "hp-$k-$n" 25 bench hp --m 4096 --k "$k" --n "$n" --sparsity 0.9 --variant all --reps 20
  done
fi
# 2. The engine alone at every shape, then beside ORT (its session is created after those rows).
step latency 100 encoder --no-accuracy --sparsity 0.9 --batch "$batches" --seq "$seqs" --reps 30 --warmup 3 \
  --spin-up "$spin" --attention-variant "$best" "${ln[@]}" "${ort[@]}"
# 3. Where the time goes, per op kind, at every shape.
step profile 40 encoder --no-accuracy --no-latency --sparsity 0.9 --batch "$batches" --seq "$seqs" --reps 10 \
  --warmup 1 --profile --spin-up "$spin" --attention-variant "$best" "${ln[@]}"
# 4. Exactness: dev-split logits at 0/50/90%.
step logits 40 encoder --no-latency --sparsity 0,0.5,0.9 --attention-variant "$best" "${ln[@]}" \
  --save-logits "$out/engine-logits.json" "${limit[@]}"
# 4b. LOGIT_VARIANTS: the dev-split logits of each of these attention variants too.
for v in ${LOGIT_VARIANTS:-}; do
  step "logits-$v" 30 encoder --no-latency --sparsity 0,0.5,0.9 --attention-variant "$v" "${ln[@]}" \
    --save-logits "$out/engine-logits-$v.json" "${limit[@]}"
done
touch "$out/engine-done"
if [ -n "$torch" ]; then
  wait "$torch"
  log "torch: rc=$? ($(($(date +%s) - t0)) s)"
fi
# 6. Every linear kernel variant against the CPU reference, if time is left.
step verify 40 bench verify "${verify[@]}"
log "total $(($(date +%s) - t0)) s"
tar -C "$out" -czf "$out.tgz" . && mv "$out.tgz" "$out/all.tgz"
