"""Data augmentation for task-specific distillation (TinyBERT, Jiao et al. 2020, section 3.1):
new sentences made from the training sentences by replacing words with near neighbours in a
word-embedding space (here the teacher's own input embeddings). The copies carry no label: the
teacher labels them, so a replacement that flips the sentiment ("good" -> "bad") is still a
correct training example."""
import numpy as np
import torch


def candidate_words(tok, texts, min_count=2):
    """Whole words that are one word piece, alphabetic, seen min_count+ times: the replaceable ones
    and the pool of replacements (id -> word)."""
    counts = {}
    for e in tok.encode_batch(texts, add_special_tokens=False):
        for piece, word in zip(e.tokens, e.ids):
            if piece.isalpha() and len(piece) > 2:
                counts[word] = counts.get(word, 0) + 1
    ids = sorted(w for w, c in counts.items() if c >= min_count)
    return {i: tok.id_to_token(i) for i in ids}


@torch.no_grad()
def neighbours(table, word_ids, k=8, device="cuda"):
    """For each id in word_ids, its k nearest other ids among word_ids by cosine similarity."""
    ids = torch.tensor(word_ids, device=device)
    e = torch.nn.functional.normalize(table.to(device)[ids].float(), dim=-1)
    sim = e @ e.T
    sim.fill_diagonal_(-2.0)
    top = sim.topk(k, dim=-1).indices.cpu().numpy()
    return {int(word_ids[i]): [int(word_ids[j]) for j in row] for i, row in enumerate(top)}


def augment(texts, tok, near, copies, p_replace=0.3, seed=0, exclude=()):
    """copies new sentences per text: each replaceable word (a key of `near`) is swapped for one of
    its neighbours with probability p_replace. Duplicates, unchanged copies and any sentence in
    `exclude` (dev/test) are dropped."""
    rng = np.random.default_rng(seed)
    seen, out = set(texts) | set(exclude), []
    for text in texts:
        words = text.split()
        for _ in range(copies):
            new = []
            for w in words:
                wid = tok.token_to_id(w.lower())
                if wid in near and rng.random() < p_replace:
                    new.append(tok.id_to_token(near[wid][rng.integers(len(near[wid]))]))
                else:
                    new.append(w)
            s = " ".join(new)
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out
