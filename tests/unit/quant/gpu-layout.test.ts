// core/quant/gpu-layout: the packed int8 rows (padded to 32 codes) and the HP kept-column layout,
// checked by doing the kernels' data movement on the CPU in both its word orders (X read as
// columns, four tokens a word, as int8-transpose writes it) and comparing with the integer HP
// reference, bit for bit.
import { describe, expect, it } from 'vitest';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import {
  hpInt8Layout,
  int8RowWords,
  intEpilogue,
  intHPLinear,
  NO_COLUMN,
  packInt8Rows,
  quantizeHP,
  quantizeRows,
} from '../../../src/core/quant';
import { rng } from '../../helpers/random-bert-model';

const randn = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const byteOf = (words: Uint32Array, b: number) => (words[b >> 2] >>> (8 * (b & 3))) & 0xff;
const signed = (b: number) => (b << 24) >> 24;

/** A magnitude-pruned HP matrix, its int8 codes, `tokens` quantized X rows and a bias. */
function hpCase(
  c: { out: number; in: number; tr: number; tc: number; sparsity: number },
  tokens: number,
  seed: number,
) {
  const hp = pruneMatrix(
    { name: 'w', out: c.out, in: c.in, weight: randn(c.out * c.in, seed) },
    { pattern: 'hp', sparsity: c.sparsity, split: 0.5, tr: c.tr, tc: c.tc, score: 'magnitude' },
  ).hp!;
  const xq = quantizeRows(randn(tokens * c.in, seed + 1), tokens, c.in, 8);
  return { hp, quant: quantizeHP(hp, 8), xq, bias: randn(c.out, seed + 2) };
}

describe('packed int8 rows', () => {
  it('pad every row with zero codes to whole groups of 32', () => {
    expect([1, 31, 32, 33, 312, 1200].map(int8RowWords)).toEqual([8, 8, 8, 16, 80, 304]);
    const codes = Int8Array.from({ length: 2 * 5 }, (_, i) => i - 4);
    const words = packInt8Rows(codes, 2, 5);
    expect(words.length).toBe(16);
    expect(Array.from({ length: 5 }, (_, c) => signed(byteOf(words, 32 + c)))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(words.subarray(2, 8))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('HP kept-column layout (dot4 and the transposed-X kernels)', () => {
  const cases = [
    { out: 45, in: 70, tr: 16, tc: 16, sparsity: 0.7 }, // ragged rows and columns
    { out: 64, in: 96, tr: 32, tc: 32, sparsity: 0.9 },
  ];
  for (const c of cases)
    for (const opts of [{ align: 4 }, { align: 32, rowMajor: true }])
      it(`X's kept columns times the codes: the HP reference (${c.tr}x${c.tc}, ${JSON.stringify(opts)})`, () => {
        const tokens = 6;
        const { hp, quant, xq, bias } = hpCase(c, tokens, 8);
        const lay = hpInt8Layout(hp, quant, opts);
        expect(lay.qp % opts.align).toBe(0);
        expect(lay.qp).toBeGreaterThanOrEqual(hp.m * hp.k);
        // X as columns: word (col, g) = column col of tokens 4g..4g+3 (int8-transpose.wgsl).
        const xw = int8RowWords(c.in);
        const xWords = packInt8Rows(xq.q as Int8Array, tokens, c.in);
        const tw = Math.ceil(tokens / 16) * 4;
        const xt = new Uint32Array(xw * 4 * tw);
        for (let col = 0; col < xw * 4; col++)
          for (let t = 0; t < tokens; t++) xt[col * tw + (t >> 2)] |= byteOf(xWords, t * xw * 4 + col) << (8 * (t & 3));
        const y = new Float32Array(tokens * c.out);
        for (let t = 0; t < tokens; t++)
          for (let tRow = 0; tRow < lay.tileRows; tRow++)
            for (let r = 0; r < c.tr && tRow * c.tr + r < c.out; r++) {
              let acc = 0;
              for (let qi = 0; qi < lay.qp; qi++) {
                const col = lay.cols[tRow * lay.qp + qi];
                const xv = col === NO_COLUMN ? 0 : signed(byteOf(xt, col * tw * 4 + t));
                const word =
                  'rowMajor' in opts
                    ? (tRow * c.tr + r) * (lay.qp / 4) + (qi >> 2)
                    : (tRow * (lay.qp / 4) + (qi >> 2)) * c.tr + r;
                acc += xv * signed(byteOf(lay.words, word * 4 + (qi & 3)));
              }
              const o = tRow * c.tr + r;
              y[t * c.out + o] = intEpilogue(acc, xq.scales[t], quant.scales[o], bias[o]);
            }
        expect(y).toEqual(intHPLinear(xq, hp, quant, bias));
      });
  it('refuses an alignment that is not a multiple of 4', () => {
    const { hp, quant } = hpCase(cases[0], 1, 8);
    expect(() => hpInt8Layout(hp, quant, { align: 6 })).toThrow(/multiple of 4/);
  });
});
