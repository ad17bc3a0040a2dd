"""Writes tests/fixtures/model/tokenizer-fixture.json: the reference token ids that the Rust
`tokenizers` library (Python bindings) gives for public/tokenizer/tokenizer.json.
Usage: python3 scripts/train/make_tokenizer_fixture.py <tokenizer.json> <out.json>"""
import json
import sys

import tokenizers
from tokenizers import Tokenizer

from fixture_sentences import TOKENIZER_SENTENCES


def build(tokenizer_path):
    tok = Tokenizer.from_file(tokenizer_path)
    cases = []
    for text in TOKENIZER_SENTENCES:
        enc = tok.encode(text)
        cases.append({"text": text, "ids": enc.ids, "tokens": enc.tokens, "typeIds": enc.type_ids})
    return {"generator": f"python tokenizers {tokenizers.__version__}", "cases": cases}


if __name__ == "__main__":
    tokenizer_path, out_path = sys.argv[1:3]
    fixture = build(tokenizer_path)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"tokenizer fixture: {len(fixture['cases'])} cases -> {out_path}")
