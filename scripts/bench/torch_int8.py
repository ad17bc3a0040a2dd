"""Reference timings on the GPU host for the int8 kernels (BENCHMARKS.md, int8): cuBLAS through
torch at 4096^3: int8 x int8 -> int32 (torch._int_mm, tensor cores), fp32 (TF32 off), TF32 and
bf16; and int8 dense at the HP 90% case's shape (torch has no int8 block-sparse kernel). CUDA
events, warmup, median. Prints one JSON object per case on stdout."""
import json

import torch

dev = "cuda"


def median_ms(fn, reps=50, warmup=10):
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


def dense(m, k, n):
    xq = torch.randint(-127, 128, (m, k), dtype=torch.int8, device=dev)
    wq = torch.randint(-127, 128, (n, k), dtype=torch.int8, device=dev)
    wt = wq.t()  # _int_mm wants (m x k) @ (k x n); W stored n x k as ours
    out = {"m": m, "k": k, "n": n, "int8_int_mm_ms": median_ms(lambda: torch._int_mm(xq, wt))}
    x = torch.randn(m, k, device=dev)
    w = torch.randn(n, k, device=dev)
    for name, tf32, dtype in [("fp32_ms", False, torch.float32), ("tf32_ms", True, torch.float32),
                              ("bf16_ms", False, torch.bfloat16)]:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        xa, wa = x.to(dtype), w.to(dtype)
        out[name] = median_ms(lambda: xa @ wa.t())
    return out


print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}))
print(json.dumps(dense(4096, 4096, 4096)))
print(json.dumps(dense(4096, 312, 1200)))
