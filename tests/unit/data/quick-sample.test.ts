import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseJsonl, type Dataset } from '../../../src/core/data/dataset';
import { quickSample, quickSampleIndices } from '../../../src/core/data/quick-sample';

/** n sentences of growing length; labels from `labelOf`. */
function synthetic(n: number, labelOf: (i: number) => number, labelCount: number): Dataset {
  return {
    texts: Array.from({ length: n }, (_, i) => 'w '.repeat(1 + ((i * 7) % 23))),
    labels: Int32Array.from({ length: n }, (_, i) => labelOf(i)),
    labelCount,
  };
}

describe('the quick sample', () => {
  it('is fixed, ascending, and keeps the label mix of the set', () => {
    const dev = parseJsonl(readFileSync('public/data/dev.jsonl', 'utf8'));
    const idx = quickSampleIndices(dev, 48);
    expect(quickSampleIndices(dev, 48)).toEqual(idx);
    expect(new Set(idx).size).toBe(48);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    // The shipped dev split is 250/250: 24 of each (its first 48 sentences hold 18 positive ones).
    expect(idx.filter((i) => dev.labels[i] === 1)).toHaveLength(24);
    // Spread over lengths: its mean length is the split's within 15%.
    const mean = (ids: number[]) => ids.reduce((a, i) => a + dev.texts[i].length, 0) / ids.length;
    const all = dev.texts.map((_, i) => i);
    expect(Math.abs(mean(idx) / mean(all) - 1)).toBeLessThan(0.15);
    const s = quickSample(dev, 48);
    expect(s.texts).toEqual(idx.map((i) => dev.texts[i]));
    expect(Array.from(s.labels)).toEqual(idx.map((i) => dev.labels[i]));
  });

  it('allocates by label share, by largest remainder', () => {
    const d = synthetic(100, (i) => (i < 50 ? 0 : i < 80 ? 1 : 2), 3); // 50 / 30 / 20
    const idx = quickSampleIndices(d, 11); // 5.5 / 3.3 / 2.2 -> 6 / 3 / 2
    expect([0, 1, 2].map((l) => idx.filter((i) => d.labels[i] === l).length)).toEqual([6, 3, 2]);
  });

  it('draws every sentence of a label with the same probability (no bias), over seeds', () => {
    const d = synthetic(30, (i) => (i % 3 === 0 ? 1 : 0), 2); // 20 of label 0, 10 of label 1
    const seen = new Float64Array(30);
    const seeds = 3000;
    for (let seed = 1; seed <= seeds; seed++) for (const i of quickSampleIndices(d, 6, seed)) seen[i]++;
    // 6 = 4 of label 0 (p = 4/20) + 2 of label 1 (p = 2/10): every sentence p = 0.2
    for (const count of seen) expect(Math.abs(count / seeds - 0.2)).toBeLessThan(0.04);
  });

  it('is the whole set when asked for as many sentences or more; refuses n < 1', () => {
    const d = synthetic(10, (i) => i % 2, 2);
    expect(quickSampleIndices(d, 10)).toEqual([...Array(10).keys()]);
    expect(quickSample(d, 64).texts).toHaveLength(10);
    expect(() => quickSampleIndices(d, 0)).toThrow(/n >= 1/);
  });
});
