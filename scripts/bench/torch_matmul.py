"""Reference timings on the GPU host for the WGSL kernels' benchmark (BENCHMARKS.md, Kernels):
Y = X·Wᵀ (X: M x K, W: N x K) with cuBLAS fp32 (TF32 off), torch BSR (Tr x Tc blocks) at a
block sparsity and torch CSR (cuSPARSE) on an HP mask, at the same shapes and sparsity as
`hp-lab bench`. CUDA events, warmup, median. Prints one JSON object per case on stdout."""
import json
import math
import sys

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = "cuda"


def median_ms(fn, reps=30, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def hp_mask(n, k, tr, tc, sparsity, split, g):
    """Row-balanced HP mask as planHP/randomHP build it: m tiles per tile-row, k columns per tile."""
    tile_rows, tiles_per_row = math.ceil(n / tr), math.ceil(k / tc)
    d = 1 - sparsity
    kc = min(tc, max(1, round(tc * d ** (1 - split))))
    m = min(tiles_per_row, max(1, round(d * tiles_per_row * tc / kc)))
    mask = torch.zeros(tile_rows * tr, tiles_per_row * tc, dtype=torch.bool)
    for r in range(tile_rows):
        for t in torch.randperm(tiles_per_row, generator=g)[:m].tolist():
            cols = torch.randperm(tc, generator=g)[:kc] + t * tc
            mask[r * tr:(r + 1) * tr, cols] = True
    return mask[:n, :k], m, kc


def case(M, K, N, sparsity, tr, tc, split):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(M, K, device=dev)
    w = torch.randn(N, K, device=dev) / math.sqrt(K)
    out = {"m": M, "k": K, "n": N, "device": torch.cuda.get_device_name(), "torch": torch.__version__}
    dense_flops = 2 * M * K * N
    ms = median_ms(lambda: torch.nn.functional.linear(x, w))
    out["cublas_fp32_ms"] = ms
    out["cublas_fp32_gflops"] = dense_flops / ms / 1e6
    if sparsity is None:
        return out
    out.update({"sparsity": sparsity, "tile": f"{tr}x{tc}", "split": split})
    # BSR: whole Tr x Tc blocks, same number kept per block-row as HP keeps tiles at split=1.
    tile_rows, tiles_per_row = math.ceil(N / tr), math.ceil(K / tc)
    keep = max(1, round((1 - sparsity) * tiles_per_row))
    if N % tr == 0 and K % tc == 0:
        bmask = torch.zeros(tile_rows, tiles_per_row, dtype=torch.bool)
        for r in range(tile_rows):
            bmask[r, torch.randperm(tiles_per_row, generator=g)[:keep]] = True
        wb = w * bmask.repeat_interleave(tr, 0).repeat_interleave(tc, 1).to(dev)
        w_bsr = wb.to_sparse_bsr((tr, tc))
        xt = x.t().contiguous()
        try:
            ms = median_ms(lambda: torch.mm(w_bsr, xt))
            out.update({"bsr_ms": ms, "bsr_block_density": keep / tiles_per_row,
                        "bsr_dense_equiv_gflops": dense_flops / ms / 1e6})
            ref = wb @ xt
            out["bsr_max_err"] = float((torch.mm(w_bsr, xt) - ref).abs().max())
        except Exception as e:  # noqa: BLE001 (report what the build does not support)
            out["bsr_error"] = str(e)[:200]
    # CSR (cuSPARSE SpMM) on the HP mask itself.
    mask, m, kc = hp_mask(N, K, tr, tc, sparsity, split, g)
    wh = w * mask.to(dev)
    w_csr = wh.to_sparse_csr()
    xt = x.t().contiguous()
    try:
        ms = median_ms(lambda: torch.mm(w_csr, xt))
        out.update({"csr_ms": ms, "csr_density": float(mask.float().mean()), "hp_m": m, "hp_k": kc,
                    "csr_dense_equiv_gflops": dense_flops / ms / 1e6})
    except Exception as e:  # noqa: BLE001
        out["csr_error"] = str(e)[:200]
    # cuBLAS on the pruned-but-dense weight costs the same as dense: not repeated.
    return out


def main():
    cases = [
        (4096, 4096, 4096, None, 32, 32, 0.5),
        (4096, 4096, 4096, 0.9, 32, 32, 0.5),
        (4096, 4096, 4096, 0.9, 32, 32, 1.0),
        (4096, 312, 1200, 0.9, 32, 32, 0.5),
        (4096, 1200, 312, 0.9, 32, 32, 0.5),
        (4096, 312, 312, 0.9, 32, 32, 0.5),
    ]
    # Few tokens (one sentence, the pooler): where the WGSL subgroup variants run.
    for M in (1, 8, 32, 64, 128):
        cases += [(M, 312, 1200, 0.9, 32, 32, 0.5), (M, 1200, 312, 0.9, 32, 32, 0.5)]
    for c in cases:
        print(json.dumps(case(*c)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
