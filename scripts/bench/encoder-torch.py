#!/usr/bin/env python3
"""PyTorch eager fp32 (TF32 off) forward of the same BERT classifier ONNX that the WGSL encoder
engine runs, timed per (batch, seq) with CUDA events (warmup, many reps, median).

Weights come from the ONNX initializers (onnx + numpy_helper), Hugging Face names as exported
by scripts/train (W^T stored as *.weight_t; word embeddings int8 x per-row scale). Two attention
variants: 'math' (matmul, masked softmax, matmul: HF's eager path) and 'sdpa'
(F.scaled_dot_product_attention). A correctness check runs first: logits vs onnxruntime (CPU)
on a random padded batch.

usage: python3 scripts/bench/encoder-torch.py [--model public/models/tinybert-rt.onnx]
       [--batch 1,8,32] [--seq 64,128] [--reps 100] [--warmup 10] [--out results.json]
"""
import argparse, json, math, statistics, time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def load_weights(path):
    m = onnx.load(path)
    w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    if 'bert.embeddings.word_embeddings.weight' in w:
        word = w['bert.embeddings.word_embeddings.weight'].astype(np.float32)
    else:
        word = (w['bert.embeddings.word_embeddings_int8'].astype(np.float32)
                * w['bert.embeddings.word_embeddings_scale'].astype(np.float32))
    layers = 0
    while f'bert.encoder.layer.{layers}.attention.self.query.bias' in w:
        layers += 1

    def lin(prefix):
        wt = w.get(prefix + '.weight_t')
        weight = wt.T if wt is not None else w[prefix + '.weight']
        return np.ascontiguousarray(weight, dtype=np.float32), w[prefix + '.bias'].astype(np.float32)

    def ln(prefix):
        return w[prefix + '.weight'].astype(np.float32), w[prefix + '.bias'].astype(np.float32)

    params = {
        'word': word, 'pos': w['bert.embeddings.position_embeddings'],
        'type': w['bert.embeddings.token_type_embeddings'],
        'emb_ln': ln('bert.embeddings.LayerNorm'), 'layers': [],
        'pooler': lin('bert.pooler.dense') if 'bert.pooler.dense.bias' in w else None,
        'classifier': lin('classifier'),
    }
    for i in range(layers):
        p = f'bert.encoder.layer.{i}'
        params['layers'].append({
            'q': lin(p + '.attention.self.query'), 'k': lin(p + '.attention.self.key'),
            'v': lin(p + '.attention.self.value'),
            'o': lin(p + '.attention.output.dense'), 'ln1': ln(p + '.attention.output.LayerNorm'),
            'i': lin(p + '.intermediate.dense'), 'f': lin(p + '.output.dense'), 'ln2': ln(p + '.output.LayerNorm'),
        })
    return params


def to_device(obj, dev):
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj, dtype=np.float32)).to(dev)
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(x, dev) for x in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, dev) for k, v in obj.items()}
    return obj


def forward(P, ids, mask, types, heads, eps, attention='math'):
    B, L = ids.shape
    H = P['word'].shape[1]
    d = H // heads
    x = P['word'][ids] + P['pos'][:L][None] + P['type'][types]
    x = F.layer_norm(x, (H,), *P['emb_ln'], eps)
    bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
    for lp in P['layers']:
        q = F.linear(x, *lp['q']).view(B, L, heads, d).transpose(1, 2)
        k = F.linear(x, *lp['k']).view(B, L, heads, d).transpose(1, 2)
        v = F.linear(x, *lp['v']).view(B, L, heads, d).transpose(1, 2)
        if attention == 'sdpa':
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        else:
            s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
            ctx = torch.matmul(torch.softmax(s, dim=-1), v)
        ctx = ctx.transpose(1, 2).reshape(B, L, H)
        x = F.layer_norm(F.linear(ctx, *lp['o']) + x, (H,), *lp['ln1'], eps)
        h = F.gelu(F.linear(x, *lp['i']))
        x = F.layer_norm(F.linear(h, *lp['f']) + x, (H,), *lp['ln2'], eps)
    cls = x[:, 0]
    if P['pooler'] is not None:
        cls = torch.tanh(F.linear(cls, *P['pooler']))
    return F.linear(cls, *P['classifier'])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='public/models/tinybert-rt.onnx')
    ap.add_argument('--batch', default='1,8,32')
    ap.add_argument('--seq', default='64,128')
    ap.add_argument('--reps', type=int, default=100)
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--heads', type=int, default=0,
                    help='attention heads (default: hidden / 26 for 312, else hidden / 64)')
    ap.add_argument('--eps', type=float, default=1e-12)
    ap.add_argument('--out')
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision('highest')
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    P = to_device(load_weights(a.model), dev)
    H = P['word'].shape[1]
    heads = a.heads or (12 if H == 312 else H // 64)
    vocab = P['word'].shape[0]
    g = torch.Generator().manual_seed(0)

    # Correctness first: logits vs onnxruntime (CPU EP) on a padded random batch.
    check = {}
    try:
        import onnxruntime as ort
        B, L = 4, 24
        ids = torch.randint(0, vocab, (B, L), generator=g)
        mask = torch.ones(B, L, dtype=torch.int64)
        for b, n in enumerate([24, 10, 3, 17]):
            mask[b, n:] = 0
        types = torch.zeros(B, L, dtype=torch.int64)
        sess = ort.InferenceSession(a.model, providers=['CPUExecutionProvider'])
        feeds = {'input_ids': ids.numpy(), 'attention_mask': mask.numpy(), 'token_type_ids': types.numpy()}
        feeds = {k: v for k, v in feeds.items() if k in {i.name for i in sess.get_inputs()}}
        ref = sess.run(None, feeds)[0]
        for att in ('math', 'sdpa'):
            with torch.no_grad():
                out = forward(P, ids.to(dev), mask.to(dev), types.to(dev), heads, a.eps, att).cpu().numpy()
            check[att] = float(np.abs(out - ref).max())
    except Exception as e:  # report, do not hide
        check['error'] = repr(e)

    rows = []
    for L in [int(s) for s in a.seq.split(',')]:
        for B in [int(s) for s in a.batch.split(',')]:
            ids = torch.randint(0, vocab, (B, L), generator=g).to(dev)
            mask = torch.ones(B, L, dtype=torch.int64, device=dev)
            types = torch.zeros(B, L, dtype=torch.int64, device=dev)
            row = {'batch': B, 'seq': L}
            for att in ('math', 'sdpa'):
                with torch.no_grad():
                    for _ in range(a.warmup):
                        forward(P, ids, mask, types, heads, a.eps, att)
                    torch.cuda.synchronize()
                    times = []
                    for _ in range(a.reps):
                        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                        s.record()
                        forward(P, ids, mask, types, heads, a.eps, att)
                        e.record()
                        e.synchronize()
                        times.append(s.elapsed_time(e))
                row[f'torch_{att}_ms'] = round(statistics.median(times), 4)
                row[f'torch_{att}_min_ms'] = round(min(times), 4)
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {
        'torch': torch.__version__, 'device': torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu',
        'tf32': False, 'dtype': 'float32', 'model': a.model, 'heads': heads, 'reps': a.reps, 'warmup': a.warmup,
        'max_abs_logit_diff_vs_onnxruntime_cpu': check, 'latency': rows,
    }
    if a.out:
        with open(a.out, 'w') as fh:
            json.dump(result, fh, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != 'latency'}))


if __name__ == '__main__':
    main()
