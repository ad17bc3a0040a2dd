"""Fine-tuning BertForSequenceClassification (TinyBERT-4L-312D) on the training split, with
dev accuracy after every epoch; the best epoch's weights are kept."""
import time

import torch
from transformers import BertForSequenceClassification

from model import tinybert_config


def new_classifier(encoder_state, seed):
    torch.manual_seed(seed)
    model = BertForSequenceClassification(tinybert_config())
    if encoder_state is not None:
        missing, unexpected = model.bert.load_state_dict(encoder_state, strict=False)
        # The MLM model has no pooler: only the pooler may start fresh.
        if unexpected or any(not k.startswith("pooler.") for k in missing):
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


def finetune(encoder_state, train, dev, epochs, lr, seed, log, batch=32, device="cuda"):
    """train/dev: (ids, mask, types, labels) tensors on `device`. Returns the best-epoch
    weights (CPU) and the per-epoch dev accuracy curve."""
    model = new_classifier(encoder_state, seed).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    n = len(train[0])
    steps = epochs * ((n + batch - 1) // batch)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    gen = torch.Generator(device=device).manual_seed(seed)
    curve, best, t0 = [], None, time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen, device=device)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                loss = model(input_ids=train[0][idx], attention_mask=train[1][idx],
                             token_type_ids=train[2][idx], labels=train[3][idx]).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        dev_acc = accuracy(predict(model, *dev[:3]), dev[3])
        curve.append(round(dev_acc, 4))
        if best is None or dev_acc > best["dev"]:
            best = {"dev": dev_acc, "epoch": epoch,
                    "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
    log(f"  lr {lr:g} seed {seed}: dev by epoch {curve} -> best {best['dev']:.4f} @ {best['epoch']} ({time.time() - t0:.0f}s)")
    return best, curve


def _grid_worker(job):
    """One fine-tuning run in its own process (runs are launch-bound, so several share the GPU)."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    data = torch.load(job["data"])
    dev = job["device"]
    train = tuple(t.to(dev) for t in data["train"])
    dev_t = tuple(t.to(dev) for t in data["dev"])
    state = torch.load(job["init_path"]) if job["init_path"] else None
    lines = []
    best, curve = finetune(state, train, dev_t, job["epochs"], job["lr"], job["seed"], lines.append, device=dev)
    torch.save(best.pop("state"), job["state_path"])
    return {**{k: job[k] for k in ("init", "lr", "seed", "state_path")}, "dev_by_epoch": curve,
            "best_dev": best["dev"], "best_epoch": best["epoch"], "log": lines[0]}


def run_grid(jobs, workers):
    ctx = torch.multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        return pool.map(_grid_worker, jobs)
