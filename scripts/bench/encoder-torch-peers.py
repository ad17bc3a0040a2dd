#!/usr/bin/env python3
"""What an H200 user would run natively, beside the WGSL engine (BENCHMARKS.md, Encoder engine,
peers): the same TinyBERT classifier ONNX in PyTorch, eager and torch.compile with CUDA graphs
(mode='reduce-overhead'), in fp32 (TF32 off), TF32 and bf16, timed with CUDA events around one
forward (median of --reps after --warmup) per (batch, seq).

Weights and the forward are encoder-torch.py's (ONNX initializers read with the onnx package).
Each precision gets its own copy of the weights and its own compiled function, so each CUDA graph
is captured under its own math settings. Compilation runs first; with --wait-for FILE the timing
waits until FILE exists (the GPU-host script compiles while the engine is measured, then times
torch alone on the GPU). Every variant's logits are compared with fp32 eager's on the timed batch.

usage: python3 scripts/bench/encoder-torch-peers.py [--model M.onnx] [--batch 32] [--seq 128]
       [--reps 100] [--warmup 10] [--precisions fp32,tf32,bf16] [--wait-for F] [--out R.json]
"""
import argparse, importlib.util, json, os, statistics, sys, time
from pathlib import Path

import torch

here = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location('encoder_torch', here / 'encoder-torch.py')
et = importlib.util.module_from_spec(spec)
# Registered under its name: torch.compile (dynamo) re-imports the module its functions come
# from by name, and a file with a '-' cannot be imported otherwise (the H200 run of 2026-12-02
# failed every compile with "No module named 'encoder_torch'").
sys.modules['encoder_torch'] = et
spec.loader.exec_module(et)

DTYPES = {'fp32': torch.float32, 'tf32': torch.float32, 'bf16': torch.bfloat16}


def math_mode(precision):
    tf32 = precision == 'tf32'
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.set_float32_matmul_precision('high' if tf32 else 'highest')


class Classifier(torch.nn.Module):
    """encoder-torch.py's weights as (frozen) parameters of one module, in `dtype`: compiled,
    they are static inputs, so the CUDA graph reads them in place instead of copying them."""

    def __init__(self, P, dtype, heads, eps, attention):
        super().__init__()
        self.heads, self.eps, self.attention = heads, eps, attention
        self.weights = torch.nn.ParameterList()

        def keep(obj):
            if isinstance(obj, torch.Tensor):
                self.weights.append(torch.nn.Parameter(obj.to(dtype).clone(), requires_grad=False))
                return len(self.weights) - 1
            if isinstance(obj, (list, tuple)):
                return type(obj)(keep(x) for x in obj)
            if isinstance(obj, dict):
                return {k: keep(v) for k, v in obj.items()}
            return obj

        self.layout = keep(P)

    def params(self, obj):
        if isinstance(obj, int):
            return self.weights[obj]
        if isinstance(obj, (list, tuple)):  # a list, not a generator: dynamo traces this
            return type(obj)([self.params(x) for x in obj])
        if isinstance(obj, dict):
            return {k: self.params(v) for k, v in obj.items()}
        return obj

    def forward(self, ids, mask, types):
        return et.forward(self.params(self.layout), ids, mask, types, self.heads, self.eps, self.attention)


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return round(statistics.median(times), 4), round(min(times), 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='public/models/tinybert-rt.onnx')
    ap.add_argument('--batch', default='32')
    ap.add_argument('--seq', default='128')
    ap.add_argument('--reps', type=int, default=100)
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--precisions', default='fp32,tf32,bf16')
    ap.add_argument('--heads', type=int, default=0)
    ap.add_argument('--eps', type=float, default=1e-12)
    ap.add_argument('--wait-for')
    ap.add_argument('--wait-max-s', type=float, default=300)
    ap.add_argument('--out')
    a = ap.parse_args()
    precisions = a.precisions.split(',')
    for p in precisions:
        if p not in DTYPES:
            raise SystemExit(f'--precisions: unknown {p!r} (fp32, tf32, bf16)')
    if not torch.cuda.is_available():
        raise SystemExit('encoder-torch-peers.py needs a CUDA GPU')
    dev = torch.device('cuda')
    base = et.to_device(et.load_weights(a.model), dev)
    H = base['word'].shape[1]
    heads = a.heads or (12 if H == 312 else H // 64)
    vocab = base['word'].shape[0]
    shapes = [(int(b), int(l)) for l in a.seq.split(',') for b in a.batch.split(',')]
    g = torch.Generator().manual_seed(0)
    inputs = {}
    for B, L in shapes:
        ids = torch.randint(1, vocab, (B, L), generator=g).to(dev)
        ones = torch.ones(B, L, dtype=torch.int64, device=dev)
        inputs[(B, L)] = (ids, ones, torch.zeros_like(ones))

    reference = Classifier(base, torch.float32, heads, a.eps, 'math')
    # Compile (and capture) every variant first.
    variants = {}
    compile_s = {}
    for p in precisions:
        math_mode(p)
        dtype = DTYPES[p]
        variants[(p, 'eager-math')] = Classifier(base, dtype, heads, a.eps, 'math')
        variants[(p, 'eager-sdpa')] = Classifier(base, dtype, heads, a.eps, 'sdpa')
        fn = torch.compile(Classifier(base, dtype, heads, a.eps, 'sdpa'), mode='reduce-overhead', fullgraph=True)
        t0 = time.perf_counter()
        try:
            with torch.no_grad():
                for B, L in shapes:
                    for _ in range(3):
                        fn(*inputs[(B, L)])
            torch.cuda.synchronize()
        except Exception as e:  # report it and time the rest
            compile_s[p] = repr(e)[:500]
            print(json.dumps({'compile_failed': p, 'error': compile_s[p]}), flush=True)
            continue
        compile_s[p] = round(time.perf_counter() - t0, 1)
        variants[(p, 'compiled-cudagraphs')] = fn
        print(json.dumps({'compiled': p, 'seconds': compile_s[p]}), flush=True)

    if a.wait_for:
        t0 = time.perf_counter()
        while not os.path.exists(a.wait_for) and time.perf_counter() - t0 < a.wait_max_s:
            time.sleep(0.2)

    rows = []
    with torch.no_grad():
        for B, L in shapes:
            x = inputs[(B, L)]
            math_mode('fp32')
            ref = reference(*x).float().clone()
            for (p, kind), fn in variants.items():
                math_mode(p)
                out = fn(*x).float().clone()
                ms, mn = median_ms(lambda: fn(*x), a.reps, a.warmup)
                row = {'batch': B, 'seq': L, 'precision': p, 'kind': kind, 'ms': ms, 'min_ms': mn,
                       'max_abs_logit_diff_vs_fp32_eager': float((out - ref).abs().max())}
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {
        'torch': torch.__version__, 'device': torch.cuda.get_device_name(0), 'model': a.model, 'heads': heads,
        'reps': a.reps, 'warmup': a.warmup, 'compile_s': compile_s, 'rows': rows,
    }
    if a.out:
        with open(a.out, 'w') as fh:
            json.dump(result, fh, indent=1)


if __name__ == '__main__':
    main()
