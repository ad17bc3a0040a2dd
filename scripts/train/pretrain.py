"""Masked-LM pretraining from scratch on in-domain text: the 1,500 full reviews of Pang & Lee
polarity v2.0 plus the training sentences (never dev or test), for a fixed wall-clock budget.

Fast path (the first version ran 53 ms/step at 128x128): no deterministic-algorithms mode, bf16
autocast, fused AdamW, a fixed number of masked positions per block chosen on the GPU (no
boolean indexing, so no host sync), the vocabulary head only on those positions, and a
time-based learning-rate schedule (warmup then linear decay over the budget), so the run
fits its seconds whatever else shares the GPU."""
import json
import math
import time

import numpy as np
import torch
from transformers import BertForMaskedLM

from model import tinybert_config

CLS, SEP, MASK, PAD = 101, 102, 103, 0
FIRST_WORD_ID = 999  # ids below are [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]
VOCAB = 30522


def build_blocks(tok, documents, block_len, seed):
    """Concatenates the documents' tokens (in a seeded order) and cuts them into
    [CLS] + (block_len-2) tokens + [SEP] blocks."""
    order = np.random.default_rng(seed).permutation(len(documents))
    stream = []
    for e in tok.encode_batch([documents[i] for i in order], add_special_tokens=False):
        stream.extend(e.ids)
        stream.append(SEP)  # a document boundary, as in BERT's packed sequences
    body = block_len - 2
    n = len(stream) // body
    blocks = np.array(stream[: n * body], dtype=np.int64).reshape(n, body)
    return np.concatenate([np.full((n, 1), CLS), blocks, np.full((n, 1), SEP)], axis=1), len(stream)


def mask_blocks(ids, gen, k):
    """BERT masking with exactly k positions per block (15% of the body), chosen among
    1..len-2; of those 80% [MASK], 10% a random word piece, 10% kept. Returns the corrupted
    ids, the positions [B, k] and the labels [B, k]."""
    b, length = ids.shape
    scores = torch.rand(b, length - 2, generator=gen, device=ids.device)
    pos = scores.topk(k, dim=1).indices + 1
    labels = ids.gather(1, pos)
    r = torch.rand(b, k, generator=gen, device=ids.device)
    rand_ids = torch.randint(FIRST_WORD_ID, VOCAB, (b, k), generator=gen, device=ids.device)
    new = torch.where(r < 0.8, torch.full_like(labels, MASK), torch.where(r < 0.9, rand_ids, labels))
    return ids.scatter(1, pos, new), pos, labels


def pretrain_mlm(tok, documents, seconds, log, save=None, seed=0, block_len=128, batch=256, lr=1e-3,
                 warmup=0.06, device="cuda", word_init=None):
    """Trains for `seconds` of wall clock. save: {fraction: path}; the encoder (BertModel state,
    CPU) is saved when that fraction of the budget has passed (1.0: at the end). word_init: an
    optional [30522, 312] table for the (tied) word embeddings. Returns a summary dict."""
    torch.manual_seed(seed)
    blocks, n_tokens = build_blocks(tok, documents, block_len, seed)
    log(f"MLM corpus: {len(documents)} documents, {n_tokens} tokens, {len(blocks)} blocks of {block_len}")
    model = BertForMaskedLM(tinybert_config()).to(device)
    if word_init is not None:
        with torch.no_grad():
            model.bert.embeddings.word_embeddings.weight.copy_(word_init.to(device))
    tied = model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), eps=1e-6, fused=device == "cuda")
    data = torch.from_numpy(blocks).to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    k = max(1, round(0.15 * (block_len - 2)))
    save = dict(save or {})
    saved, curve, losses = {}, [], []
    model.train()
    step, t0 = 0, time.time()
    while True:
        progress = (time.time() - t0) / seconds
        for f in sorted(save):
            if f < 1.0 and progress >= f and f not in saved:
                torch.save({n: v.detach().cpu().clone() for n, v in model.bert.state_dict().items()}, save[f])
                saved[f] = step
        if progress >= 1.0:
            break
        factor = min(progress / warmup, (1.0 - progress) / (1.0 - warmup))
        for g in opt.param_groups:
            g["lr"] = lr * max(factor, 0.0)
        idx = torch.randint(0, len(data), (batch,), generator=gen, device=device)
        ids, pos, labels = mask_blocks(data[idx], gen, k)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
            hidden = model.bert(input_ids=ids).last_hidden_state
            picked = hidden.gather(1, pos[..., None].expand(-1, -1, hidden.shape[-1]))
            logits = model.cls(picked)
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, VOCAB), labels.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0:
            losses.append(loss.detach())
        if step % 500 == 0:
            recent = float(torch.stack(losses[-20:]).mean())
            curve.append([step, round(time.time() - t0, 1), round(recent, 3)])
            log(f"  mlm step {step} loss {recent:.3f} ({time.time() - t0:.0f}s, {1000 * (time.time() - t0) / step:.1f} ms/step)")
    elapsed = time.time() - t0
    if 1.0 in save:
        torch.save({n: v.detach().cpu().clone() for n, v in model.bert.state_dict().items()}, save[1.0])
        saved[1.0] = step
    final = float(torch.stack(losses[-20:]).mean()) if losses else float("nan")
    return {"steps": step, "seconds": round(elapsed, 1), "ms_per_step": round(1000 * elapsed / max(1, step), 2),
            "saved_at_steps": {str(f): s for f, s in saved.items()}, "blocks": int(len(blocks)), "tokens": int(n_tokens),
            "block_len": block_len, "batch": batch, "masked_per_block": k, "lr": lr, "tied_decoder": tied,
            "word_init": word_init is not None, "epochs": round(step * batch / len(blocks), 1),
            "final_loss": round(final, 3), "curve": curve}


def mlm_worker(job):
    """Runs pretrain_mlm in its own process (beside the fine-tuning pool) and writes its summary
    to job['summary_path']; any failure is written there too, so the caller carries on."""
    from data import load_tokenizer

    torch.set_num_threads(2)
    lines = []

    def log(msg):
        lines.append(msg)
        print(f"[mlm] {msg}", flush=True)

    try:
        tok = load_tokenizer(job["tokenizer"])
        with open(job["docs_path"], encoding="utf-8") as f:
            documents = json.load(f)
        word_init = torch.load(job["word_init_path"])["embeddings.word_embeddings.weight"] if job.get("word_init_path") else None
        summary = pretrain_mlm(tok, documents, job["seconds"], log, save={float(k): v for k, v in job["save"].items()},
                               block_len=job["block_len"], batch=job["batch"], lr=job["lr"], device=job["device"],
                               word_init=word_init)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which continues without MLM
        import traceback
        summary = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    summary["log"] = lines
    with open(job["summary_path"], "w") as f:
        json.dump(summary, f)
    if math.isnan(summary.get("final_loss", 0.0)):
        print("[mlm] no loss recorded", flush=True)
