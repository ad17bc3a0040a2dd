"""Reading the split, tokenising with public/tokenizer/tokenizer.json, padding to tensors."""
import gzip
import json
import os

import numpy as np
from tokenizers import Tokenizer


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("text"), str) or row.get("label") not in (0, 1, None):
                raise ValueError(f"{path}:{n}: expected {{text: str, label: 0|1}}")
            rows.append(row)
    return rows


def load_tokenizer(path):
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.no_truncation()
    return tok


def token_lengths(tok, texts):
    """Lengths with [CLS] and [SEP]."""
    return np.array([len(e.ids) for e in tok.encode_batch(texts)])


def length_report(lengths):
    q = np.percentile(lengths, [50, 90, 95, 99, 100])
    return {"n": int(len(lengths)), "mean": round(float(lengths.mean()), 2),
            "p50": int(q[0]), "p90": int(q[1]), "p95": int(q[2]), "p99": int(q[3]), "max": int(q[4])}


def choose_max_len(train_lengths, coverage=0.99, choices=(32, 48, 64, 96, 128)):
    """The shortest length that keeps `coverage` of the training sentences whole."""
    for m in choices:
        if (train_lengths <= m).mean() >= coverage:
            return m
    return choices[-1]


def encode(tok, texts, max_len, pad_to=None):
    """Truncates the words to max_len-2 tokens, adds [CLS] ... [SEP], pads with [PAD]=0.
    Returns int64 arrays (input_ids, attention_mask, token_type_ids)."""
    tok.enable_truncation(max_len)
    try:
        encs = tok.encode_batch(texts)
    finally:
        tok.no_truncation()
    width = pad_to or max(len(e.ids) for e in encs)
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    return ids, mask, np.zeros_like(ids)


def read_reviews(folder):
    gz = os.path.join(folder, "reviews.jsonl.gz")
    if os.path.exists(gz):
        with gzip.open(gz, "rt", encoding="utf-8") as f:
            return [json.loads(line)["text"] for line in f if line.strip()]
    return [r["text"] for r in read_jsonl(os.path.join(folder, "reviews.jsonl"))]
