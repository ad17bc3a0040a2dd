"""Trains the default model of HP Lab on one GPU, within a wall-clock budget: TinyBERT-4L-312D
distilled from a pretrained teacher on the Rotten Tomatoes sentence-polarity split:
  1. bag-of-words logistic regression (the floor to beat);
  2. the teacher, all-MiniLM-L6-v2 (packed by pack_teacher.py), fine-tuned on the 3,000 training
     sentences: a grid of learning rates x seeds in a process pool, best point of each by dev;
  3. the teacher ensemble (best top-k by dev, optionally with the BoW model) labels the training
     sentences, ~48k sentences cut from the 1,500 full reviews and augmented copies of the training
     sentences (augment.py): the distillation set (no dev/test sentence in it);
  4. TinyBERT students by task-specific distillation (kd.py: intermediate layers from the best
     single teacher, then the ensemble's predictions), several seeds/learning rates in parallel;
  5. the best student by dev (never test) is exported to ONNX (int8 word embeddings), evaluated with
     onnxruntime, and the fixtures are written; the best teacher's fine-tuned weights (all but the
     frozen word embeddings) come back as fp16 for the app's teacher model (export_teacher.py).
Runs on the GPU host (run-device.sh).

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
from augment import augment, candidate_words, neighbours  # noqa: E402
from bow import bow_baseline, bow_model  # noqa: E402
from data import (  # noqa: E402
    choose_max_len, encode, read_reviews, length_report, load_tokenizer, read_jsonl, token_lengths)
from distill import agreement, choose_teacher, review_sentences, soft_targets_with_labels  # noqa: E402
from export_onnx import describe_graph, export  # noqa: E402
from finetune import _grid_worker, accuracy, make_classifier, new_classifier, predict  # noqa: E402
from kd import kd_worker  # noqa: E402
from make_tokenizer_fixture import build as build_tokenizer_fixture  # noqa: E402
from teacher import WORD_EMB, load_packed_teacher  # noqa: E402

MODEL_FILE = "tinybert-rt.onnx"


@torch.no_grad()
def teacher_probs(states, tensors, device):
    """Softmax of each fine-tuned teacher (a list of states) on each (ids, mask, types) tuple."""
    out = []
    for state in states:
        model = make_classifier("teacher", state, 0).to(device)
        out.append([torch.softmax(predict(model, *t[:3], batch=1000), -1) for t in tensors])
        del model
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder from pack_teacher.py: splits, reviews, teacher")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run that only checks the pipeline")
    ap.add_argument("--budget", type=float, default=420, help="seconds from start until training must end")
    ap.add_argument("--teacher-epochs", type=int, default=6)
    ap.add_argument("--augment-copies", type=int, default=12)
    ap.add_argument("--workers", type=int, default=12)
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
    reviews = read_reviews(args.data)
    if args.smoke:
        split = {k: v[:48] for k, v in split.items()}
        reviews = reviews[:10]
    overlap = {r["text"] for r in split["train"]} & {r["text"] for r in split["dev"] + split["test"]}
    if overlap:
        raise RuntimeError(f"{len(overlap)} sentences are in train and in dev/test")
    tok = load_tokenizer(args.tokenizer)
    lengths = {k: token_lengths(tok, [r["text"] for r in v]) for k, v in split.items()}
    max_len = choose_max_len(lengths["train"])
    results = {"env": env, "budget_seconds": args.budget, "sizes": {k: len(v) for k, v in split.items()},
               "token_lengths": {k: length_report(v) for k, v in lengths.items()}, "max_len": max_len,
               "truncated": {k: int((v > max_len).sum()) for k, v in lengths.items()}}
    log(f"token lengths (with [CLS]/[SEP]): {results['token_lengths']}; max_len {max_len}")

    results["bow"] = bow_baseline(split["train"], split["dev"], split["test"], log)
    bow_predict = bow_model(split["train"], results["bow"]["best"])

    def tensors_of(texts, labels=None):
        ids, mask, types = encode(tok, texts, max_len, pad_to=max_len)
        t = tuple(torch.from_numpy(a).to(device) for a in (ids, mask, types))
        return t + ((torch.tensor(labels, device=device),) if labels is not None else ())

    train_t, dev_t, test_t = (tensors_of([r["text"] for r in split[k]], [r["label"] for r in split[k]])
                              for k in ("train", "dev", "test"))
    work = os.path.join(args.work, "grid")
    os.makedirs(work, exist_ok=True)

    # 2. The teacher, fine-tuned.
    teacher_state, teacher_cfg = load_packed_teacher(args.data)
    results["teacher_source"] = {k: teacher_cfg[k] for k in ("source", "vocab_md5", "hidden_size", "num_hidden_layers",
                                                           "intermediate_size", "word_rows_packed")}
    data_path = os.path.join(work, "teacher-data.pt")
    torch.save({"train": tuple(t.cpu() for t in train_t), "dev": tuple(t.cpu() for t in dev_t),
                "teacher_state": teacher_state}, data_path)
    ctx = torch.multiprocessing.get_context("spawn")
    pool = ctx.Pool(2 if args.smoke else args.workers)
    epochs = 1 if args.smoke else args.teacher_epochs
    grid_deadline = t_start + 0.35 * args.budget
    per_epoch = (len(train_t[0]) + 31) // 32
    jobs = [{"name": "teacher", "init": "minilm", "init_path": None, "arch": "teacher", "lr": lr, "seed": s,
             "epochs": epochs, "data": data_path, "device": device, "deadline": grid_deadline,
             "eval_every": max(1, per_epoch // 2), "state_path": os.path.join(work, f"teacher-{lr:g}-{s}.pt")}
            for lr in (2e-5, 3e-5, 5e-5, 8e-5) for s in (0, 1, 2)]
    if args.smoke:
        jobs = jobs[:2]
    log(f"teacher fine-tuning: {len(jobs)} runs ({epochs} epochs, word embeddings frozen)")
    grid = pool.map(_grid_worker, jobs)
    for g in grid:
        log(f"  teacher lr {g['lr']} seed {g['seed']}: {g.get('log') or g.get('error')}")
        g.pop("log", None)
    ok = sorted((g for g in grid if "error" not in g), key=lambda g: -g["best_dev"])
    if not ok:
        raise RuntimeError(f"every teacher run failed: {[g.get('error') for g in grid]}")
    results["teacher_grid"] = grid

    # 3. The distillation set and the ensemble's labels.
    exclude = {r["text"] for r in split["dev"] + split["test"]}
    sentences = review_sentences(reviews, exclude)
    train_texts = [r["text"] for r in split["train"]]
    words = candidate_words(tok, train_texts + sentences)
    near = neighbours(teacher_state[WORD_EMB], sorted(words), k=8, device=device)
    augmented = augment(train_texts, tok, near, copies=1 if args.smoke else args.augment_copies, seed=0,
                        exclude=exclude | set(sentences))
    unl_texts = sentences + augmented
    unl_t = tensors_of(unl_texts)
    states = [{**torch.load(g["state_path"]), "_config": teacher_cfg} for g in ok[:5]]
    probs = teacher_probs(states, [dev_t, unl_t, train_t, test_t], device)
    members = [(f"teacher-{g['lr']:g}-{g['seed']}", p[:3]) for g, p in zip(ok, probs)]
    texts = lambda k: [r["text"] for r in split[k]]
    bow = [torch.tensor(bow_predict(t), dtype=torch.float32, device=device)
           for t in (texts("dev"), unl_texts, train_texts)]
    (t_dev, t_unl, t_train), info = choose_teacher(members, bow, dev_t[3], log)
    best_single = ok[0]
    results["teacher"] = {
        "best_single": {"lr": best_single["lr"], "seed": best_single["seed"], "epoch": best_single["best_epoch"],
                        "dev": accuracy(probs[0][0], dev_t[3]), "test": accuracy(probs[0][3], test_t[3])},
        "ensemble": {**info, "train_agreement": agreement(t_train, train_t[3])},
        "mean_dev_of_runs": round(float(np.mean([g["best_dev"] for g in ok])), 4),
        "review_sentences": len(sentences), "augmented": len(augmented), "replaceable_words": len(words)}
    if not info["bow"]:
        k = info["k"]
        ens_test = sum(p[3] for p in probs[:k]) / k
        results["teacher"]["ensemble"]["test"] = accuracy(ens_test, test_t[3])
    log(f"teacher: {results['teacher']}")

    targets = torch.cat([soft_targets_with_labels(t_train, train_t[3]), t_unl]).cpu()
    rows = tuple(torch.cat([a, b]).cpu() for a, b in zip(train_t[:3], unl_t)) + (targets.argmax(-1),)
    kd_path = os.path.join(work, "kd.pt")
    word_rows = torch.nonzero(teacher_state[WORD_EMB].abs().sum(1) > 0).flatten()
    torch.save({"distill": rows, "targets": targets, "dev": tuple(t.cpu() for t in dev_t),
                "teacher_best": states[0], "word_rows": word_rows}, kd_path)

    # 4. Students.
    left = deadline - time.time()
    common = {"data": kd_path, "device": device, "batch": 16 if args.smoke else 128,
              "stage1_epochs": 1 if args.smoke else 4, "stage2_epochs": 1 if args.smoke else 4,
              "stage1_deadline": time.time() + 0.55 * left, "deadline": deadline}
    kd_jobs = [{**common, "name": f"student-{i}", "lr1": lr1, "lr2": lr2, "seed": seed,
                "state_path": os.path.join(work, f"student-{i}.pt")}
               for i, (lr1, lr2, seed) in enumerate([(3e-4, 1e-4, 0), (3e-4, 5e-5, 1), (5e-4, 1e-4, 2),
                                                     (1e-4, 1e-4, 3), (3e-4, 2e-4, 4), (5e-4, 5e-5, 5)])]
    if args.smoke:
        kd_jobs = kd_jobs[:1]
    log(f"distillation: {len(rows[0])} rows ({len(train_texts)} train, {len(sentences)} review sentences, "
        f"{len(augmented)} augmented), {len(kd_jobs)} students, {left:.0f}s left")
    students = pool.map(kd_worker, kd_jobs)
    pool.close()
    pool.join()
    for g in students:
        log(f"  {g['name']} seed {g['seed']}: dev {g.get('dev_by_eval')} {g.get('log') or g.get('error', '')}")
        if "traceback" in g:
            log(g["traceback"])
    results["students"] = students
    ok_students = sorted((g for g in students if "error" not in g), key=lambda g: -g["best_dev"])
    if not ok_students:
        raise RuntimeError("every student failed")
    best = ok_students[0]
    log(f"chosen {best['name']} (lr1 {best['lr1']}, lr2 {best['lr2']}, seed {best['seed']}) dev {best['best_dev']:.4f}")
    model = new_classifier(None, 0)
    model.load_state_dict(torch.load(best["state_path"]))
    model.to(device)
    torch_acc = {k: accuracy(predict(model, *t[:3]), t[3]) for k, t in (("dev", dev_t), ("test", test_t))}
    results["chosen"] = {k: best[k] for k in ("name", "lr1", "lr2", "seed", "best_epoch")} | {"torch_fp32": torch_acc}
    results["students_mean_dev"] = round(float(np.mean([g["best_dev"] for g in ok_students])), 4)
    log(f"chosen student, PyTorch fp32: {torch_acc}")

    # The best single teacher's fine-tuned weights for the app (word embeddings stay the package's).
    teacher_out = {k: v.half().numpy() for k, v in torch.load(ok[0]["state_path"]).items()
                   if k != WORD_EMB and v.dtype.is_floating_point}
    np.savez(os.path.join(args.out, "teacher-finetuned.npz"), **teacher_out)

    ship_model(model, args, split, tok, max_len, dev_t, test_t, results, log, t_start)


def ship_model(model, args, split, tok, max_len, dev_t, test_t, results, log, t_start):
    import onnxruntime

    if os.path.exists(args.old_model):
        old = onnxruntime.InferenceSession(args.old_model, providers=["CPUExecutionProvider"])
        results["previous_model"] = {
            name: float((old.run(["logits"], {"input_ids": t[0].cpu().numpy(), "attention_mask": t[1].cpu().numpy(),
                                              "token_type_ids": t[2].cpu().numpy()})[0].argmax(-1)
                         == t[3].cpu().numpy()).mean())
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
    results["onnx"] = {"file": MODEL_FILE, "bytes": size,
                       "sha256": hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
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
