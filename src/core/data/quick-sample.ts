// The quick estimate's sentences: a fixed sample of a labelled set, stratified by label
// (proportional allocation) and, within a label, by length (systematic sampling over its
// sentences sorted by length, from a seeded start). Every sentence of a label is drawn with the
// same probability (its label's share of the sample), so the sample's accuracy is an unbiased
// estimate of the whole set's, and its label mix is the set's. The first n sentences of a file
// are no such sample: the shipped dev split's first 64 hold 24 positive sentences, not 32.
import { rng } from '../random';
import { takeFirst, type Dataset } from './dataset';

/** The seed of the page's quick sample (fixed: the same sentences on every visit and in the CLI). */
export const QUICK_SEED = 1;

/** Sentences per label: proportional to the label's count, rounded by largest remainder (sum n). */
function allocate(counts: number[], n: number, total: number): number[] {
  const exact = counts.map((c) => (c * n) / total);
  const take = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - take[i], i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0, left = n - take.reduce((a, b) => a + b, 0); k < left; k++) take[order[k][1]]++;
  return take;
}

/** Indices (ascending) of the quick sample of `n` sentences; all of them when n >= the set's size. */
export function quickSampleIndices(data: Dataset, n: number, seed = QUICK_SEED): number[] {
  const total = data.texts.length;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`The quick sample needs n >= 1 sentences, got ${n}.`);
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  const byLabel: number[][] = Array.from({ length: data.labelCount }, () => []);
  data.labels.forEach((label, i) => byLabel[label].push(i));
  const take = allocate(
    byLabel.map((g) => g.length),
    n,
    total,
  );
  const rand = rng(seed);
  const picked: number[] = [];
  byLabel.forEach((group, label) => {
    const k = take[label];
    if (k === 0) return;
    // Sorted by length (ties by position): a systematic sample spreads over short and long ones.
    const sorted = group.slice().sort((a, b) => data.texts[a].length - data.texts[b].length || a - b);
    const step = sorted.length / k;
    const start = rand() * step;
    for (let j = 0; j < k; j++) picked.push(sorted[Math.floor(start + j * step)]);
  });
  return picked.sort((a, b) => a - b);
}

/** The quick sample as a dataset (the sentences in the set's order). */
export function quickSample(data: Dataset, n: number, seed = QUICK_SEED): Dataset {
  if (n >= data.texts.length) return takeFirst(data);
  const idx = quickSampleIndices(data, n, seed);
  return {
    texts: idx.map((i) => data.texts[i]),
    labels: Int32Array.from(idx, (i) => data.labels[i]),
    labelCount: data.labelCount,
  };
}
