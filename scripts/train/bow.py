"""Bag-of-words logistic regression: the floor the transformer must beat on the same split."""
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression


def bow_baseline(train, dev, test, log):
    texts = lambda rows: [r["text"] for r in rows]
    labels = lambda rows: [r["label"] for r in rows]
    best = None
    results = []
    for ngrams in [(1, 1), (1, 2)]:
        # The corpus is already tokenised with spaces; keep punctuation and clitics ('s, n't).
        vec = CountVectorizer(binary=True, lowercase=True, token_pattern=r"\S+", ngram_range=ngrams)
        xtr = vec.fit_transform(texts(train))
        xdv, xte = vec.transform(texts(dev)), vec.transform(texts(test))
        for c in [0.03, 0.1, 0.3, 1.0, 3.0, 10.0]:
            clf = LogisticRegression(C=c, max_iter=5000, solver="liblinear").fit(xtr, labels(train))
            r = {"ngrams": list(ngrams), "C": c,
                 "dev": float(clf.score(xdv, labels(dev))), "test": float(clf.score(xte, labels(test)))}
            results.append(r)
            if best is None or r["dev"] > best["dev"]:
                best = r
    log(f"BoW logistic regression, best by dev: {best}")
    return {"best": best, "grid": results}


def bow_model(train, best):
    """The best-by-dev BoW configuration refitted: returns predict_proba(texts) -> [n, 2]."""
    vec = CountVectorizer(binary=True, lowercase=True, token_pattern=r"\S+", ngram_range=tuple(best["ngrams"]))
    clf = LogisticRegression(C=best["C"], max_iter=5000, solver="liblinear")
    clf.fit(vec.fit_transform([r["text"] for r in train]), [r["label"] for r in train])
    return lambda texts: clf.predict_proba(vec.transform(texts))
