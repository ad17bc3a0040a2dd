"""Fine-tuning BertForSequenceClassification (TinyBERT-4L-312D) on the training split, with
dev accuracy after every epoch (or every `eval_every` steps); the best point's weights are kept.
The same loop distils: rows may carry soft targets (a teacher's probabilities) instead of labels."""
import time

import torch
from transformers import BertForSequenceClassification

from model import tinybert_config

WORD_EMB = "embeddings.word_embeddings.weight"


def make_classifier(arch, init_state, seed):
    """arch "tinybert": new_classifier; "teacher": the packed pretrained teacher (teacher.py)."""
    if arch == "teacher":
        from teacher import teacher_classifier
        return teacher_classifier(init_state, seed)
    return new_classifier(init_state, seed)


def new_classifier(init_state, seed):
    """init_state: None (random), an encoder state (BertModel: MLM; only the pooler may start
    fresh), {WORD_EMB: table} alone (PPMI word vectors; the rest random), or a whole
    classifier state (keys starting with 'bert.')."""
    torch.manual_seed(seed)
    model = BertForSequenceClassification(tinybert_config())
    if init_state is None:
        return model
    if any(k.startswith("bert.") for k in init_state):
        model.load_state_dict(init_state)
        return model
    missing, unexpected = model.bert.load_state_dict(init_state, strict=False)
    allowed = (lambda k: True) if set(init_state) == {WORD_EMB} else (lambda k: k.startswith("pooler."))
    if unexpected or any(not allowed(k) for k in missing):
        raise RuntimeError(f"encoder state mismatch: missing {missing}, unexpected {unexpected}")
    return model


@torch.no_grad()
def predict(model, ids, mask, types, batch=500):
    model.eval()
    out = []
    for i in range(0, len(ids), batch):
        out.append(model(input_ids=ids[i:i + batch], attention_mask=mask[i:i + batch],
                         token_type_ids=types[i:i + batch]).logits.float())
    return torch.cat(out)


def accuracy(logits, labels):
    return float((logits.argmax(-1) == labels).float().mean())


def finetune(init_state, train, dev, epochs, lr, seed, log, batch=32, device="cuda", deadline=None,
             eval_every=None, targets=None, label_smoothing=0.0, arch="tinybert"):
    """train/dev: (ids, mask, types, labels) tensors on `device`. targets: optional [n, 2]
    probabilities for the training rows (distillation: soft cross-entropy instead of labels).
    Stops early once time.time() passes `deadline` (after the current evaluation). Returns the
    best weights (CPU) by dev and the dev-accuracy curve."""
    model = make_classifier(arch, init_state, seed).to(device)
    trained = [p for p in model.parameters() if p.requires_grad]  # the teacher keeps its word embeddings
    decay = [p for p in trained if p.dim() > 1]
    no_decay = [p for p in trained if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, fused=device == "cuda")
    n = len(train[0])
    per_epoch = (n + batch - 1) // batch
    steps = epochs * per_epoch
    eval_every = eval_every or per_epoch
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    gen = torch.Generator(device=device).manual_seed(seed)
    curve, best, t0, step = [], None, time.time(), 0
    while step < steps:
        order = torch.randperm(n, generator=gen, device=device)
        for i in range(0, n, batch):
            model.train()
            idx = order[i:i + batch]
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                logits = model(input_ids=train[0][idx], attention_mask=train[1][idx],
                               token_type_ids=train[2][idx]).logits
            if targets is None:
                loss = torch.nn.functional.cross_entropy(logits.float(), train[3][idx], label_smoothing=label_smoothing)
            else:
                loss = -(targets[idx] * torch.log_softmax(logits.float(), -1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % eval_every == 0 or step == steps:
                dev_acc = accuracy(predict(model, *dev[:3]), dev[3])
                curve.append(round(dev_acc, 4))
                if best is None or dev_acc > best["dev"]:
                    best = {"dev": dev_acc, "epoch": round(step / per_epoch, 2), "step": step,
                            "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
                if deadline and time.time() > deadline:
                    log(f"  lr {lr:g} seed {seed}: deadline reached at step {step}/{steps}")
                    steps = step
            if step >= steps:
                break
    log(f"  lr {lr:g} seed {seed}: dev {curve} -> best {best['dev']:.4f} @ epoch {best['epoch']} "
        f"({time.time() - t0:.0f}s)")
    return best, curve


def _grid_worker(job):
    """One fine-tuning (or distillation) run in its own process; several share the GPU, as the
    runs are launch-bound. A failure comes back as {'error': ...}: the other runs carry on."""
    import traceback

    t0 = time.time()
    try:
        torch.set_num_threads(2)
        torch.use_deterministic_algorithms(True, warn_only=True)
        data = torch.load(job["data"])
        dev = job["device"]
        train = tuple(t.to(dev) for t in data[job.get("train_key", "train")])
        dev_t = tuple(t.to(dev) for t in data["dev"])
        targets = data[job["targets_key"]].to(dev) if job.get("targets_key") else None
        state = torch.load(job["init_path"]) if job["init_path"] else None
        if job.get("arch") == "teacher":
            state = data["teacher_state"]
        lines = []
        best, curve = finetune(state, train, dev_t, job["epochs"], job["lr"], job["seed"], lines.append, device=dev,
                               batch=job.get("batch", 32), deadline=job.get("deadline"),
                               eval_every=job.get("eval_every"), targets=targets,
                               label_smoothing=job.get("label_smoothing", 0.0), arch=job.get("arch", "tinybert"))
        torch.save(best.pop("state"), job["state_path"])
        return {**{k: job[k] for k in ("name", "init", "init_path", "lr", "seed", "state_path")}, "dev_by_eval": curve,
                "best_dev": best["dev"], "best_epoch": best["epoch"], "seconds": round(time.time() - t0, 1),
                "log": " ".join(lines)}
    except Exception as e:  # noqa: BLE001
        return {**{k: job.get(k) for k in ("name", "init", "lr", "seed")}, "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(), "best_dev": -1.0}
