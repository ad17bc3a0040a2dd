"""The retraining study (issue 12): for each pattern and sparsity, the shipped student pruned
one-shot vs retrained with distillation from the dense student, masks decided by the project's
own pruning code (the bundled `hp-lab prune` CLI, called on the current weights), 3 seeds.

Methods per (pattern, sparsity):
  oneshot   masks from the dense weights at the target, no training (seed-independent);
  gradual   gradual magnitude pruning (Zhu & Gupta's cubic schedule, masks recomputed by the CLI
            at MASK_UPDATES points over the first half of training), then masks fixed;
  rgl       HP only: reweighted group lasso on tiles and on vectors (the paper family's penalty)
            for the first third of training, then the same schedule and fixed masks.
Training updates only the 24 prunable matrices (their kept values): everything else stays the
dense model's, so a retrained model is exactly "the dense ONNX + one .hpw file", which is what
the app and `hp-lab eval --hpw` load. Loss: soft cross-entropy against the dense student's
probabilities on the training sentences (half label, half dense) and on review sentences.

Usage (GPU host, bundled CLI in .dev-12/): python3 retrain.py --cli .dev-12/hp-lab.mjs --node .dev-12/node
  --model public/models/tinybert-rt.onnx --data .data/teacher-carry --out DIR"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import encode, load_tokenizer, read_jsonl, read_reviews  # noqa: E402
from distill import review_sentences, soft_targets_with_labels  # noqa: E402
from finetune import accuracy, new_classifier, predict  # noqa: E402
from onnx_weights import load_state, prunable_names, read_matrices, write_matrices  # noqa: E402

PATTERNS = ("hp", "tile", "vector", "unstructured", "row-balanced", "nm")
SPARSITIES = (0.5, 0.7, 0.8, 0.9, 0.95)
MASK_UPDATES = 6
TINY = 1e-30  # written where a kept weight is exactly 0, so "nonzero in the CLI's output" is its mask


def cli_masks(job, matrices, sparsity, hpw=None, spw=None, recover=None):
    """The CLI's masks for these weights: {name: bool [out, in]}; optionally writes its .hpw (HP
    patterns) or .spw (any pattern, f16). With recover (lsq | lsq-dense) the CLI also reconstructs
    the kept weights (issue 13's layer-wise least squares, masks unchanged): returns (masks, weights)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.onnx"), os.path.join(tmp, "out.onnx")
        write_matrices(job["_proto"], {n: np.where(w == 0, TINY, w) for n, w in matrices.items()}, src)
        cmd = [job["node"], job["cli"], "prune", "--model", src, "--pattern", job["pattern"], "--sparsity",
               f"{sparsity:.6f}", "--tile", job["tile"], "--out", out] + (["--hpw", hpw] if hpw else [])
        cmd += (["--spw", spw, "--value-type", "f16"] if spw else []) + (["--recover", recover] if recover else [])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"hp-lab prune failed ({' '.join(cmd[2:])}): {r.stderr.strip()[-500:]}")
        pruned = read_matrices(out, list(matrices))
    masks = {n: w != 0 for n, w in pruned.items()}
    return (masks, pruned) if recover else masks


def group_lasso(weights, tr, tc):
    """Reweighting-free part: per matrix, the L2 norms of its Tr x Tc tiles and of its Tr x 1 vectors."""
    terms = []
    for w in weights:
        out, inp = w.shape
        pad = torch.nn.functional.pad(w, (0, (-inp) % tc, 0, (-out) % tr))
        t = pad.reshape(pad.shape[0] // tr, tr, pad.shape[1] // tc, tc)
        tiles = t.pow(2).sum((1, 3)).add(1e-12).sqrt()
        vectors = t.pow(2).sum(1).add(1e-12).sqrt()
        terms.append((tiles, vectors))
    return terms


def retrain_worker(job):
    t0 = time.time()
    if t0 > job["deadline"]:  # the call's time is nearly up: report instead of starting a run
        return {**{k: job[k] for k in ("pattern", "sparsity", "seed", "method")}, "skipped": "budget"}
    try:
        torch.manual_seed(job["seed"])
        torch.set_num_threads(1)
        device = job["device"]
        data = torch.load(job["data"])
        job["_proto"] = onnx.load(job["model"])  # the graph the CLI's inputs are written into
        model = new_classifier(data["state"], job["seed"]).to(device)
        names = data["names"]
        params = dict(model.named_parameters())
        weights = [params[n] for n in names]
        for p in model.parameters():
            p.requires_grad_(False)
        for w in weights:
            w.requires_grad_(True)
        current = lambda: {n: w.detach().float().cpu().numpy() for n, w in zip(names, weights)}
        dev, test = (tuple(t.to(device) for t in data[k]) for k in ("dev", "test"))
        target = job["sparsity"]
        summary = {k: job[k] for k in ("pattern", "sparsity", "seed", "method")}

        def apply(masks):
            with torch.no_grad():
                for n, w in zip(names, weights):
                    w.mul_(masks[n])

        def evaluate():
            return {k: accuracy(predict(model, *t[:3]), t[3]) for k, t in (("dev", dev), ("test", test))}

        if job["method"] == "oneshot":
            masks = {n: torch.from_numpy(m).to(device) for n, m in cli_masks(job, current(), target).items()}
            apply(masks)
            return {**summary, **evaluate(), "achieved": achieved(masks), "seconds": round(time.time() - t0, 1)}

        if job["method"] == "recovered":  # one-shot masks + least-squares reconstruction, then train
            masks_np, start_w = cli_masks(job, current(), target, recover=job["recover"])
            with torch.no_grad():
                for name, w in zip(names, weights):
                    w.copy_(torch.from_numpy(start_w[name]).to(w.dtype))
            masks = {k: torch.from_numpy(m).to(device) for k, m in masks_np.items()}
            apply(masks)
            summary["start"] = evaluate()  # the recovered model before any training (issue 13's figure)
        rows = tuple(t.to(device) for t in data["rows"])
        targets = data["targets"].to(device)
        n, batch = len(rows[0]), job["batch"]
        steps = job["epochs"] * (n // batch)
        start = steps // 3 if job["method"] == "rgl" else 0
        prune_end = start + (steps - start) // 2
        updates = {start + round(i * (prune_end - start) / (MASK_UPDATES - 1)): i for i in range(MASK_UPDATES)}
        if job["method"] == "recovered":
            updates = {}  # masks fixed from the start
        schedule = lambda i: target * (1 - (1 - (i + 1) / MASK_UPDATES) ** 3)  # cubic, reaches target at the last
        opt = torch.optim.AdamW(weights, lr=job["lr"], weight_decay=0.0, fused=device == "cuda")
        gen = torch.Generator(device=device).manual_seed(job["seed"])
        masks = masks if job["method"] == "recovered" else None
        step, losses, alphas = 0, [], None
        tr, tc = (int(x) for x in job["tile"].split("x"))
        while step < steps:
            order = torch.randperm(n, generator=gen, device=device)
            for i in range(0, n - batch + 1, batch):
                if step in updates:
                    masks = {k: torch.from_numpy(m).to(device)
                             for k, m in cli_masks(job, current(), schedule(updates[step])).items()}
                    apply(masks)
                model.train()
                idx = order[i:i + batch]
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                    logits = model(input_ids=rows[0][idx], attention_mask=rows[1][idx],
                                   token_type_ids=rows[2][idx]).logits
                loss = -(targets[idx] * torch.log_softmax(logits.float(), -1)).sum(-1).mean()
                if job["method"] == "rgl" and step < start:
                    norms = group_lasso(weights, tr, tc)
                    if alphas is None or step % max(1, start // 4) == 0:  # reweighting: 1 / (||g|| + eps)
                        alphas = [(1 / (t.detach() + 1e-3), 1 / (v.detach() + 1e-3)) for t, v in norms]
                    penalty = sum((a * t).mean() + (b * v).mean() for (t, v), (a, b) in zip(norms, alphas))
                    loss = loss + job["lambda"] * penalty / len(norms)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if masks is not None:
                    apply(masks)
                if step % 50 == 0:
                    losses.append(round(loss.item(), 4))
                step += 1
                if step >= steps:
                    break
        final = current()
        result = {**summary, **evaluate(), "achieved": achieved(masks), "losses": losses,
                  "seconds": round(time.time() - t0, 1)}
        if job.get("export"):  # the shipped file: the CLI re-prunes the retrained weights and must find the same mask
            path = job["export"]
            kind = {"hpw": path, "spw": None} if path.endswith(".hpw") else {"hpw": None, "spw": path}
            check = cli_masks(job, final, target, **kind)
            same = all(np.array_equal(check[k], masks[k].cpu().numpy().astype(bool)) for k in names)
            if not same:
                raise RuntimeError("the CLI's mask of the retrained weights differs from the training mask")
            result["file"] = os.path.basename(path)
        return result
    except Exception as e:  # noqa: BLE001 - the other runs carry on
        import traceback
        return {**{k: job.get(k) for k in ("pattern", "sparsity", "seed", "method")},
                "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc()}


def achieved(masks):
    kept = sum(int(m.sum()) for m in masks.values())
    total = sum(m.numel() for m in masks.values())
    return round(1 - kept / total, 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--model", default="public/models/tinybert-rt.onnx")
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", default="public/tokenizer/tokenizer.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--patterns", default=",".join(PATTERNS))
    ap.add_argument("--sparsities", default=",".join(str(s) for s in SPARSITIES))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tile", default="32x32")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--reviews", type=int, default=12000, help="review sentences in the distillation set")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lambda", dest="lam", type=float, default=0.5, help="group-lasso weight (rgl)")
    ap.add_argument("--workers", type=int, default=14)
    ap.add_argument("--budget", type=float, default=420, help="seconds after which no new run starts")
    ap.add_argument("--methods", default="oneshot,gradual,rgl",
                    help="of oneshot, gradual, rgl (hp only), recovered (one-shot masks + --recover, then training)")
    ap.add_argument("--recover", default="lsq-dense", help="the CLI's reconstruction for the recovered method")
    ap.add_argument("--export", default="gradual:hp,gradual:tile",
                    help="method:pattern pairs whose seed-0 runs at 80%% and 90%% are written as .hpw (HP patterns) "
                         "or .spw (others) for shipping")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    tok = load_tokenizer(args.tokenizer)
    split = {k: read_jsonl(os.path.join(args.data, f"{k}.jsonl")) for k in ("train", "dev", "test")}
    exclude = {r["text"] for r in split["dev"] + split["test"]}
    sentences = review_sentences(read_reviews(args.data), exclude)
    sentences = [sentences[i] for i in np.random.default_rng(0).permutation(len(sentences))[: args.reviews]]
    if args.smoke:
        split = {k: v[:32] for k, v in split.items()}
        sentences = sentences[:32]

    def tensors(texts, labels=None):
        t = tuple(torch.from_numpy(a) for a in encode(tok, texts, 64, pad_to=64))
        return t + ((torch.tensor(labels),) if labels is not None else ())

    train_t = tensors([r["text"] for r in split["train"]], [r["label"] for r in split["train"]])
    dev_t, test_t = (tensors([r["text"] for r in split[k]], [r["label"] for r in split[k]]) for k in ("dev", "test"))
    unl_t = tensors(sentences)
    _, state = load_state(args.model)
    dense = new_classifier(state, 0).to(device)
    with torch.no_grad():
        p_train = torch.softmax(predict(dense, *(t.to(device) for t in train_t[:3])), -1).cpu()
        p_unl = torch.softmax(predict(dense, *(t.to(device) for t in unl_t[:3])), -1).cpu()
    dense_acc = {k: accuracy(predict(dense, *(x.to(device) for x in t[:3])), t[3].to(device))
                 for k, t in (("dev", dev_t), ("test", test_t))}
    rows = tuple(torch.cat([a, b]) for a, b in zip(train_t[:3], unl_t))
    targets = torch.cat([soft_targets_with_labels(p_train, train_t[3]), p_unl])
    names = prunable_names(dense.config.num_hidden_layers)
    data_path = os.path.join(tempfile.mkdtemp(), "retrain.pt")
    torch.save({"state": state, "names": names, "rows": rows, "targets": targets, "dev": dev_t, "test": test_t},
               data_path)

    patterns = args.patterns.split(",")
    sparsities = [float(s) for s in args.sparsities.split(",")]
    common = {"data": data_path, "model": args.model, "cli": args.cli, "node": args.node, "device": device,
              "tile": args.tile, "epochs": 1 if args.smoke else args.epochs, "batch": 16 if args.smoke else 64,
              "lr": args.lr, "lambda": args.lam, "deadline": t0 + args.budget, "recover": args.recover}
    methods = args.methods.split(",")
    exports = {tuple(x.split(":")) for x in args.export.split(",") if x}

    def export_path(method, p, s):
        ext = "hpw" if p in ("hp", "tile", "vector") else "spw"
        tile = f"-{args.tile}" if ext == "hpw" else ""
        kind = "recovered-retrained" if method == "recovered" else "retrained"
        return os.path.join(args.out, f"{p}{tile}-{round(s * 100)}-{kind}.{ext}")

    jobs = [{**common, "pattern": p, "sparsity": s, "seed": 0, "method": "oneshot"}
            for p in patterns for s in sparsities] if "oneshot" in methods else []
    for seed in range(args.seeds):
        for s in sparsities:
            for method in ("gradual", "recovered"):
                if method not in methods:
                    continue
                for p in patterns:
                    job = {**common, "pattern": p, "sparsity": s, "seed": seed, "method": method}
                    if seed == 0 and (method, p) in exports and s in (0.8, 0.9):
                        job["export"] = export_path(method, p, s)
                    jobs.append(job)
            if "hp" in patterns and "rgl" in methods:
                jobs.append({**common, "pattern": "hp", "sparsity": s, "seed": seed, "method": "rgl"})
    print(f"{len(jobs)} runs on {device}; dense {dense_acc}", flush=True)
    ctx = torch.multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        results = []
        for r in pool.imap_unordered(retrain_worker, jobs):
            results.append(r)
            print(json.dumps({k: v for k, v in r.items() if k not in ("losses", "traceback")}), flush=True)
            if "traceback" in r:  # a failed run: say why, the others carry on
                print(r["traceback"], flush=True)
    summary = {"dense": dense_acc, "args": vars(args), "seconds": round(time.time() - t0, 1),
               "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None, "runs": results}
    with open(os.path.join(args.out, "retrain-results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"done in {summary['seconds']}s", flush=True)


if __name__ == "__main__":
    main()
