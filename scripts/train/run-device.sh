#!/bin/sh
# The one command run on the GPU host (via the device tool), from the repository root, with
# .data/teacher-carry carried (written by scripts/train/prepare-teacher.sh: the splits, the
# reviews and the packed teacher). Writes to $OUT: the student model in 15 MB parts (the tool
# returns files of at most 16 MiB; join with `cat tinybert-rt.onnx.part-* > tinybert-rt.onnx`),
# the fine-tuned teacher (fp16, for export_teacher.py), and meta.tar.gz (results, log, fixtures,
# graph: the tool returns at most 8 files).
# train.py keeps to a wall-clock budget (--budget, default 420 s of training, then ~20 s of export
# and evaluation), so the whole command fits a 540 s device call.
set -eu
OUT=${OUT:-/tmp/hp-lab-train}
mkdir -p "$OUT/meta"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/meta/gpu.txt"
export PYTHONUNBUFFERED=1 CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONHASHSEED=0
python3 scripts/train/train.py --data .data/teacher-carry --tokenizer public/tokenizer/tokenizer.json \
  --out "$OUT/meta" "$@"
mv "$OUT/meta/teacher-finetuned.npz" "$OUT/meta/tinybert-rt.onnx" "$OUT/"
sha256sum "$OUT/tinybert-rt.onnx"
split -b 15000000 -d "$OUT/tinybert-rt.onnx" "$OUT/tinybert-rt.onnx.part-"
split -b 15000000 -d "$OUT/teacher-finetuned.npz" "$OUT/teacher-finetuned.npz.part-"
rm "$OUT/tinybert-rt.onnx" "$OUT/teacher-finetuned.npz"
tar -C "$OUT" -czf "$OUT/meta.tar.gz" meta && rm -rf "$OUT/meta"
ls -la "$OUT"
