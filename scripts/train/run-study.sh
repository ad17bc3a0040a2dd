#!/bin/sh
# The retraining study's one command on the GPU host (device tool), from the repository root.
# Needs, in a carried folder DIR (default .dev-12): the GPU bundle (runtime.tar.xz, prelude.sh,
# debs/ from ../shared/gpu/bundle.sh), hp-lab.mjs (node scripts/build-cli.mjs DIR/hp-lab.mjs) and
# study/ with train/dev/test.jsonl and reviews.jsonl.gz (scripts/data/fetch.sh writes them to
# .data/train-carry). The CLI decides every mask (`hp-lab prune` on the current weights).
# Writes to $OUT: retrain.log (one JSON line per run), study/retrain-results.json and the .hpw files.
# The study's second run (recovered, then retrained; the shipped files), same host, same folder:
#   sh scripts/train/run-study.sh --methods recovered --sparsities 0.8,0.9 --epochs 3 --reviews 9000 \
#     --workers 18 --budget 170 --export recovered:hp,recovered:tile,recovered:unstructured
# (167 s on one H200; results in scripts/train/results-retraining-recovered.json; study_report.py
# reads both files as one study).
set -eu
DIR=${DIR:-.dev-12}
OUT=${OUT:-/tmp/hp-lab-study}
ln -sfn "$DIR" .gpu
. .gpu/prelude.sh
mkdir -p "$OUT/study"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
export PYTHONUNBUFFERED=1 PYTHONHASHSEED=0
python3 scripts/train/retrain.py --cli .gpu/hp-lab.mjs --data "$DIR/study" --out "$OUT/study" "$@" 2>&1 \
  | tee "$OUT/retrain.log"
