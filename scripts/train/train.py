"""Trains the default model of HP Lab: TinyBERT-4L-312D on the Rotten Tomatoes sentence-polarity
split in public/data/, on one GPU within a fixed wall-clock budget:
  1. bag-of-words logistic regression (the floor to beat);
  2. PPMI-SVD word vectors from the 1,500 full reviews + training sentences (never dev/test);
  3. masked-LM pretraining on the same text, initialised with those vectors, in its own process,
     while a first fine-tuning wave (scratch, PPMI init) runs beside it in a process pool;
  4. a second fine-tuning wave from the MLM checkpoints (half and full budget);
  5. distillation: an ensemble of the best runs (by dev; optionally with BoW) labels ~50k
     sentences cut from the reviews; students learn from them + the training sentences;
  6. the single best model by dev (never test) is exported to ONNX (int8 word embeddings, same
     graph as before), evaluated with onnxruntime, and the fixtures are written.
Runs on the GPU host (see run-device.sh).

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
from bow import bow_baseline, bow_model  # noqa: E402
from data import choose_max_len, encode, length_report, load_tokenizer, read_jsonl, token_lengths  # noqa: E402
from distill import agreement, choose_teacher, ensemble_probs, review_sentences, soft_targets_with_labels  # noqa: E402
from export_onnx import describe_graph, export  # noqa: E402
from finetune import _grid_worker, accuracy, new_classifier, predict  # noqa: E402
from make_tokenizer_fixture import build as build_tokenizer_fixture  # noqa: E402
from ppmi import nearest, ppmi_svd_embeddings  # noqa: E402
from pretrain import mlm_worker  # noqa: E402

MODEL_FILE = "tinybert-rt.onnx"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run that only checks the pipeline")
    ap.add_argument("--budget", type=float, default=235, help="seconds from start until training must end")
    ap.add_argument("--mlm-seconds", type=float, default=80)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=14)
    ap.add_argument("--old-model", default="public/models/tinybert-rt.onnx", help="evaluated for comparison")
    ap.add_argument("--work", default="/tmp/hp-lab-train-work", help="scratch folder for checkpoints")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    deadline = t_start + args.budget
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
    results = {"env": env, "budget_seconds": args.budget, "sizes": {k: len(v) for k, v in split.items()},
               "token_lengths": {k: length_report(v) for k, v in lengths.items()}, "max_len": max_len,
               "truncated": {k: int((v > max_len).sum()) for k, v in lengths.items()}}
    log(f"token lengths (with [CLS]/[SEP]): {results['token_lengths']}; max_len {max_len}; truncated {results['truncated']}")

    results["bow"] = bow_baseline(split["train"], split["dev"], split["test"], log)
    bow_predict = bow_model(split["train"], results["bow"]["best"])

    def tensors(rows):
        ids, mask, types = encode(tok, [r["text"] for r in rows], max_len, pad_to=max_len)
        t = lambda a: torch.from_numpy(a).to(device)
        return t(ids), t(mask), t(types), torch.tensor([r["label"] for r in rows], device=device)

    train_t, dev_t, test_t = (tensors(split[k]) for k in ("train", "dev", "test"))
    work = os.path.join(args.work, "grid")
    os.makedirs(work, exist_ok=True)
    data_path = os.path.join(work, "data.pt")
    torch.save({"train": tuple(t.cpu() for t in train_t), "dev": tuple(t.cpu() for t in dev_t)}, data_path)

    # In-domain text for the word vectors and MLM: full reviews + training sentences, never dev/test.
    mlm_docs = reviews + [r["text"] for r in split["train"]]
    docs_path = os.path.join(work, "docs.json")
    with open(docs_path, "w", encoding="utf-8") as f:
        json.dump(mlm_docs, f)
    ppmi_path = os.path.join(work, "ppmi.pt")
    try:
        ppmi_state, results["ppmi"] = ppmi_svd_embeddings(tok, mlm_docs, device=device,
                                                          max_words=2000 if args.smoke else 20000)
        torch.save(ppmi_state, ppmi_path)
        table = ppmi_state["embeddings.word_embeddings.weight"]
        results["ppmi"]["neighbours"] = {w: nearest(table, tok, w) for w in ("good", "bad", "funny", "boring", "actor")}
        log(f"PPMI-SVD word vectors: {results['ppmi']}")
    except Exception as e:  # noqa: BLE001 - the other inits still run
        results["ppmi"] = {"error": f"{type(e).__name__}: {e}"}
        ppmi_path = None
        log(f"PPMI failed: {results['ppmi']}")

    ctx = torch.multiprocessing.get_context("spawn")
    pool = ctx.Pool(2 if args.smoke else args.workers)
    mlm_seconds = min(args.mlm_seconds, max(5.0, deadline - time.time() - 120))
    mlm_paths = {"mlm-half": os.path.join(work, "mlm-half.pt"), "mlm-full": os.path.join(work, "mlm-full.pt")}
    mlm_job = {"tokenizer": args.tokenizer, "docs_path": docs_path, "word_init_path": ppmi_path,
               "seconds": mlm_seconds, "save": {"0.5": mlm_paths["mlm-half"], "1.0": mlm_paths["mlm-full"]},
               "block_len": 32 if args.smoke else 128, "batch": 8 if args.smoke else 256, "lr": 1e-3,
               "device": device, "summary_path": os.path.join(work, "mlm.json")}
    mlm_proc = ctx.Process(target=mlm_worker, args=(mlm_job,))
    mlm_proc.start()
    log(f"MLM pretraining started in its own process for {mlm_seconds:.0f}s (PPMI init: {ppmi_path is not None})")

    epochs = 1 if args.smoke else args.epochs
    ft_deadline = deadline - (20 if args.smoke else 50)

    def job(name, init_path, lr, seed, **extra):
        return {"name": name, "init": name, "init_path": init_path, "lr": lr, "seed": seed, "epochs": epochs,
                "data": data_path, "device": device, "deadline": ft_deadline,
                "state_path": os.path.join(work, f"ft-{name}-{lr:g}-{seed}.pt"), **extra}

    wave1 = [job("scratch", None, 2e-4, s) for s in (0, 1)]
    if ppmi_path:
        wave1 += [job("ppmi", ppmi_path, lr, s) for lr in (1e-4, 2e-4) for s in (0, 1)]
    if args.smoke:
        wave1 = wave1[-1:]
    async1 = pool.map_async(_grid_worker, wave1)
    log(f"fine-tuning wave 1 (beside MLM): {len(wave1)} runs")
    mlm_proc.join(timeout=mlm_seconds + 150)
    if mlm_proc.is_alive():
        mlm_proc.terminate()
        mlm_proc.join()
    try:
        with open(mlm_job["summary_path"]) as f:
            results["mlm"] = json.load(f)
    except (OSError, ValueError) as e:
        results["mlm"] = {"error": f"no summary ({e}); exit code {mlm_proc.exitcode}"}
    log(f"MLM: { {k: v for k, v in results['mlm'].items() if k not in ('log', 'traceback')} }")

    wave2 = []
    lrs = {"mlm-full": (5e-5, 1e-4, 2e-4), "mlm-half": (1e-4,)}
    for name, path in mlm_paths.items():
        if os.path.exists(path):
            wave2 += [job(name, path, lr, s) for lr in lrs[name] for s in (0, 1)]
    if args.smoke:
        wave2 = wave2[:1]
    log(f"fine-tuning wave 2 (from MLM): {len(wave2)} runs")
    grid = async1.get() + pool.map(_grid_worker, wave2)
    for g in grid:
        log(f"  {g['name']} lr {g['lr']} seed {g['seed']}: {g.get('log') or g.get('error')}")
        g.pop("log", None)
    ok = sorted((g for g in grid if "error" not in g), key=lambda g: -g["best_dev"])
    if not ok:
        raise RuntimeError(f"every fine-tuning run failed: {[g.get('error') for g in grid]}")
    results["finetune_grid"] = grid
    names = sorted({g["name"] for g in ok})
    results["by_init"] = {n: max(g["best_dev"] for g in ok if g["name"] == n) for n in names}
    results["by_init_mean_of_runs"] = {n: round(float(np.mean([g["best_dev"] for g in ok if g["name"] == n])), 4) for n in names}
    log(f"best dev per init: {results['by_init']}; mean over runs: {results['by_init_mean_of_runs']}")

    # Distillation from the best ensemble into single students, on review sentences + train.
    students = []
    left = deadline - time.time()
    if left > (10 if args.smoke else 35):
        try:
            students = distill_wave(pool, ok, split, reviews, tok, max_len, train_t, dev_t, bow_predict, work,
                                    device, deadline, args.smoke, results, log)
        except Exception as e:  # noqa: BLE001 - the fine-tuned runs remain candidates
            import traceback
            results["distill"] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
            log(f"distillation failed: {results['distill']['error']}")
    else:
        results["distill"] = {"skipped": f"only {left:.0f}s left"}
        log(f"distillation skipped: only {left:.0f}s left")
    pool.close()
    pool.join()

    # The one shipped model: best dev accuracy over every run (students first on ties).
    candidates = students + ok
    best = max(candidates, key=lambda g: g["best_dev"])
    log(f"chosen {best['name']} lr {best['lr']} seed {best['seed']} epoch {best['best_epoch']} dev {best['best_dev']:.4f}")
    model = new_classifier(None, 0)
    model.load_state_dict(torch.load(best["state_path"]))
    model.to(device)
    torch_acc = {k: accuracy(predict(model, *t[:3]), t[3]) for k, t in (("dev", dev_t), ("test", test_t))}
    results["chosen"] = {"name": best["name"], "init": best["init"], "lr": best["lr"], "seed": best["seed"],
                         "epoch": best["best_epoch"], "torch_fp32": torch_acc}
    log(f"chosen model, PyTorch fp32: {torch_acc}")
    if os.path.exists(args.old_model):
        old = onnxruntime.InferenceSession(args.old_model, providers=["CPUExecutionProvider"])
        results["previous_model"] = {
            name: float((old.run(["logits"], {"input_ids": t[0].cpu().numpy(), "attention_mask": t[1].cpu().numpy(),
                                              "token_type_ids": t[2].cpu().numpy()})[0].argmax(-1) == t[3].cpu().numpy()).mean())
            for name, t in (("dev", dev_t), ("test", test_t))}
        log(f"previous shipped model (ORT): {results['previous_model']}")

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


def distill_wave(pool, ok, split, reviews, tok, max_len, train_t, dev_t, bow_predict, work, device, deadline, smoke,
                 results, log):
    """Teacher = best ensemble by dev of the top fine-tuned runs (+ BoW); students start from the
    best run's initialisation (two lrs) and from the best run itself. Returns the students' results."""
    exclude = {r["text"] for r in split["dev"] + split["test"]}
    sentences = review_sentences(reviews, exclude)
    ids, mask, types = encode(tok, sentences, max_len, pad_to=max_len)
    unl = tuple(torch.from_numpy(a).to(device) for a in (ids, mask, types))
    members = []
    for g in ok[:5]:
        probs = ensemble_probs([torch.load(g["state_path"])], [dev_t, unl, train_t], device)
        members.append((f"{g['name']}-{g['lr']:g}-{g['seed']}", probs))
    bow = [torch.tensor(bow_predict(texts), dtype=torch.float32, device=device)
           for texts in ([r["text"] for r in split["dev"]], sentences, [r["text"] for r in split["train"]])]
    (t_dev, t_unl, t_train), info = choose_teacher(members, bow, dev_t[3], log)
    info["train_agreement"] = agreement(t_train, train_t[3])
    info["sentences"] = len(sentences)
    # Rows: training sentences (half label, half teacher) then the review sentences (teacher only).
    targets = torch.cat([soft_targets_with_labels(t_train, train_t[3]), t_unl]).cpu()
    rows = tuple(torch.cat([a, b]).cpu() for a, b in zip(train_t[:3], unl)) + (targets.argmax(-1),)
    path = os.path.join(work, "distill.pt")
    torch.save({"distill": rows, "targets": targets, "dev": tuple(t.cpu() for t in dev_t)}, path)
    top = ok[0]
    n = len(rows[0])
    left = deadline - time.time()
    epochs = 1 if smoke else (3 if left > 100 else 2)
    batch = 64
    common = {"data": path, "train_key": "distill", "targets_key": "targets", "device": device, "epochs": epochs,
              "batch": batch, "eval_every": max(1, (n // batch) // 3), "deadline": deadline - 5}
    jobs = [{**common, "name": f"distill<-{top['name']}", "init": top["name"], "init_path": init, "lr": lr, "seed": 0,
             "state_path": os.path.join(work, f"st-{i}.pt")}
            for i, (init, lr) in enumerate([(top.get("init_path"), 1e-4), (top.get("init_path"), 2e-4),
                                            (top["state_path"], 3e-5)])]
    jobs[2]["name"] = f"distill<-best-run({top['name']}-{top['lr']:g}-{top['seed']})"
    if smoke:
        jobs = jobs[2:]
    log(f"distillation: teacher {info}; {len(sentences)} review sentences + {len(train_t[0])} train, "
        f"{len(jobs)} students, {epochs} epochs")
    out = pool.map(_grid_worker, jobs)
    for g in out:
        log(f"  {g['name']} lr {g['lr']}: {g.get('log') or g.get('error')}")
        g.pop("log", None)
    results["distill"] = {"teacher": info, "students": out}
    return sorted((g for g in out if "error" not in g), key=lambda g: -g["best_dev"])


if __name__ == "__main__":
    main()
