// public/tokenizer/tokenizer.json through @huggingface/tokenizers (the JS port used by the app)
// must give the ids that the Rust `tokenizers` library gives (tests/fixtures/model/
// tokenizer-fixture.json, made by scripts/train/make_tokenizer_fixture.py), and its vocabulary
// must be exactly bert-base-uncased's.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';

const read = (path: string) => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const tokenizerJson = read('public/tokenizer/tokenizer.json');
const tokenizerConfig = read('public/tokenizer/tokenizer_config.json');
const fixture: { cases: { text: string; ids: number[]; tokens: string[] }[] } = read(
  'tests/fixtures/model/tokenizer-fixture.json',
);
const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);

// Known divergence of the JS port: String.prototype.toLowerCase applies Unicode's Final_Sigma
// rule (word-final Σ -> ς), Rust lowercases character by character (Σ -> σ). Only this token differs.
const FINAL_SIGMA = { text: 'İstanbul ǅemal ß straße ΣΑΣ', python: '##σ', js: '##ς' };

describe('tokenizer.json matches the Python tokenizers reference', () => {
  it('has the bert-base-uncased vocabulary (vocab.txt md5)', () => {
    const vocab: Record<string, number> = tokenizerJson.model.vocab;
    const byId: string[] = [];
    for (const [token, id] of Object.entries(vocab)) byId[id] = token;
    expect(byId.length).toBe(30522);
    const md5 = createHash('md5')
      .update(byId.join('\n') + '\n', 'utf8')
      .digest('hex');
    expect(md5).toBe('64800d5d8528ce344256daf115d4965e');
  });

  it('covers accents, punctuation, unknown words, emoji, long words and CJK', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(30);
    const all = fixture.cases.flatMap((c) => c.tokens);
    for (const t of ['cafe', 'naive', '[UNK]', '日', '!']) expect(all).toContain(t);
  });

  for (const c of fixture.cases.filter((x) => x.text !== FINAL_SIGMA.text)) {
    it(`ids of ${JSON.stringify(c.text.slice(0, 48))}`, () => {
      expect(tokenizer.encode(c.text).ids).toEqual(c.ids);
    });
  }

  it('differs from Python only in the final-sigma token', () => {
    const c = fixture.cases.find((x) => x.text === FINAL_SIGMA.text);
    expect(c).toBeDefined();
    const js = tokenizer.encode(c!.text).tokens;
    const expected = c!.tokens.slice();
    expect(expected.at(-2)).toBe(FINAL_SIGMA.python);
    expected[expected.length - 2] = FINAL_SIGMA.js;
    expect(js).toEqual(expected);
  });
});
