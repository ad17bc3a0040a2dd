"""TinyBERT task-specific distillation (Jiao et al. 2020) of the 4-layer, 312-wide student from
the fine-tuned 6-layer, 384-wide teacher, in two stages over the same text (training sentences,
review sentences, augmented copies; never dev/test):
  1. intermediate layers: embedding output and hidden states (student layer m <- teacher layer
     LAYER_MAP[m], through a learned 312 -> 384 projection) by MSE, attention probabilities of
     the mapped layers by KL (both have 12 heads);
  2. prediction layer: soft cross-entropy against the teacher ensemble's probabilities (for the
     training sentences half label, half teacher), best point by dev.
The student's word, position and token-type embeddings start as the teacher's projected onto
their top 312 principal directions (the same projection initialises stage 1's maps), so the
student starts with the teacher's word knowledge instead of random vectors."""
import time

import torch
from torch import nn

from transformers import BertForSequenceClassification

from finetune import accuracy, predict
from model import tinybert_config
from teacher import teacher_classifier

LAYER_MAP = (2, 3, 5, 6)  # teacher hidden_states index for student layers 1..4 (0 = embeddings): round(1.5 m)


def pca_projection(table, rows, dim):
    """[hidden_t, dim] orthonormal columns: the top principal directions of the used rows."""
    x = table[rows].double()
    x = x - x.mean(0, keepdim=True)
    _, _, v = torch.linalg.svd(x, full_matrices=False)
    return v[:dim].T.float().contiguous()


def student_from_teacher(teacher_state, rows, seed):
    """A fresh TinyBERT whose embeddings are the teacher's projected to 312 dims; returns (model, P)."""
    cfg = tinybert_config()
    cfg._attn_implementation = "eager"  # stage 1 reads the attention probabilities
    torch.manual_seed(seed)
    student = BertForSequenceClassification(cfg)
    hidden = student.config.hidden_size
    table = teacher_state["bert.embeddings.word_embeddings.weight"]
    proj = pca_projection(table, rows, hidden)
    emb = student.bert.embeddings
    with torch.no_grad():
        for name, module in (("word_embeddings", emb.word_embeddings), ("position_embeddings", emb.position_embeddings),
                             ("token_type_embeddings", emb.token_type_embeddings)):
            module.weight.copy_(teacher_state[f"bert.embeddings.{name}.weight"] @ proj)
    return student, proj


def masked_mse(a, b, mask):
    """Squared error averaged over valid tokens and features."""
    m = mask.unsqueeze(-1).float()
    return ((a - b) ** 2 * m).sum() / (m.sum() * a.shape[-1])


def attention_kl(t_att, s_att, mask):
    """KL(teacher || student) per query row over keys, mean over valid query rows and heads."""
    kl = (t_att * (torch.log(t_att.clamp_min(1e-9)) - torch.log(s_att.clamp_min(1e-9)))).sum(-1)  # [b, h, q]
    m = mask[:, None, :].float()
    return (kl * m).sum() / (m.sum() * kl.shape[1])


def kd_worker(job):
    """One student: stage 1 for job['stage1_epochs'], then stage 2 until its epochs or the deadline.
    Returns a summary (best dev state saved to job['state_path'])."""
    import traceback

    t0 = time.time()
    try:
        torch.manual_seed(job["seed"])
        device = job["device"]
        data = torch.load(job["data"])
        rows = tuple(t.to(device) for t in data["distill"])  # ids, mask, types, hard labels
        targets = data["targets"].to(device)
        dev = tuple(t.to(device) for t in data["dev"])
        teacher_state = data["teacher_best"]
        teacher = teacher_classifier(teacher_state, 0, eager_attention=True).to(device).eval()
        student, proj = student_from_teacher(teacher_state, data["word_rows"], job["seed"])
        student.to(device).eval()  # stage 1 without dropout: the maps compare like with like
        maps = nn.ModuleList(nn.Linear(student.config.hidden_size, teacher.config.hidden_size, bias=False)
                             for _ in range(len(LAYER_MAP) + 1)).to(device)
        with torch.no_grad():
            for m in maps:
                m.weight.copy_(proj.to(device))
        log, n, batch = [], len(rows[0]), job["batch"]
        gen = torch.Generator(device=device).manual_seed(job["seed"])

        def batches(epochs):
            for _ in range(epochs):
                order = torch.randperm(n, generator=gen, device=device)
                for i in range(0, n - batch + 1, batch):
                    yield order[i:i + batch]

        def optimiser(params, lr, steps):
            opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, fused=device == "cuda")
            warmup = max(1, steps // 10)
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
            return opt, sched

        # Stage 1: intermediate layers.
        steps1 = job["stage1_epochs"] * (n // batch)
        opt, sched = optimiser(list(student.parameters()) + list(maps.parameters()), job["lr1"], steps1)
        stage1_end = job["stage1_deadline"]
        losses = []
        for step, idx in enumerate(batches(job["stage1_epochs"])):
            ids, mask, types = rows[0][idx], rows[1][idx], rows[2][idx]
            width = int(mask.sum(1).max())
            ids, mask, types = ids[:, :width], mask[:, :width], types[:, :width]
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                with torch.no_grad():
                    t_out = teacher.bert(input_ids=ids, attention_mask=mask, token_type_ids=types,
                                         output_hidden_states=True, output_attentions=True)
                s_out = student.bert(input_ids=ids, attention_mask=mask, token_type_ids=types,
                                     output_hidden_states=True, output_attentions=True)
            loss = masked_mse(maps[0](s_out.hidden_states[0].float()), t_out.hidden_states[0].float(), mask)
            for m, t_layer in enumerate(LAYER_MAP, start=1):
                loss = loss + masked_mse(maps[m](s_out.hidden_states[m].float()), t_out.hidden_states[t_layer].float(),
                                         mask)
                loss = loss + attention_kl(t_out.attentions[t_layer - 1].float(), s_out.attentions[m - 1].float(), mask)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            sched.step()
            if step % 100 == 0:
                losses.append(round(loss.item(), 4))
            if time.time() > stage1_end:
                log.append(f"stage 1 stopped by its deadline at step {step + 1}/{steps1}")
                break
        del teacher, maps, opt
        stage1_seconds = round(time.time() - t0, 1)

        # Stage 2: prediction layer, best by dev.
        per_epoch = n // batch
        steps2 = job["stage2_epochs"] * per_epoch
        opt, sched = optimiser([p for p in student.parameters()], job["lr2"], steps2)
        eval_every = max(1, per_epoch // job.get("evals_per_epoch", 3))
        best, curve = None, []
        for step, idx in enumerate(batches(job["stage2_epochs"]), start=1):
            student.train()
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                logits = student(input_ids=rows[0][idx], attention_mask=rows[1][idx],
                                 token_type_ids=rows[2][idx]).logits
            loss = -(targets[idx] * torch.log_softmax(logits.float(), -1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            sched.step()
            done = time.time() > job["deadline"]
            if step % eval_every == 0 or step == steps2 or done:
                acc = accuracy(predict(student, *dev[:3]), dev[3])
                curve.append(round(acc, 4))
                if best is None or acc > best["dev"]:
                    best = {"dev": acc, "epoch": round(step / per_epoch, 2),
                            "state": {k: v.detach().cpu().clone() for k, v in student.state_dict().items()}}
            if done:
                log.append(f"stage 2 stopped by the deadline at step {step}/{steps2}")
                break
        torch.save(best.pop("state"), job["state_path"])
        return {**{k: job[k] for k in ("name", "lr1", "lr2", "seed", "state_path")}, "lr": job["lr2"],
                "init": "teacher-pca", "stage1_losses": losses, "stage1_seconds": stage1_seconds,
                "dev_by_eval": curve, "best_dev": best["dev"], "best_epoch": best["epoch"],
                "seconds": round(time.time() - t0, 1), "log": "; ".join(log)}
    except Exception as e:  # noqa: BLE001 - the other students carry on
        return {"name": job.get("name"), "seed": job.get("seed"), "lr": job.get("lr2"),
                "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(), "best_dev": -1.0}
