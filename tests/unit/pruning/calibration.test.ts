import { describe, expect, it } from 'vitest';
import { calibrationBatches, collectInputNorms, normsToJson } from '../../../src/core/pruning/calibration';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { referenceLayerNorm } from '../../../src/core/model/reference-forward';
import { randomBertModel, TINY_CONFIG } from '../../helpers/random-bert-model';

describe('calibration input norms', () => {
  const model = randomBertModel({}, 3);
  const { hidden } = TINY_CONFIG;
  const batch = { inputIds: [2, 7, 9, 4, 0, 0], attentionMask: [1, 1, 1, 1, 0, 0], batch: 2, seq: 3 };

  it('gives layer 0 Q/K/V the norms of the embedding output, over real tokens only', () => {
    const norms = collectInputNorms(model, [batch]);
    expect(norms).toHaveLength(prunableLinears(model).length);
    // By hand: x = LN(word + position + type) for the 4 real tokens.
    const expected = new Float64Array(hidden);
    const { word, position, tokenType, ln } = model.embeddings;
    for (const [r, pos] of [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 0],
    ]) {
      const id = batch.inputIds[r];
      const x = Float32Array.from(
        { length: hidden },
        (_, i) => word[id * hidden + i] + position[pos * hidden + i] + tokenType[i],
      );
      referenceLayerNorm(x, hidden, ln, TINY_CONFIG.layerNormEps);
      x.forEach((v, i) => (expected[i] += v * v));
    }
    for (const m of [0, 1, 2])
      for (let j = 0; j < hidden; j++) expect(norms[m][j]).toBeCloseTo(Math.sqrt(expected[j]), 4);
  });

  it('ignores padding: the same sentences padded longer give the same norms', () => {
    const short = collectInputNorms(model, [batch]);
    const padded = collectInputNorms(model, [
      { inputIds: [2, 7, 9, 0, 4, 0, 0, 0], attentionMask: [1, 1, 1, 0, 1, 0, 0, 0], batch: 2, seq: 4 },
    ]);
    short.forEach((n, m) => n.forEach((v, j) => expect(padded[m][j]).toBeCloseTo(v, 4)));
  });

  it('accumulates over batches and names every matrix in JSON', () => {
    const one = collectInputNorms(model, [batch]);
    const two = collectInputNorms(model, [batch, batch]);
    two.forEach((n, m) => n.forEach((v, j) => expect(v).toBeCloseTo(one[m][j] * Math.SQRT2, 4)));
    const json = normsToJson(model, one);
    expect(Object.keys(json)).toEqual(prunableLinears(model).map((l) => l.name));
    expect(json[prunableLinears(model)[4].name]).toHaveLength(TINY_CONFIG.hidden); // ffnIn reads hidden
    expect(json[prunableLinears(model)[5].name]).toHaveLength(TINY_CONFIG.ffn); // ffnOut reads ffn
  });

  it('refuses an empty calibration set', () => {
    expect(() => collectInputNorms(model, [])).toThrow(/at least one real token/);
  });
});

describe('calibration batches', () => {
  it('groups sentences of similar length and keeps every sentence', async () => {
    const { readTokenizer } = await import('../../../src/eval/node-assets');
    const tok = readTokenizer();
    const texts = [
      'a b c d e f g h',
      'short',
      'a much longer sentence than the others here',
      'two words',
      'three little words',
    ];
    const batches = calibrationBatches(tok, texts, 64, 2);
    expect(batches.map((b) => b.batch)).toEqual([2, 2, 1]);
    const lengths = batches.map((b) => b.seq);
    expect([...lengths].sort((a, b) => a - b)).toEqual(lengths);
    const real = batches.reduce((n, b) => n + Array.from(b.attentionMask).filter((m) => m === 1).length, 0);
    expect(real).toBe(texts.reduce((n, t) => n + tok.encode(t, 64).length, 0));
  });
});
