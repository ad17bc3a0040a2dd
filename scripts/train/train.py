"""Trains the default model of HP Lab: TinyBERT-4L-312D (from scratch, optional in-domain
masked-LM pretraining) on the Rotten Tomatoes sentence-polarity split in public/data/,
picks the pretraining/lr/epochs by dev accuracy, exports ONNX with int8 word embeddings, and
writes the tokenizer and logits fixtures. Runs on the GPU host (see run-device.sh).

Usage: python3 train.py --data DIR --tokenizer tokenizer.json --out DIR [--smoke]"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bow import bow_baseline  # noqa: E402
from data import choose_max_len, encode, length_report, load_tokenizer, read_jsonl, token_lengths  # noqa: E402
from export_onnx import describe_graph, export  # noqa: E402
from finetune import accuracy, new_classifier, predict, run_grid  # noqa: E402
from make_tokenizer_fixture import build as build_tokenizer_fixture  # noqa: E402
from pretrain import pretrain_mlm  # noqa: E402

MODEL_FILE = "tinybert-rt.onnx"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run that only checks the pipeline")
    ap.add_argument("--mlm-steps", type=int, default=6000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--mlm-max-seconds", type=float, default=120)
    ap.add_argument("--workers", type=int, default=9)
    ap.add_argument("--work", default="/tmp/hp-lab-train-work", help="scratch folder for checkpoints")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    log_file = open(os.path.join(args.out, "train.log"), "a", encoding="utf-8")

    def log(msg):
        line = f"[{time.time() - t_start:6.1f}s] {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    import onnx, onnxruntime, sklearn, tokenizers, transformers
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    env = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
           "tokenizers": tokenizers.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
           "sklearn": sklearn.__version__, "numpy": np.__version__,
           "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None}
    log(f"environment: {env}")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)

    split = {name: read_jsonl(os.path.join(args.data, f"{name}.jsonl")) for name in ("train", "dev", "test")}
    reviews = [r["text"] for r in read_jsonl(os.path.join(args.data, "reviews.jsonl"))]
    if args.smoke:
        split = {k: v[:64] for k, v in split.items()}
        reviews = reviews[:20]
    overlap = {r["text"] for r in split["train"]} & {r["text"] for r in split["dev"] + split["test"]}
    if overlap:
        raise RuntimeError(f"{len(overlap)} sentences are in train and in dev/test")
    tok = load_tokenizer(args.tokenizer)
    lengths = {k: token_lengths(tok, [r["text"] for r in v]) for k, v in split.items()}
    max_len = choose_max_len(lengths["train"])
    results = {"env": env, "sizes": {k: len(v) for k, v in split.items()},
               "token_lengths": {k: length_report(v) for k, v in lengths.items()}, "max_len": max_len,
               "truncated": {k: int((v > max_len).sum()) for k, v in lengths.items()}}
    log(f"token lengths (with [CLS]/[SEP]): {results['token_lengths']}; max_len {max_len}; truncated {results['truncated']}")

    results["bow"] = bow_baseline(split["train"], split["dev"], split["test"], log)

    def tensors(rows):
        ids, mask, types = encode(tok, [r["text"] for r in rows], max_len, pad_to=max_len)
        t = lambda a: torch.from_numpy(a).to(device)
        return t(ids), t(mask), t(types), torch.tensor([r["label"] for r in rows], device=device)

    train_t, dev_t, test_t = (tensors(split[k]) for k in ("train", "dev", "test"))

    # Masked-LM pretraining on the full reviews + training sentences; checkpoints at 1/3 and the end
    # so that the dev set can say whether (and how much) pretraining helps.
    mlm_steps = 6 if args.smoke else args.mlm_steps
    fractions = (0.5, 1.0)
    mlm_docs = reviews + [r["text"] for r in split["train"]]
    encoders, results["mlm"] = pretrain_mlm(tok, mlm_docs, mlm_steps, fractions, log, seed=0,
                                            block_len=32 if args.smoke else 128, batch=8 if args.smoke else 128,
                                            device=device, max_seconds=args.mlm_max_seconds)
    work = os.path.join(args.work, "grid")
    os.makedirs(work, exist_ok=True)
    init_paths = {"scratch": None}
    for f, s in zip(fractions, results["mlm"]["checkpoint_steps"]):
        init_paths[f"mlm{s}"] = os.path.join(work, f"mlm{s}.pt")
        torch.save(encoders[f], init_paths[f"mlm{s}"])
    data_path = os.path.join(work, "data.pt")
    torch.save({"train": tuple(t.cpu() for t in train_t), "dev": tuple(t.cpu() for t in dev_t)}, data_path)

    # The grid: every init x lr x seed, best epoch by dev; runs in parallel processes.
    epochs = 2 if args.smoke else args.epochs
    lrs = [1e-4] if args.smoke else [5e-5, 1e-4, 2e-4]
    seeds = [0] if args.smoke else [0, 1]
    jobs = [{"init": name, "init_path": path, "lr": lr, "seed": seed, "epochs": epochs, "data": data_path,
             "device": device, "state_path": os.path.join(work, f"ft-{name}-{lr:g}-{seed}.pt")}
            for name, path in init_paths.items() for lr in lrs for seed in seeds]
    log(f"fine-tuning grid: {len(jobs)} runs, {args.workers} processes")
    grid = run_grid(jobs, 1 if args.smoke else args.workers)
    for g in grid:
        log(f"  {g['init']}: {g.pop('log').strip()}")
    best = max(grid, key=lambda g: (g["best_dev"], -g["best_epoch"]))
    results["finetune_grid"] = grid
    results["by_init"] = {name: max(g["best_dev"] for g in grid if g["init"] == name) for name in init_paths}
    results["by_init_mean_of_runs"] = {name: round(float(np.mean([g["best_dev"] for g in grid if g["init"] == name])), 4)
                                       for name in init_paths}
    log(f"best dev per init: {results['by_init']}; mean over lr x seed: {results['by_init_mean_of_runs']}")
    log(f"chosen {best['init']} lr {best['lr']} seed {best['seed']} epoch {best['best_epoch']}")
    best = {**best, "state": torch.load(best["state_path"]), "epoch": best["best_epoch"]}

    model = new_classifier(None, 0)
    model.load_state_dict(best["state"])
    model.to(device)
    torch_acc = {k: accuracy(predict(model, *t[:3]), t[3]) for k, t in (("dev", dev_t), ("test", test_t))}
    results["chosen"] = {"init": best["init"], "lr": best["lr"], "seed": best["seed"], "epoch": best["epoch"], "torch_fp32": torch_acc}
    log(f"chosen model, PyTorch fp32: {torch_acc}")

    # ONNX export (int8 word embeddings) and evaluation with onnxruntime CPU: the shipped file.
    onnx_path = os.path.join(args.out, MODEL_FILE)
    export_module = export(model, onnx_path)
    summary, n_matmuls = describe_graph(onnx_path)
    with open(os.path.join(args.out, "graph.txt"), "w") as f:
        f.write(summary + "\n")
    sess = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])

    def ort_logits(ids, mask, types):
        return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]

    onnx_acc = {}
    for name, t in (("dev", dev_t), ("test", test_t)):
        logits = ort_logits(*(x.cpu().numpy() for x in t[:3]))
        onnx_acc[name] = float((logits.argmax(-1) == t[3].cpu().numpy()).mean())
    with torch.no_grad():
        ref = export_module(*(x[:64].cpu() for x in dev_t[:3])).numpy()
        hf = model.float().cpu()(input_ids=dev_t[0][:64].cpu(), attention_mask=dev_t[1][:64].cpu(),
                                 token_type_ids=dev_t[2][:64].cpu()).logits.numpy()
    ort = ort_logits(*(x[:64].cpu().numpy() for x in dev_t[:3]))
    size = os.path.getsize(onnx_path)
    results["onnx"] = {"file": MODEL_FILE, "bytes": size, "sha256": hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
                       "accuracy": onnx_acc, "weight_matmuls": n_matmuls,
                       "max_abs_diff_ort_vs_export_module": float(np.abs(ort - ref).max()),
                       "max_abs_diff_int8_vs_fp32_embeddings": float(np.abs(ref - hf).max())}
    log(f"ONNX: {results['onnx']}")

    # Fixtures: the tokenizer reference ids, and reference logits for 16 dev sentences (unpadded
    # batch padded to its longest sentence), from onnxruntime CPU on the exported file.
    tok_fixture = build_tokenizer_fixture(args.tokenizer)
    rows = split["dev"][:16]
    ids, mask, types = encode(tok, [r["text"] for r in rows], max_len)
    logits = ort_logits(ids, mask, types)
    alone = np.concatenate([ort_logits(ids[i:i + 1, : mask[i].sum()], mask[i:i + 1, : mask[i].sum()],
                                       types[i:i + 1, : mask[i].sum()]) for i in range(len(rows))])
    results["padding_invariance_max_abs_diff"] = float(np.abs(alone - logits).max())
    logits_fixture = {"model": f"public/models/{MODEL_FILE}", "sha256": results["onnx"]["sha256"],
                      "generator": f"onnxruntime {onnxruntime.__version__} CPUExecutionProvider", "maxLength": max_len,
                      "texts": [r["text"] for r in rows], "labels": [r["label"] for r in rows],
                      "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": types.tolist(),
                      "logits": [[float(x) for x in row] for row in logits]}
    for name, obj in (("tokenizer-fixture.json", tok_fixture), ("logits-fixture.json", logits_fixture)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1)
            f.write("\n")
    results["seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    log(f"done in {results['seconds']}s")


if __name__ == "__main__":
    main()
