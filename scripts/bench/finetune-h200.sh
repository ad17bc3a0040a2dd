#!/bin/bash
# Issue 14 on a GPU host (the device tool's H200; see BENCHMARKS.md "Fine-tuning on the GPU"):
# hp-lab finetune HP 32x32 at 80% and 90%, first the epoch time alone (90%, the 3,000 train
# sentences, L = 64, default batch), then recipes side by side on the GPU. Every run starts from
# the lsq-dense reconstruction made off the host (`hp-lab prune --pattern hp --tile 32x32
# --sparsity S --recover lsq-dense --hpw start-S.hpw`, then `hp-lab hpw start-S.hpw --value-type f16`
# to fit the transfer): --start instead of reconstructing on the host (minutes of single-threaded
# JavaScript per run). Carried in a git-ignored folder of the checkout (.dev-14): start-0.8.hpw.xz,
# start-0.9.hpw.xz, reviews.txt.xz (the 1,500 full Pang & Lee reviews, one per line, from the corpus
# scripts/data/fetch.sh downloads) and this file as run.sh; with .gpu (the runtime, and
# cli-14.mjs.xz from /work/gpu-pack.sh). onnxruntime's wasm files do not fit the 64 MiB transfer,
# so the runs use --no-eval and the trained ONNX files come back (xz); their dev accuracy is
# `hp-lab eval --model FILE` off the host. Run from the checkout root: bash .dev-14/run.sh;
# RECIPES picks the runs (default: base,hidden; the second call: RECIPES=hidden1 SKIP_EPOCH_TIME=1).
set -u
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/ft
source .gpu/prelude.sh
bash .gpu/unpack-cli.sh 14
unxz() { python3 -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2"; }
unxz .dev-14/reviews.txt.xz /tmp/ft/reviews.txt
for sp in 0.8 0.9; do unxz .dev-14/start-$sp.hpw.xz /tmp/ft/start-$sp.hpw; done
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$OUT/gpu.txt" 2>&1
ft() { node .gpu/hp-lab.mjs finetune --pattern hp --tile 32x32 --max-length 64 --no-eval "$@"; }

[ "${SKIP_EPOCH_TIME:-}" ] || {
# 1. One epoch over the 3,000 train sentences at HP 90%, alone on the GPU (default batch 32, labels +
# distillation at T = 2; epoch 1 includes compiling the pipelines, epoch 2 does not).
s=$(date +%s)
ft --sparsity 0.9 --start /tmp/ft/start-0.9.hpw --limit 3000 --holdout 0 --epochs 2 --distill 2 --profile \
  --report "$OUT/epoch-time-hp90.json" > /dev/null 2> /tmp/ft/epoch-time.log
echo "epoch-time rc=$? wall $(( $(date +%s) - s )) s" | tee -a "$OUT/finetune-logs.txt"
}

# 2. Recipes, all at once on the GPU; --time-limit bounds training, timeout the whole run.
common="--max-length 64 --batch 64 --epochs 2 --distill 2 --unlabelled /tmp/ft/reviews.txt"
run() { # name sparsity extra...
  local name=$1 sp=$2; shift 2
  ( s=$(date +%s); timeout ${RUN_LIMIT:-185} node .gpu/hp-lab.mjs finetune --pattern hp --tile 32x32 --no-eval \
      --sparsity $sp --start /tmp/ft/start-$sp.hpw $common "$@" \
      --out /tmp/ft/$name.onnx --report /tmp/ft/$name.json > /dev/null 2> /tmp/ft/$name.log
    echo "$name rc=$? wall $(( $(date +%s) - s )) s" >> /tmp/ft/$name.log
    [ -f /tmp/ft/$name.onnx ] || exit 0
    # Dev accuracy on the host through the WGSL engine (the trained ONNX run dense: its logits match
    # onnxruntime's to ~1e-6); onnxruntime-web's figure is taken off the host for the kept files.
    node .gpu/hp-lab.mjs encoder --model /tmp/ft/$name.onnx --sparsity 0 --no-latency > /tmp/ft/$name.dev 2> /dev/null
    xz -6 -T2 -c /tmp/ft/$name.onnx > "$OUT/$name.onnx.xz" ) &
}
T0=$(date +%s)
case ",${RECIPES:-base,hidden}," in *,base,*)
  run base80 0.8 --unlabelled-limit 16000 --lr 5e-5 --time-limit 130
  run base90 0.9 --unlabelled-limit 16000 --lr 2e-4 --time-limit 130 ;; esac
case ",${RECIPES:-base,hidden}," in *,hidden,*)
  run hidden80 0.8 --hidden-mse 1 --lr 5e-5 --time-limit 130
  run hidden90 0.9 --hidden-mse 1 --lr 2e-4 --time-limit 130 ;; esac
# Second call: hidden-state MSE, one epoch over the train split + all review sentences (the learning
# rate reaches 0 at its end), no held-out judge (the last state is the result).
case ",${RECIPES:-base,hidden}," in *,hidden1,*)
  run hidden1-80 0.8 --hidden-mse 1 --lr 1e-4 --epochs 1 --holdout 0 --time-limit 100
  run hidden1-90 0.9 --hidden-mse 1 --lr 2e-4 --epochs 1 --holdout 0 --time-limit 100 ;; esac
wait
echo "recipes done in $(( $(date +%s) - T0 )) s" | tee -a "$OUT/finetune-logs.txt"
python3 - <<'PY'
import json, glob, os
out = {os.path.basename(f)[:-5]: json.load(open(f)) for f in sorted(glob.glob('/tmp/ft/*.json'))}
for k, v in out.items():
    try:
        v['engine_dev'] = json.load(open(f'/tmp/ft/{k}.dev'))['accuracy'][0]['engine']['accuracy']
    except Exception as e:
        v['engine_dev'] = f'none: {e}'
json.dump(out, open(os.environ.get('OUT', '/tmp/out') + '/finetune-runs.json', 'w'), indent=1)
for k, v in out.items():
    keys = ('engine_dev', 'best_epoch', 'epochs_run', 'time_limited', 'epoch_ms', 'teacher_ms', 'steps', 'tokens_per_s')
    held = [(h['epoch'], h['accuracy'], h['loss']) for h in v['held_out']]
    print(k, {x: v.get(x) for x in keys}, 'held', held, 'losses', v['losses'])
PY
cat /tmp/ft/*.log | grep -v "finetune: epoch" >> "$OUT/finetune-logs.txt"
grep -h "rc=" /tmp/ft/*.log; ls -la "$OUT"
