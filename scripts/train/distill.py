"""Knowledge distillation data: unlabeled in-domain sentences (cut from the 1,500 full reviews,
never dev/test) labelled with the probabilities of an ensemble of fine-tuned models (optionally
with the bag-of-words model), so that one shipped model can learn what the ensemble knows."""
import re

import numpy as np
import torch

from finetune import new_classifier, predict

SENTENCE_END = re.compile(r"(?<= [.!?]) ")


def review_sentences(reviews, exclude, min_words=4, max_words=60):
    """The reviews are tokenised with spaces (' . ' ends a sentence). Deduplicated, without any
    sentence in `exclude` (the dev/test texts)."""
    seen, out = set(exclude), []
    for text in reviews:
        for s in SENTENCE_END.split(text):
            s = s.strip()
            if min_words <= len(s.split()) <= max_words and s not in seen:
                seen.add(s)
                out.append(s)
    return out


@torch.no_grad()
def ensemble_probs(states, tensors, device):
    """Mean softmax of the models (classifier state dicts) on each (ids, mask, types) tuple."""
    sums = [None] * len(tensors)
    for state in states:
        model = new_classifier(state, 0).to(device)
        for i, t in enumerate(tensors):
            p = torch.softmax(predict(model, *t[:3], batch=1000), -1)
            sums[i] = p if sums[i] is None else sums[i] + p
        del model
    return [s / len(states) for s in sums]


def choose_teacher(members, bow_probs, dev_labels, log):
    """members: [(name, [probs per tensor set])] sorted best-first by dev; index 0 of each
    probs list is dev. Tries the top-k ensembles (k = 1, 3, 5, all) with and without the BoW
    model (equal weight to one member); returns the best by dev accuracy as (probs list, info)."""
    best, tried = None, []
    for k in sorted({1, 3, 5, len(members)}):
        if k > len(members):
            continue
        for with_bow in (False, True):
            chosen = [m[1] for m in members[:k]] + ([bow_probs] if with_bow else [])
            probs = [sum(c[i] for c in chosen) / len(chosen) for i in range(len(chosen[0]))]
            acc = float((probs[0].argmax(-1) == dev_labels).float().mean())
            tried.append({"k": k, "bow": with_bow, "dev": round(acc, 4)})
            if best is None or acc > best[1]["dev"] + 1e-9:
                best = (probs, {"k": k, "bow": with_bow, "dev": acc, "members": [m[0] for m in members[:k]]})
    log(f"teacher ensembles by dev: {tried}; chosen {best[1]}")
    return best[0], {**best[1], "tried": tried}


def agreement(probs, labels):
    return float((probs.argmax(-1) == labels).float().mean())


def soft_targets_with_labels(probs, labels, weight=0.5):
    """For labelled rows: a mix of the one-hot label and the teacher's probabilities."""
    onehot = torch.nn.functional.one_hot(labels, 2).float()
    return weight * onehot + (1 - weight) * probs


def to_tensor(x, device):
    return torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
