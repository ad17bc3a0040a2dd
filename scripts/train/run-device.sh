#!/bin/sh
# The one command run on the GPU host (via the device tool), from the repository root, with
# .data/train-carry carried (written by scripts/data/fetch.sh and build-tokenizer.mjs).
# Writes the model (in 15 MB parts: the tool returns files of at most 16 MiB; join with
# `cat tinybert-rt.onnx.part-* > tinybert-rt.onnx`), fixtures, results and log to $OUT.
# train.py keeps to a wall-clock budget (--budget, default 235 s of training, then ~15 s of export
# and evaluation), so the whole command fits a 300 s device call.
set -eu
OUT=${OUT:-/tmp/hp-lab-train}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/train.log"
export PYTHONUNBUFFERED=1 CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONHASHSEED=0
python3 scripts/train/train.py --data .data/train-carry --tokenizer public/tokenizer/tokenizer.json --out "$OUT" "$@"
sha256sum "$OUT/tinybert-rt.onnx"
if cmp -s "$OUT/tokenizer-fixture.json" tests/fixtures/model/tokenizer-fixture.json; then echo "tokenizer fixture unchanged"; else echo "TOKENIZER FIXTURE CHANGED"; fi
split -b 15000000 -d "$OUT/tinybert-rt.onnx" "$OUT/tinybert-rt.onnx.part-"
rm "$OUT/tinybert-rt.onnx"
