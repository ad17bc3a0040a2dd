"""Word-embedding initialisation from corpus statistics: truncated SVD of the positive PMI
matrix of word-piece co-occurrences (Levy & Goldberg 2014; context smoothing alpha 0.75,
symmetric U * sqrt(S) weighting). Cheap (seconds on a GPU), and for a model trained on a few
thousand sentences it gives the word embeddings what pretraining would otherwise have to."""
import numpy as np
import torch

VOCAB = 30522


def cooccurrence_pairs(tok, documents, window):
    """(a, b, weight) for every ordered pair of word pieces at distance 1..window inside a
    document, weighted 1/distance (both directions, so the matrix is symmetric)."""
    a, b, w = [], [], []
    for e in tok.encode_batch(documents, add_special_tokens=False):
        x = np.asarray(e.ids, dtype=np.int64)
        for d in range(1, window + 1):
            if len(x) <= d:
                break
            a += [x[:-d], x[d:]]
            b += [x[d:], x[:-d]]
            w += [np.full(2 * (len(x) - d), 1.0 / d, dtype=np.float32)]
    return np.concatenate(a), np.concatenate(b), np.concatenate(w)


def ppmi_svd_embeddings(tok, documents, dim=312, window=5, min_count=3, max_words=20000,
                        alpha=0.75, row_norm=1.0, device="cuda", seed=0):
    """Returns ({"embeddings.word_embeddings.weight": [30522, dim] float32 CPU}, summary).
    Word pieces seen fewer than min_count times keep BERT's random N(0, 0.02) rows; the others
    get their SVD row rescaled to norm `row_norm` (random rows have norm 0.35, the position
    embeddings too: the corpus signal should dominate them at the start of training)."""
    counts = np.zeros(VOCAB, dtype=np.int64)
    for e in tok.encode_batch(documents, add_special_tokens=False):
        np.add.at(counts, np.asarray(e.ids, dtype=np.int64), 1)
    words = np.argsort(-counts, kind="stable")
    words = words[counts[words] >= min_count][:max_words]
    n = len(words)
    if n < dim + 16:
        raise ValueError(f"PPMI init needs at least {dim + 16} word pieces seen {min_count}+ times, got {n}")
    compact = np.full(VOCAB, -1, dtype=np.int64)
    compact[words] = np.arange(n)
    a, b, w = cooccurrence_pairs(tok, documents, window)
    a, b = compact[a], compact[b]
    keep = (a >= 0) & (b >= 0)
    key = torch.from_numpy(a[keep] * n + b[keep]).to(device)
    m = torch.bincount(key, weights=torch.from_numpy(w[keep]).to(device), minlength=n * n).float().reshape(n, n)
    del key
    total = m.sum()
    row = m.sum(1).clamp_min(1e-30)
    ctx = m.sum(0).pow(alpha)
    ctx = (ctx / ctx.sum()).clamp_min(1e-30)
    # pmi = log p(w,c) / (p(w) p_alpha(c)); PPMI keeps the positive part, zero where unseen.
    m = torch.log(m.div_(total).div_(row[:, None] / total).div_(ctx[None, :]).clamp_min_(1e-30)).clamp_min_(0.0)
    torch.manual_seed(seed)
    u, s, _ = torch.svd_lowrank(m, q=dim + 16, niter=4)
    vec = u[:, :dim] * s[:dim].sqrt()
    vec = vec / vec.norm(dim=1, keepdim=True).clamp_min(1e-8) * row_norm
    gen = torch.Generator().manual_seed(seed)
    table = torch.randn(VOCAB, dim, generator=gen) * 0.02
    table[torch.from_numpy(words)] = vec.float().cpu()
    table[0] = 0.0  # [PAD], as BERT's init
    summary = {"documents": len(documents), "tokens": int(counts.sum()), "words": int(n), "window": window,
               "min_count": min_count, "alpha": alpha, "dim": dim, "row_norm": row_norm,
               "nonzero_ppmi": int((m > 0).sum()), "top_singular_values": [round(float(x), 2) for x in s[:5]]}
    return {"embeddings.word_embeddings.weight": table}, summary


def nearest(table, tok, word, k=5):
    """The k nearest word pieces by cosine: a sanity check printed in the log."""
    i = tok.token_to_id(word)
    if i is None:
        return []
    t = torch.nn.functional.normalize(table, dim=1)
    sims = t @ t[i]
    return [tok.id_to_token(int(j)) for j in sims.topk(k + 1).indices[1:]]
