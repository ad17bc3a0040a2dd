"""Masked-LM pretraining from scratch on in-domain text: the 1,500 full reviews of Pang & Lee
polarity v2.0 plus the training sentences (never dev or test)."""
import math
import time

import numpy as np
import torch
from transformers import BertForMaskedLM

from model import tinybert_config

CLS, SEP, MASK, PAD = 101, 102, 103, 0
FIRST_WORD_ID = 999  # ids below are [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]


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


def mask_tokens(ids, gen, prob=0.15):
    """BERT masking: 15% of the non-special tokens; of those 80% [MASK], 10% random, 10% kept.
    torch.where only: no boolean indexing, so no host sync."""
    special = (ids == CLS) | (ids == SEP) | (ids == PAD)
    chosen = (torch.rand(ids.shape, generator=gen, device=ids.device) < prob) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape, generator=gen, device=ids.device)
    rand_ids = torch.randint(FIRST_WORD_ID, 30522, ids.shape, generator=gen, device=ids.device)
    out = torch.where(chosen & (r < 0.8), torch.full_like(ids, MASK), ids)
    return torch.where(chosen & (r >= 0.8) & (r < 0.9), rand_ids, out), labels


def pretrain_mlm(tok, documents, steps, fractions, log, seed=0, block_len=128, batch=128, lr=1e-3,
                 device="cuda", max_seconds=None):
    """Returns {fraction: encoder state dict (CPU)} after each fraction of the steps, and a
    summary. If the first 50 steps show that `steps` would take longer than max_seconds, the
    step count is reduced once, before the schedule matters much (logged and reported)."""
    torch.manual_seed(seed)
    blocks, n_tokens = build_blocks(tok, documents, block_len, seed)
    log(f"MLM corpus: {len(documents)} documents, {n_tokens} tokens, {len(blocks)} blocks of {block_len}")
    model = BertForMaskedLM(tinybert_config()).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), eps=1e-6)
    plan = {"steps": steps, "warmup": max(1, steps // 16)}
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(
        (s + 1) / plan["warmup"], max(0.0, (plan["steps"] - s) / max(1, plan["steps"] - plan["warmup"]))))
    data = torch.from_numpy(blocks).to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    perm_gen = torch.Generator(device=device).manual_seed(seed + 1)
    order, pos = torch.randperm(len(data), generator=perm_gen, device=device), 0
    saved, losses, t0 = {}, [], time.time()
    model.train()
    requested, step = steps, 0
    while step < plan["steps"]:
        step += 1
        steps = plan["steps"]
        if step == 51 and max_seconds and device == "cuda":
            torch.cuda.synchronize()
            per_step = (time.time() - t0) / 50
            if per_step * steps > max_seconds:
                plan["steps"] = steps = max(100, int(max_seconds / per_step))
                log(f"  mlm: {per_step * 1000:.0f} ms/step; steps cut from {requested} to {steps} to fit {max_seconds}s")
        if pos + batch > len(order):
            order, pos = torch.randperm(len(data), generator=perm_gen, device=device), 0
        ids, labels = mask_tokens(data[order[pos: pos + batch]], gen)
        pos += batch
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
            # The vocabulary head only on the masked positions (15%): most of the step's cost otherwise.
            hidden = model.bert(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            picked = labels != -100
            logits = model.cls(hidden[picked])
        loss = torch.nn.functional.cross_entropy(logits.float(), labels[picked])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item() if step % 50 == 0 or step == steps else float("nan"))
        if step % 250 == 0 or step == steps:
            recent = [x for x in losses[-250:] if not math.isnan(x)]
            log(f"  mlm step {step}/{steps} loss {np.mean(recent):.3f} ({time.time() - t0:.0f}s)")
        for f in fractions:
            if step == max(1, round(f * plan["steps"])):
                saved[f] = {k: v.detach().cpu().clone() for k, v in model.bert.state_dict().items()}
    summary = {"steps": steps, "requested_steps": requested, "checkpoint_steps": [max(1, round(f * steps)) for f in fractions], "blocks": int(len(blocks)), "tokens": int(n_tokens), "block_len": block_len,
               "batch": batch, "lr": lr, "epochs": round(steps * batch / len(blocks), 1),
               "final_loss": round(float(losses[-1]), 3), "seconds": round(time.time() - t0, 1)}
    return saved, summary
