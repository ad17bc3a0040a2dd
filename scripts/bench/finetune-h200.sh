#!/bin/bash
# Issue 14 on a GPU host (the device tool's H200; see BENCHMARKS.md "Fine-tuning on the GPU"):
# hp-lab finetune HP 32x32 at 80% and 90%. First one short run alone (HP 90%, one epoch over the
# 3,000 train sentences, L = 64, default recipe) with --profile (time per kernel kind), then a grid
# of recipes side by side on the GPU, each trained model's dev and test accuracy through the WGSL
# engine on the host. Every run starts from the lsq-dense reconstruction made off the host
# (`hp-lab prune --pattern hp --tile 32x32 --sparsity S --recover lsq-dense --hpw s.hpw`, then
# `hp-lab hpw s.hpw --value-type f16 --out start-S.hpw`): --start instead of reconstructing on the
# host. Carried in a git-ignored folder of the checkout (.dev-14): start-0.8.hpw.xz, start-0.9.hpw.xz,
# reviews.txt.xz (the 1,500 full Pang & Lee reviews, one per line, from the corpus
# scripts/data/fetch.sh downloads) and this file as run.sh; with .gpu (the runtime, and cli-14.mjs.xz
# from /work/gpu-pack.sh). Run from the checkout root: bash .dev-14/run.sh. RUNS picks the grid's
# runs by name (default: all below); TRAIN_LIMIT bounds each run's training (s, --time-limit); TAG
# names the carried folder and CLI (default 14: .dev-14, cli-14.mjs.xz); PROFILE=0 skips step 1.
# Results in $OUT: profile.json, runs.json (each run's report + dev accuracy), test.json (test
# accuracy: read only for the runs chosen on dev), logs.txt, and the trained ONNX (xz) of the
# review runs and of the best page-recipe run per sparsity by dev (the tool returns 8 files).
set -u
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/ft
source .gpu/prelude.sh
TAG=${TAG:-14}
bash .gpu/unpack-cli.sh $TAG
unxz() { python3 -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2"; }
unxz .dev-$TAG/reviews.txt.xz /tmp/ft/reviews.txt
for sp in 0.8 0.9; do [ -f .dev-$TAG/start-$sp.hpw.xz ] && unxz .dev-$TAG/start-$sp.hpw.xz /tmp/ft/start-$sp.hpw; done
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > /tmp/ft/gpu.txt 2>&1
cli=".gpu/hp-lab.mjs"
T0=$(date +%s)

# 1. Alone: one epoch of the default recipe at HP 90% (logits at T = 2 + hidden states, batch 32),
# then the profile of one step (GPU time per kernel kind, and each dispatch awaited alone).
if [ "${PROFILE:-1}" != 0 ]; then
  node $cli finetune --pattern hp --tile 32x32 --sparsity 0.9 --start /tmp/ft/start-0.9.hpw --limit 3000 \
    --holdout 0 --epochs 1 --no-eval --profile --report "$OUT/profile.json" > /dev/null 2> /tmp/ft/profile.log
  echo "profile rc=$? wall $(( $(date +%s) - T0 )) s" >> /tmp/ft/logs.txt
fi

# 2. The grid, all at once on the GPU. Review recipe (CLI): batch 64, the train split + all 47,977
# review sentences (distillation only), no held-out judge. Page recipe: the train split only,
# batch 32 (the page's default), no held-out judge.
review="--batch 64 --unlabelled /tmp/ft/reviews.txt --holdout 0"
page="--batch 32 --holdout 0"
run() { # name sparsity args...
  local name=$1 sp=$2; shift 2
  case ",${RUNS:-all}," in ,all,|*,$name,*) ;; *) return ;; esac
  ( s=$(date +%s)
    node $cli finetune --pattern hp --tile 32x32 --max-length 64 --no-eval --sparsity $sp \
      --start /tmp/ft/start-$sp.hpw --time-limit ${TRAIN_LIMIT:-200} "$@" \
      --out /tmp/ft/$name.onnx --report /tmp/ft/$name.json > /dev/null 2> /tmp/ft/$name.log
    echo "$name rc=$? wall $(( $(date +%s) - s )) s" >> /tmp/ft/$name.log
    [ -f /tmp/ft/$name.onnx ] || exit 0
    # Accuracy through the WGSL engine (the trained ONNX run dense: its logits match onnxruntime's
    # to ~1e-6); test goes to its own file, read only for the runs chosen on dev.
    node $cli encoder --model /tmp/ft/$name.onnx --sparsity 0 --no-latency > /tmp/ft/$name.dev 2> /dev/null
    node $cli encoder --model /tmp/ft/$name.onnx --sparsity 0 --no-latency --data public/data/test.jsonl \
      > /tmp/ft/$name.test 2> /dev/null ) &
}
run r90-e2-s1 0.9 $review --epochs 2 --lr 2e-4 --seed 1
run r90-e2-s2 0.9 $review --epochs 2 --lr 2e-4 --seed 2
# Session 4, second half: the review recipe at HP 80% (RUNS=r80-e2-s1,r80-e2-s2).
run r80-e2-s1 0.8 $review --epochs 2 --lr 2e-4 --seed 1
run r80-e2-s2 0.8 $review --epochs 2 --lr 2e-4 --seed 2
run p90-lr1 0.9 $page --epochs 5 --lr 1e-4
run p90-lr2 0.9 $page --epochs 5 --lr 2e-4
run p90-lr2-wu 0.9 $page --epochs 5 --lr 2e-4 --warmup 0.1
run p80-lr1 0.8 $page --epochs 5 --lr 1e-4
run p80-lr2 0.8 $page --epochs 5 --lr 2e-4
wait
echo "grid done $(( $(date +%s) - T0 )) s after the start" >> /tmp/ft/logs.txt

# 3. Collect; keep the ONNX of the review runs and of the best page run per sparsity (dev).
python3 - <<'PY'
import json, glob, os, shutil
out = os.environ.get('OUT', '/tmp/out')
acc = lambda f: json.load(open(f))['accuracy'][0]['engine']['accuracy']
runs, test = {}, {}
for f in sorted(glob.glob('/tmp/ft/*.json')):
    k = os.path.basename(f)[:-5]
    runs[k] = json.load(open(f))
    for split, d in (('dev', runs), ('test', test)):
        try:
            v = acc(f'/tmp/ft/{k}.{split}')
        except Exception as e:
            v = f'none: {e}'
        if split == 'dev':
            runs[k]['engine_dev'] = v
        else:
            test[k] = v
json.dump(runs, open(f'{out}/runs.json', 'w'), indent=1)
json.dump(test, open(f'{out}/test.json', 'w'), indent=1)
keep = [k for k in runs if k.startswith(('r90', 'r80'))]
for sp in ('p90', 'p80'):
    page = [k for k in runs if k.startswith(sp) and isinstance(runs[k]['engine_dev'], float)]
    if page:
        keep.append(max(page, key=lambda k: runs[k]['engine_dev']))
open('/tmp/ft/keep.txt', 'w').write('\n'.join(keep) + '\n')
for k, v in runs.items():
    keys = ('engine_dev', 'epochs_run', 'time_limited', 'epoch_ms', 'teacher_ms', 'steps', 'tokens_per_s')
    print(k, {x: v.get(x) for x in keys}, 'losses', v['losses'])
PY
for k in $(cat /tmp/ft/keep.txt); do xz -6 -T4 -c /tmp/ft/$k.onnx > "$OUT/$k.onnx.xz" & done; wait
cat /tmp/ft/gpu.txt /tmp/ft/logs.txt > "$OUT/logs.txt"
cat /tmp/ft/*.log | grep -v "finetune: epoch" >> "$OUT/logs.txt"
echo "all done $(( $(date +%s) - T0 )) s" | tee -a "$OUT/logs.txt"; ls -la "$OUT"
