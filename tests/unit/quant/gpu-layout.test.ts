// core/quant/gpu-layout: the packed int8 rows (padded to 32 codes) and the HP stage layout of the
// subgroup-matrix kernel. The stage layout is checked by doing the kernel's data movement on the
// CPU (stage the kept tiles' spans of X, gather the slots, multiply with the stage's codes) and
// comparing with the integer HP reference, bit for bit; the kept-column layout the same way in
// both its word orders (X read as columns, four tokens a word, as int8-transpose writes it).
import { describe, expect, it } from 'vitest';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import {
  hpInt8Layout,
  hpInt8StageLayout,
  hpStageMetaWords,
  int8RowWords,
  intEpilogue,
  intHPLinear,
  NO_COLUMN,
  NO_SLOT,
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

describe('HP stage layout (subgroup-matrix kernel)', () => {
  const cases = [
    { out: 45, in: 70, tr: 16, tc: 16, sparsity: 0.7, tps: 3 }, // ragged rows and columns
    { out: 64, in: 96, tr: 32, tc: 32, sparsity: 0.9, tps: 3 },
    { out: 32, in: 160, tr: 32, tc: 64, sparsity: 0.2, tps: 1 }, // k > 32: 64-wide stages
  ];
  for (const c of cases)
    it(`stages and gathers give the integer HP reference (${c.out}x${c.in}, ${c.tr}x${c.tc}, ${c.sparsity})`, () => {
      const tokens = 5;
      const { hp, quant, xq, bias } = hpCase(c, tokens, 3);
      const lay = hpInt8StageLayout(hp, quant, c.tps);
      expect(lay.stageWidth % 32).toBe(0);
      expect(lay.tilesPerStage * hp.k).toBeLessThanOrEqual(lay.stageWidth);
      if (c.tc === 64) expect(lay.stageWidth).toBe(64);
      const xWords = packInt8Rows(xq.q as Int8Array, tokens, c.in);
      const xw = int8RowWords(c.in);
      const metaWords = hpStageMetaWords(lay);
      const rowWords = (lay.stages * lay.stageWidth) / 4;
      const y = new Float32Array(tokens * c.out);
      for (let t = 0; t < tokens; t++) {
        const xRow = xWords.subarray(t * xw, (t + 1) * xw);
        for (let tRow = 0; tRow < lay.tileRows; tRow++) {
          const acc = new Array<number>(c.tr).fill(0);
          for (let s = 0; s < lay.stages; s++) {
            const meta = lay.meta.subarray(
              (tRow * lay.stages + s) * metaWords,
              (tRow * lay.stages + s + 1) * metaWords,
            );
            // The staged spans: each tile's tc codes of the X row (zeros past the row's words).
            const span = new Uint8Array(lay.tilesPerStage * c.tc);
            for (let jj = 0; jj < lay.tilesPerStage; jj++) {
              if (meta[jj] === NO_COLUMN) continue;
              for (let b = 0; b < c.tc; b++) {
                const at = meta[jj] * 4 + b;
                span[jj * c.tc + b] = at < xw * 4 ? byteOf(xRow, at) : 0;
              }
            }
            for (let slot = 0; slot < lay.stageWidth; slot++) {
              const src = (meta[lay.tilesPerStage + (slot >> 2)] >>> (8 * (slot & 3))) & 0xff;
              const xv = src === NO_SLOT ? 0 : signed(span[src]);
              for (let r = 0; r < c.tr; r++) {
                const wordRow = lay.words.subarray((tRow * c.tr + r) * rowWords, (tRow * c.tr + r + 1) * rowWords);
                acc[r] += xv * signed(byteOf(wordRow, s * lay.stageWidth + slot));
              }
            }
          }
          for (let r = 0; r < c.tr && tRow * c.tr + r < c.out; r++) {
            const o = tRow * c.tr + r;
            y[t * c.out + o] = intEpilogue(acc[r], xq.scales[t], quant.scales[o], bias[o]);
          }
        }
      }
      expect(y).toEqual(intHPLinear(xq, hp, quant, bias));
    });

  it('refuses tiles the kernel cannot stage', () => {
    const hp = pruneMatrix(
      { name: 'w', out: 16, in: 24, weight: randn(16 * 24, 1) },
      { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
    ).hp!;
    expect(() => hpInt8StageLayout(hp, quantizeHP(hp, 8), 2)).toThrow(/tc must be a multiple of 16/);
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
