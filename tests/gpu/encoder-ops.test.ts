// The encoder's own WGSL ops (embeddings + LayerNorm, residual + LayerNorm, masked attention,
// pooler + classifier) against the CPU reference, on real WebGPU (Dawn + SwiftShader).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dawnGpu, nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu, GpuCapabilities } from '../../src/gpu/adapter';
import {
  createAddLayerNormColumnsKernel,
  createAddLayerNormInt8Kernel,
  createAddLayerNormKernel,
  createEmbeddingsKernel,
} from '../../src/gpu/encoder/row-ops';
import {
  DEFAULT_ATTENTION,
  autoAttentionVariant,
  createAttentionKernel,
  separateQkv,
} from '../../src/gpu/encoder/attention';
import { parseTiledVariant, tiledFits, TILED_ATTENTION_VARIANTS } from '../../src/gpu/encoder/attention-tiled';
import { blockedFits, parseBlockedVariant } from '../../src/gpu/encoder/attention-blocked';
import { parseSubgroupVariant, subgroupFits } from '../../src/gpu/encoder/attention-subgroup';
import { parseWholeVariant, wholeFits } from '../../src/gpu/encoder/attention-whole';
import { benchAttention } from '../../src/lab/attention-bench';
import { GpuLimitError } from '../../src/gpu/limits';
import { createHeadKernel, sumHeadShares } from '../../src/gpu/encoder/head';
import { createClsAttention } from '../../src/gpu/encoder/attention-cls';
import { createLinearAddLn } from '../../src/gpu/encoder/linear-addln';
import { concatF32, uploadBuffer } from '../../src/gpu/kernel';
import { referenceAttention, referenceLayerNorm, referenceLinear } from '../../src/core/model/reference-forward';
import { randomBatch, randomBertModel, rng } from '../helpers/random-bert-model';
import { decodeHP, keptInputs, type HPMatrix } from '../../src/core/formats/hp';
import { pruneMatrix } from '../../src/core/pruning';
import type { Linear } from '../../src/core/model/bert-types';
import { intAttention, intHPLinear, packInt8Rows, quantizeHP, quantizeRows, readMaskWords } from '../../src/core/quant';
import { createInt8GpuLinear } from '../../src/gpu/kernels/int8-gpu-linear';
import { createInt8HpLn } from '../../src/gpu/kernels/int8-hp-ln';
import { randomHP } from '../../src/gpu/kernels/random-hp';
import { createInt8AttentionKernel } from '../../src/gpu/encoder/attention-int8';
import { createInt8MatrixAttentionKernel } from '../../src/gpu/encoder/attention-int8-matrix';
import { withEmulatedSubgroupMatrix } from './subgroup-matrix-emulation';
import { int8ColumnWords } from '../../src/gpu/kernels/int8-transpose';

let device: GPUDevice;
let caps: GpuCapabilities;
let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
  ({ device, caps } = gpu);
});
/** The device as if it had i8 subgroup matrices (subgroup-matrix-emulation.ts). */
const emu = () => withEmulatedSubgroupMatrix(gpu);
// Free every buffer a test made before the next one (and before the worker exits: Dawn
// aborts when the process ends with work or buffers outstanding).
const made: GPUBuffer[] = [];
afterEach(async () => {
  await device.queue.onSubmittedWorkDone();
  for (const b of made.splice(0)) b.destroy();
});
afterAll(async () => {
  await device.queue.onSubmittedWorkDone();
});
function track<T extends GPUBuffer>(b: T): T {
  made.push(b);
  return b;
}

function uniform(words: number[], floats: Record<number, number> = {}): GPUBuffer {
  const data = new Uint32Array(4);
  data.set(words);
  const f = new Float32Array(data.buffer);
  for (const [i, v] of Object.entries(floats)) f[Number(i)] = v;
  const buf = track(device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }));
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}

function out(n: number): GPUBuffer {
  return track(
    device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    }),
  );
}

async function read(buf: GPUBuffer, n: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return r;
}

function up(label: string, data: Float32Array | Uint32Array, usage = 0): GPUBuffer {
  return track(uploadBuffer(device, data, label, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | usage));
}

function bind(pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

function submit(run: (pass: GPUComputePassEncoder) => void): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  run(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** LayerNorm(x + the `parts` blocks of a) on the CPU: what the residual + LayerNorm kernels store. */
function residualLayerNorm(
  x: Float32Array,
  a: Float32Array,
  parts: number,
  hidden: number,
  ln: { gamma: Float32Array; beta: Float32Array },
): Float32Array {
  const n = x.length;
  const expected = x.map((v, i) => {
    let s = v;
    for (let p = 0; p < parts; p++) s += a[p * n + i];
    return s;
  });
  referenceLayerNorm(expected, hidden, ln, 1e-5);
  return expected;
}

/** `l` HP-pruned (magnitude, tiles 4x4) and the linear with the pruned weights. */
function hpPruned(l: Linear, sparsity: number): { hp: HPMatrix; pruned: Linear } {
  const hp = pruneMatrix(
    { name: l.name, out: l.out, in: l.in, weight: l.weight },
    { pattern: 'hp', sparsity, score: 'magnitude', tr: 4, tc: 4, split: 0.5 },
  ).hp!;
  return { hp, pruned: { ...l, weight: decodeHP(hp) } };
}

describe('encoder ops on WebGPU', () => {
  it('embeddings: gathers word + position + type rows and LayerNorms them', async () => {
    const model = randomBertModel({ hidden: 40 }, 3);
    const batch = randomBatch(model, 3, 5);
    const { hidden, layerNormEps } = model.config;
    const e = model.embeddings;
    const kernel = createEmbeddingsKernel(device, hidden);
    const rows = 15;
    const y = out(rows * hidden);
    const inputs = [
      uniform([rows, 5], { 2: layerNormEps }),
      up('ids', Uint32Array.from(batch.inputIds)),
      up('types', Uint32Array.from(batch.tokenTypeIds)),
      up('w', e.word),
      up('p', e.position),
      up('t', e.tokenType),
      up('gb', concatF32(e.ln.gamma, e.ln.beta)),
    ];
    submit((pass) => kernel.encode(pass, bind(kernel.pipeline, [...inputs, y]), rows));
    const expected = new Float32Array(rows * hidden);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < hidden; i++) {
        expected[r * hidden + i] =
          e.word[batch.inputIds[r] * hidden + i] +
          e.position[(r % 5) * hidden + i] +
          e.tokenType[batch.tokenTypeIds[r] * hidden + i];
      }
    }
    referenceLayerNorm(expected, hidden, e.ln, layerNormEps);
    expect(maxAbsDiff(await read(y, rows * hidden), expected)).toBeLessThan(1e-5);
    // Also as columns (hidden x 4 quads of tokens; the 16th token, spare, written as 0).
    const cols = createEmbeddingsKernel(device, hidden, true);
    const y2 = out(rows * hidden);
    const xt = up('xt', new Float32Array(hidden * 16).fill(7), GPUBufferUsage.COPY_SRC); // stale values
    submit((pass) => cols.encode(pass, bind(cols.pipeline, [...inputs, y2, xt]), rows));
    const columns = new Float32Array(hidden * 16);
    for (let r = 0; r < rows; r++) for (let i = 0; i < hidden; i++) columns[i * 16 + r] = expected[r * hidden + i];
    expect(maxAbsDiff(await read(y2, rows * hidden), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await read(xt, hidden * 16), columns)).toBeLessThan(1e-5);
  });

  // 'subgroup': a subgroup a row (SwiftShader's 4 lanes: 32 rows a workgroup, so 40 rows leave the
  // second one mostly empty; the H200's 32 lanes run 4 rows a workgroup).
  // parts: `a` as split-K slices (three blocks of rows x hidden) that the kernel adds.
  for (const [variant, rows, parts] of [
    ['tree', 4, 1],
    ['subgroup', 40, 1],
    ['tree', 5, 3],
    ['subgroup', 40, 3],
  ] as const) {
    it(`residual + LayerNorm in place (${variant}, ${parts} part(s) of a), hidden wider than a workgroup`, async () => {
      const hidden = 300;
      const rand = rng(5);
      const a = Float32Array.from({ length: parts * rows * hidden }, () => rand() * 4 - 2);
      const x = Float32Array.from({ length: rows * hidden }, () => rand() * 4 - 2);
      const ln = {
        gamma: Float32Array.from({ length: hidden }, () => rand() + 0.5),
        beta: Float32Array.from({ length: hidden }, () => rand() - 0.5),
      };
      const kernel = createAddLayerNormKernel(device, hidden, variant, caps);
      const xb = up('x', x, GPUBufferUsage.COPY_SRC);
      const gb = up('gb', concatF32(ln.gamma, ln.beta));
      submit((pass) =>
        kernel.encode(pass, bind(kernel.pipeline, [uniform([rows], { 2: 1e-5 }), up('a', a), xb, gb]), rows, parts),
      );
      const expected = residualLayerNorm(x, a, parts, hidden, ln);
      expect(maxAbsDiff(await read(xb, rows * hidden), expected)).toBeLessThan(1e-5);
    });
  }

  // The subgroup variant that also writes x as columns (hidden x rows rounded up to 4; the last
  // quad's spare tokens finite, unused) for the HP linears on columns.
  for (const [rows, parts, perGroup] of [
    [41, 1, 4],
    [6, 2, 4],
    [41, 1, 8],
    [37, 2, 16],
  ] as const) {
    it(`residual + LayerNorm writing columns too, ${rows} rows (${perGroup} a group), ${parts} part(s)`, async () => {
      const hidden = 70;
      const kernel = createAddLayerNormColumnsKernel(device, hidden, caps, perGroup);
      if (!kernel) return; // no single subgroup size here (tested where there is: SwiftShader, the H200)
      const rand = rng(rows);
      const a = Float32Array.from({ length: parts * rows * hidden }, () => rand() * 4 - 2);
      const x = Float32Array.from({ length: rows * hidden }, () => rand() * 4 - 2);
      const gb = Float32Array.from({ length: 2 * hidden }, () => rand() + 0.5);
      const p = 4 * Math.ceil(rows / 4);
      const xb = up('x', x, GPUBufferUsage.COPY_SRC);
      const xt = up('xt', new Float32Array(hidden * p).fill(Number.NaN), GPUBufferUsage.COPY_SRC);
      const u = uniform([rows], { 2: 1e-5 });
      submit((pass) => kernel.encode(pass, bind(kernel.pipeline, [u, up('a', a), xb, up('gb', gb), xt]), rows, parts));
      const n = rows * hidden;
      const expected = residualLayerNorm(x, a, parts, hidden, {
        gamma: gb.subarray(0, hidden),
        beta: gb.subarray(hidden),
      });
      expect(maxAbsDiff(await read(xb, n), expected)).toBeLessThan(1e-5);
      const cols = await read(xt, hidden * p);
      const fromCols = Float32Array.from({ length: n }, (_, e) => cols[(e % hidden) * p + Math.floor(e / hidden)]);
      expect(maxAbsDiff(fromCols, expected)).toBeLessThan(1e-5);
      for (let t = rows; t < p; t++) expect(Number.isFinite(cols[t])).toBe(true);
    });
  }

  // The int8 form: x also as the next int8 linear's codes and per-token scales, exactly what
  // quantizeRows gives for the x it stores: as rows (zero words past the width) and as columns
  // (tw words a column, 16 tokens a workgroup, zero codes past the tokens and the width).
  // With `read` (the 'read' scale): the scale over the next linear's read columns, the rest's codes 0.
  for (const [columns, rows, parts, withRead] of [
    [false, 37, 2, false],
    [true, 37, 1, false],
    [false, 37, 1, true],
    [true, 21, 2, true],
  ] as const) {
    const form = `${columns ? 'columns' : 'rows'}${withRead ? ', read scale' : ''}`;
    it(`residual + LayerNorm writing int8 codes (${form}), ${rows} rows, ${parts} part(s)`, async () => {
      const hidden = 300;
      const kernel = createAddLayerNormInt8Kernel(device, hidden, caps, columns, withRead);
      if (!kernel) return; // no single subgroup size here (tested where there is: SwiftShader, the H200)
      const rand = rng(rows + 7);
      const a = Float32Array.from({ length: parts * rows * hidden }, () => rand() * 4 - 2);
      const x = Float32Array.from({ length: rows * hidden }, () => rand() * 4 - 2);
      for (let i = 0; i < hidden; i++) a[3 * hidden + i] = -x[3 * hidden + i] + (i === 0 ? 1e-3 : 0); // a spiky row
      const gb = Float32Array.from({ length: 2 * hidden }, () => rand() + 0.5);
      const words = 80; // int8RowWords(300)
      const tw = int8ColumnWords(rows);
      const codeWords = columns ? words * 4 * tw : rows * words;
      const xb = up('x', x, GPUBufferUsage.COPY_SRC);
      const cb = up('codes', new Uint32Array(codeWords).fill(0xdeadbeef), GPUBufferUsage.COPY_SRC);
      const sb = up('scales', new Float32Array(rows).fill(Number.NaN), GPUBufferUsage.COPY_SRC);
      const u = uniform([rows, tw], { 2: 1e-5 });
      // Column 0 read (the spiky row's largest value), then about a third of the others.
      const readCols = withRead
        ? Uint8Array.from({ length: hidden }, (_, c) => (c === 0 || rand() < 0.3 ? 1 : 0))
        : undefined;
      const mask = readCols ? [up('read', readMaskWords(readCols))] : [];
      submit((pass) =>
        kernel.encode(pass, bind(kernel.pipeline, [u, up('a', a), xb, up('gb', gb), cb, sb, ...mask]), rows, parts),
      );
      const n = rows * hidden;
      const expected = residualLayerNorm(x, a, parts, hidden, {
        gamma: gb.subarray(0, hidden),
        beta: gb.subarray(hidden),
      });
      const got = await read(xb, n);
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
      const cpu = quantizeRows(got, rows, hidden, 8, readCols);
      expect(await read(sb, rows)).toEqual(cpu.scales);
      const packed = packInt8Rows(cpu.q as Int8Array, rows, hidden);
      const codes = new Uint32Array((await read(cb, codeWords)).buffer);
      if (!columns) return expect(codes).toEqual(packed);
      const cols = new Uint32Array(codeWords);
      for (let c = 0; c < words * 4; c++)
        for (let t = 0; t < rows; t++)
          cols[c * tw + (t >> 2)] |= ((packed[t * words + (c >> 2)] >>> (8 * (c & 3))) & 0xff) << (8 * (t & 3));
      expect(codes).toEqual(cols);
    });
  }

  // The int8 output linear fused with its quantizer, residual + LayerNorm and the next linear's
  // codes (int8-hp-ln): bit for bit the four dispatches it replaces (quantize + the HP dot4 linear,
  // exact against core/quant, then the int8 LayerNorm writing columns); 21 tokens (a part-filled
  // second workgroup), 35 kept columns a tile-row (a padded code word; W in two batches of 5 words).
  // The 'read' scale (withRead): 2 of 9 tiles a tile-row kept, so some input columns are read by no
  // tile-row (they hold NaN and 1e30 here: the engine does not compute them), and the next linear
  // reads a third of the outputs.
  it.each([false, true])(
    'int8 HP linear + residual + LayerNorm + next codes fused: the unfused dispatches bit for bit (read scale %s)',
    async (withRead) => {
      const [hidden, nIn, rows] = [40, 72, 21];
      const rand = rng(11);
      const hp = withRead ? randomHP(hidden, nIn, 8, 8, 2, 3, rand) : randomHP(hidden, nIn, 8, 8, 5, 7, rand);
      const quant = quantizeHP(hp, 8);
      const bias = Float32Array.from({ length: hidden }, () => rand() - 0.5);
      const kept = keptInputs(hp);
      const nextRead = withRead ? Uint8Array.from({ length: hidden }, () => (rand() < 0.3 ? 1 : 0)) : undefined;
      if (withRead) expect(kept.every((v) => v)).toBe(false);
      const o = { bias, codes: true, label: 'test', tile: 'l16wp', read: withRead, nextRead };
      const fused = createInt8HpLn(device, caps, hp, quant, o);
      const ln = createAddLayerNormInt8Kernel(device, hidden, caps, true, withRead);
      if (!fused || !ln) return; // no single subgroup size here (tested where there is: SwiftShader, the H200)
      const xin = Float32Array.from({ length: rows * nIn }, (_, e) =>
        withRead && !kept[e % nIn] ? [Number.NaN, 1e30][e % 2] : rand() * 4 - 2,
      );
      const x = Float32Array.from({ length: rows * hidden }, () => rand() * 4 - 2);
      const gb = Float32Array.from({ length: 2 * hidden }, () => rand() + 0.5);
      const words = 16; // int8RowWords(40)
      const tw = int8ColumnWords(rows);
      const u = uniform([rows, tw], { 2: 1e-5 });
      const [xb1, xb2] = [up('x1', x, GPUBufferUsage.COPY_SRC), up('x2', x, GPUBufferUsage.COPY_SRC)];
      const [cb1, cb2] = [1, 2].map((i) => up(`codes${i}`, new Uint32Array(words * 4 * tw), GPUBufferUsage.COPY_SRC));
      const [sb1, sb2] = [1, 2].map((i) => up(`scales${i}`, new Float32Array(rows), GPUBufferUsage.COPY_SRC));
      const inb = up('xin', xin);
      const lin = createInt8GpuLinear(
        device,
        caps,
        { kind: 'hp', hp, quant },
        { tokens: rows, bias, variant: 'dot4u', read: withRead ? kept : undefined },
      );
      const mask = nextRead ? [up('read', readMaskWords(nextRead))] : [];
      const a = out(rows * hidden);
      const enc = device.createCommandEncoder();
      lin.encode(enc, inb, a, rows);
      device.queue.submit([enc.finish()]);
      submit((pass) => {
        fused.encode(pass, fused.bind(u, inb, up('gb', gb), xb1, cb1, sb1), rows);
        ln.encode(pass, bind(ln.pipeline, [u, a, xb2, up('gb2', gb), cb2, sb2, ...mask]), rows, 1);
      });
      const y = intHPLinear(quantizeRows(xin, rows, nIn, 8, withRead ? kept : undefined), hp, quant, bias);
      expect(await read(a, rows * hidden)).toEqual(y);
      const got = await read(xb1, rows * hidden);
      const expected = residualLayerNorm(x, y, 1, hidden, { gamma: gb.subarray(0, hidden), beta: gb.subarray(hidden) });
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
      expect(got).toEqual(await read(xb2, rows * hidden));
      expect(await read(sb1, rows)).toEqual(await read(sb2, rows));
      expect(await read(cb1, words * 4 * tw)).toEqual(await read(cb2, words * 4 * tw));
      lin.destroy();
      fused.destroy();
    },
  );

  // [hidden, in, tokens]: hidden wider than the workgroup, inputs over several chunks and not a
  // multiple of 4, few tokens (one row a workgroup) and many (eight rows a workgroup).
  const fusedCases: [number, number, number][] = [
    [300, 150, 5],
    [20, 37, 2200],
    [52, 9, 600],
  ];
  for (const [hidden, nIn, rows] of fusedCases) {
    it(`linear + bias + residual + LayerNorm fused: ${hidden}x${nIn}, ${rows} tokens`, async () => {
      const rand = rng(hidden + nIn);
      const r = (n: number, s = 2) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
      const lin: Linear = {
        name: 'l',
        out: hidden,
        in: nIn,
        weight: r(hidden * nIn, 0.5),
        bias: r(hidden),
        initializer: 'l',
      };
      const ln = { gamma: Float32Array.from({ length: hidden }, () => rand() + 0.5), beta: r(hidden, 0.5) };
      const a = r(rows * nIn);
      const x = r(rows * hidden);
      const gammaBeta = concatF32(ln.gamma, ln.beta);
      const { hp, pruned } = hpPruned(lin, 0.6);
      for (const [w, used] of [
        [{ kind: 'dense', weight: lin.weight }, lin],
        [{ kind: 'hp', hp }, pruned],
      ] as const) {
        const kernel = createLinearAddLn(device, { hidden, in: nIn, w, bias: lin.bias, gammaBeta });
        if (w.kind === 'dense') expect(kernel.rowsPerGroup(rows)).toBe(rows >= 264 * 8 ? 8 : rows >= 264 * 2 ? 2 : 1);
        const xb = up('x', x, GPUBufferUsage.COPY_SRC);
        submit((pass) => kernel.encode(pass, kernel.bind(uniform([rows], { 2: 1e-12 }), up('a', a), xb), rows));
        const expected = referenceLinear(a, rows, used).map((v, i) => v + x[i]);
        referenceLayerNorm(expected, hidden, ln, 1e-12);
        expect(maxAbsDiff(await read(xb, rows * hidden), expected), w.kind).toBeLessThan(1e-4);
        kernel.destroy();
      }
    });
  }

  // [hidden, heads, seq, batch, Q/K/V layout, variant]: three buffers, or one fused Q/K/V row with
  // blocks padded past `hidden` (what the stacked HP linear writes; the padding holds junk here).
  // Variants on the case with two key tiles, a partial chunk and left padding. The variants are
  // generated from a few parameters (rows a thread, key chunk, splits, written out, K/V as rows of
  // quads, fixed tiles), so each parameter value is covered by at least one case rather than every
  // variant by its own (each case costs a SwiftShader compile of 1-6 s): key splits with one row a
  // thread here, two rows a thread written out below (splits that see only padding, or no chunk of
  // the last tile). The default, 'auto', runs q1c8s8fp on the cases of at most 128 tokens (one
  // of them a single sequence of 70: two key tiles, the second prefetched) and the batch-100 one,
  // h1w32s8c8t64 (or b16k128n4 where it does not fit) on three sequences of 70 (checked by its query
  // rows a workgroup).
  type AttentionCase = [number, number, number, number, 'separate' | 'fused', string];
  const attentionCases: AttentionCase[] = [
    [24, 3, 9, 3, 'separate', DEFAULT_ATTENTION],
    [8, 1, 70, 1, 'separate', DEFAULT_ATTENTION],
    [52, 2, 70, 3, 'separate', DEFAULT_ATTENTION],
    // (q1c8s4: what 'auto' runs at mid sizes, e.g. B=8 L=128.)
    ...['q1c8s2', 'q1c8s4'].map((v): AttentionCase => [52, 2, 70, 3, 'fused', v]),
    // The same kernels written out (attention-unrolled.ts): one and two rows a thread, two and four
    // splits, 4-key chunks; an odd head size (a last quad of 3 lanes).
    ...['q1c8s2u', 'q2c4s4u'].map((v): AttentionCase => [52, 2, 70, 3, 'fused', v]),
    [15, 3, 20, 3, 'separate', 'q2c8s2u'],
    // 32 query slots a workgroup (fixed key tiles of 128: q2c8s2vt128 below).
    [52, 2, 70, 3, 'fused', 'q1c8s2w32'],
    // Keys over a subgroup's lanes (attention-subgroup.ts; SwiftShader's subgroups of 4: 5 keys a
    // lane in two vectors, two key splits merged by subgroupShuffleXor, two quads a lane in the value
    // product; 64 query rows a workgroup in two blocks: some past the sequence).
    [52, 2, 20, 3, 'fused', 'g8m4b2'],
    // The K/V tile as rows of quads (one bounds clamp a key): two rows a thread on 128-key tiles
    // written out; 16-key chunks in q1c16s2f below.
    [52, 2, 70, 3, 'fused', 'q2c8s2vt128'],
    // ... and with each score a chain of fma() ('f'), an odd head size too.
    [52, 2, 70, 3, 'fused', 'q1c16s2f'],
    [15, 3, 20, 3, 'separate', 'q1c8s8f'],
    // 64 queries a workgroup in two key splits over 32-key tiles (attention-whole.ts; head size 8:
    // the spare lane a quad of its own; the left-padded sequence's first tile all padding, the
    // second 8 keys: split 1 gets no chunk of it; the merge and the rows through workgroup memory).
    [24, 3, 40, 3, 'fused', 'h1w64s2c16t32'],
    // More splits merged in halving steps (8: splits 5-7 without a key of the 40; 4 over 70 keys in
    // two 64-key tiles at head size 26, which only fits SwiftShader's 16 KiB merged so), one split.
    [24, 3, 40, 3, 'fused', 'h1w32s8c8t64'],
    [52, 2, 70, 3, 'fused', 'h1w64s4c16t64'],
    [52, 2, 70, 3, 'separate', 'h1w128s1c16t64'],
    // What 'auto' runs at 64 < L <= 128 for B >= 32 where few heads are live: 64 queries, two splits, 64-key tiles.
    [52, 2, 70, 3, 'fused', 'h1w64s2c16t64'],
    [24, 3, 9, 100, 'fused', DEFAULT_ATTENTION],
    // The register-blocked variants: head size 26 with a padded fused layout (70 keys: one partial
    // key tile or 2-3; on a device with too little workgroup memory the variant must refuse, and
    // those that need more than SwiftShader's run at head size 8 over the same keys), head size 16
    // (no spare lane in its last quad: one more), B=1. Even layouts load float pairs.
    ...TILED_ATTENTION_VARIANTS.map((v): AttentionCase => [52, 2, 70, 3, 'fused', v]),
    ...['b32k128n4', 'b64k64n4', 'b128k32n4'].map((v): AttentionCase => [24, 3, 70, 3, 'separate', v]),
    [16, 1, 5, 3, 'separate', 'b64k32n4'],
    [52, 2, 37, 1, 'fused', 'b16k128n4'],
    // An odd head size: scalar loads instead of float pairs.
    [15, 3, 20, 3, 'separate', 'b64k32n4'],
    // The blocked outer-product variants (attention-blocked.ts): head size 26 over 70 keys in two
    // key tiles with the next one fetched ahead (the online softmax), 128-key tiles at head size 26
    // (more than SwiftShader's workgroup memory: must refuse) and 8, head size 16 (no spare lane),
    // an odd head size (scalar loads).
    [52, 2, 70, 3, 'fused', 'r32q4k8t64p'],
    [52, 2, 70, 3, 'fused', 'r32q4k8t128'],
    [24, 3, 70, 3, 'separate', 'r32q4k8t128'],
    [16, 1, 5, 3, 'separate', 'r32q4k8t64'],
    [15, 3, 20, 3, 'separate', 'r32q4k8t64'],
  ];
  for (const [hidden, heads, seq, batch, mode, variant] of attentionCases) {
    it(
      `attention ${variant}: head size ${hidden / heads}, seq ${seq}, batch ${batch}, ` +
        `${mode} Q/K/V (key tiles, padding mask)`,
      async () => {
        const n = batch * seq * hidden;
        const rand = rng(hidden + seq);
        const [q, k, v] = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => rand() * 2 - 1));
        // Sequence 1 is padded after 3 tokens; sequence 2 is left-padded: its first tile may be all
        // padding; a single sequence's last 5 tokens are padding.
        const mask = new Uint32Array(batch * seq).fill(1);
        if (batch === 1) mask.fill(0, Math.max(1, seq - 5));
        for (let i = 3; i < seq; i++) mask[seq + i] = 0;
        for (let i = 0; i < seq - 2; i++) mask[2 * seq + i] = 0;
        const block = hidden + 4;
        const layout = mode === 'fused' ? { stride: 3 * block, q: 0, k: block, v: 2 * block } : separateQkv(hidden);
        const refuses =
          (parseTiledVariant(variant) && !tiledFits(device, variant, hidden / heads)) ||
          (parseBlockedVariant(variant) && !blockedFits(device, variant, hidden / heads)) ||
          (parseSubgroupVariant(variant) && !subgroupFits(device, variant, hidden / heads, seq));
        if (refuses) {
          const make = () => createAttentionKernel(device, hidden, heads, layout, variant);
          if (parseSubgroupVariant(variant))
            submit((pass) => expect(() => make().encode(pass, null!, batch, seq)).toThrow());
          else expect(make).toThrow(/workgroup memory/);
          return;
        }
        const kernel = createAttentionKernel(device, hidden, heads, layout, variant);
        let inputs: GPUBuffer[];
        if (mode === 'fused') {
          const rows = Float32Array.from({ length: batch * seq * 3 * block }, () => 99);
          for (let t = 0; t < batch * seq; t++) {
            [q, k, v].forEach((src, j) =>
              rows.set(src.subarray(t * hidden, (t + 1) * hidden), t * 3 * block + j * block),
            );
          }
          const qkv = up('qkv', rows);
          inputs = [qkv, qkv, qkv];
        } else {
          inputs = [up('q', q), up('k', k), up('v', v)];
        }
        const ctx = out(n);
        const group = device.createBindGroup({
          layout: kernel.layout.group,
          entries: [uniform([seq], { 1: 1 / Math.sqrt(hidden / heads) }), ...inputs, up('mask', mask), ctx].map(
            (buffer, binding) => ({ binding, resource: { buffer } }),
          ),
        });
        submit((pass) => kernel.encode(pass, group, batch, seq));
        if (variant === 'auto') {
          const d = hidden / heads;
          const fits = (x: string) => (parseWholeVariant(x) ? wholeFits(device, x, d, 128) : tiledFits(device, x, d));
          const chosen = autoAttentionVariant(batch, seq, heads, { stride: layout.stride, fits });
          // One sentence's worth of tokens (batch x seq <= 128): q1c8s8fp (the next K/V tile
          // prefetched: 70 keys are two tiles), 8 rows a workgroup; a few sequences of 70 keys:
          // h1w32s8c8t64 (32 queries a workgroup, 8 key splits) where it fits, else the
          // register-blocked b16k128n4 (16 rows a workgroup); 100 sequences of 9: 8 splits on q1c8s8fp
          // too (16 rows a workgroup give 1 x 3 x 100 workgroups, enough).
          const few = batch * seq <= 128;
          const whole = !few && seq > 64 && fits('h1w32s8c8t64');
          const tiled = !few && !whole && seq > 64 && fits('b16k128n4');
          expect(chosen).toBe(whole ? 'h1w32s8c8t64' : tiled ? 'b16k128n4' : 'q1c8s8fp');
          expect(kernel.queriesPerGroup(batch, seq)).toBe(whole ? 32 : tiled || batch === 100 ? 16 : 8);
        }
        const expected = referenceAttention(q, k, v, mask, batch, seq, hidden, heads);
        expect(maxAbsDiff(await read(ctx, n), expected)).toBeLessThan(1e-5);
      },
    );
  }

  // The [CLS] query alone (attention-cls.ts): head size 26 in a fused row with junk in the padding
  // (padded and left-padded sequences: the left-padded one's [CLS] is itself padding, still a
  // query), then 150 keys at head size 8 (two rounds of keys a thread) with only head 1 of 3 live
  // (Params.heads); the values staged in workgroup memory (the default where they fit) and, once,
  // read from storage. The [CLS] rows of the live heads must equal the reference's; every other
  // value of ctx must stay as it was.
  for (const [hidden, heads, seq, batch, live, stageValues] of [
    [52, 2, 70, 3, 0b11, true],
    [24, 3, 150, 2, 0b010, true],
    [52, 2, 70, 3, 0b11, false],
  ] as const) {
    const values = stageValues ? 'staged' : 'read';
    const name = `head size ${hidden / heads}, seq ${seq}, live heads ${live}, values ${values}`;
    it(`attention of the [CLS] query alone: ${name}`, async () => {
      const n = batch * seq * hidden;
      const rand = rng(hidden + seq + 1);
      const [q, k, v] = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => rand() * 2 - 1));
      const mask = new Uint32Array(batch * seq).fill(1);
      for (let i = 3; i < seq; i++) mask[seq + i] = 0;
      if (batch > 2) for (let i = 0; i < seq - 2; i++) mask[2 * seq + i] = 0;
      const block = hidden + 4;
      const rows = Float32Array.from({ length: batch * seq * 3 * block }, () => 99);
      for (let t = 0; t < batch * seq; t++)
        [q, k, v].forEach((src, j) => rows.set(src.subarray(t * hidden, (t + 1) * hidden), t * 3 * block + j * block));
      const layout = { stride: 3 * block, q: 0, k: block, v: 2 * block };
      const kernel = createClsAttention(device, hidden, heads, layout, { stageValues });
      const qkv = up('qkv', rows);
      const before = Float32Array.from({ length: n }, () => -7);
      const ctx = up('ctx', before, GPUBufferUsage.COPY_SRC);
      const liveCount = live.toString(2).replace(/0/g, '').length;
      const params = uniform([seq, 0, live === (1 << heads) - 1 ? 0 : live], { 1: 1 / Math.sqrt(hidden / heads) });
      const group = device.createBindGroup({
        layout: kernel.layout.group,
        entries: [params, qkv, qkv, qkv, up('mask', mask), ctx].map((buffer, binding) => ({
          binding,
          resource: { buffer },
        })),
      });
      submit((pass) => kernel.encode(pass, group, batch, seq, liveCount));
      const reference = referenceAttention(q, k, v, mask, batch, seq, hidden, heads);
      const expected = before.slice();
      const d = hidden / heads;
      for (let b = 0; b < batch; b++)
        for (let h = 0; h < heads; h++)
          if (live & (1 << h))
            for (let e = 0; e < d; e++)
              expected[b * seq * hidden + h * d + e] = reference[b * seq * hidden + h * d + e];
      expect(maxAbsDiff(await read(ctx, n), expected)).toBeLessThan(1e-5);
    });
  }

  // The int8 model's integer attention against core/quant's (the same integers; the last division
  // and scale in f32 may differ by an ulp or two): TinyBERT's head size 26 in a fused row with junk
  // in the padding, padded and left-padded sequences; 150 keys with key splits (4 invocations a
  // query, their maxima and sums met at the end): five workgroups of queries.
  // 'matrix': the tensor-core form (builtins emulated on SwiftShader), 4 subgroups of 16 queries a
  // workgroup in SwiftShader's 32 KiB: two workgroups a (sequence, head) for 70 tokens, one with a
  // subgroup past the sequence for 40 (strips not padded there: rows 32 words apart; at 70 no exp
  // below the first threshold).
  for (const [seq, batch, mode, splits] of [
    [70, 3, 'fused', 1],
    [150, 2, 'separate', 4],
    [70, 3, 'fused', 'matrix'],
    [40, 2, 'separate', 'matrix'],
  ] as const) {
    it(`int8 attention: head size 26, seq ${seq}, batch ${batch}, ${mode} Q/K/V, ${splits} split(s)`, async () => {
      const [hidden, heads] = [52, 2];
      const n = batch * seq * hidden;
      const rand = rng(seq + 1);
      const [q, k, v] = [3, 2, 1].map((m) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * m));
      const mask = new Uint32Array(batch * seq).fill(1);
      for (let i = 3; i < seq; i++) mask[seq + i] = 0;
      for (let i = 0; i < seq - 2 && batch > 2; i++) mask[2 * seq + i] = 0;
      const block = hidden + 4;
      const layout = mode === 'fused' ? { stride: 3 * block, q: 0, k: block, v: 2 * block } : separateQkv(hidden);
      const kernel =
        typeof splits === 'number'
          ? createInt8AttentionKernel(device, hidden, heads, layout, seq, splits)
          : createInt8MatrixAttentionKernel(emu().device, emu().caps, hidden, heads, layout, seq, {
              pad: seq === 40 ? 0 : 4,
            });
      if (splits === 'matrix') expect(kernel.queriesPerGroup(batch, seq)).toBe(64);
      let inputs: GPUBuffer[];
      if (mode === 'fused') {
        const rows = Float32Array.from({ length: batch * seq * 3 * block }, () => 99);
        for (let t = 0; t < batch * seq; t++)
          [q, k, v].forEach((src, j) =>
            rows.set(src.subarray(t * hidden, (t + 1) * hidden), t * 3 * block + j * block),
          );
        const qkv = up('qkv', rows);
        inputs = [qkv, qkv, qkv];
      } else inputs = [up('q', q), up('k', k), up('v', v)];
      const ctx = out(n);
      const u = uniform([seq], { 1: 1 / Math.sqrt(hidden / heads) });
      const group = device.createBindGroup({
        layout: kernel.layout.group,
        entries: [u, ...inputs, up('mask', mask), ctx].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      submit((pass) => kernel.encode(pass, group, batch, seq));
      const expected = intAttention(q, k, v, mask, batch, seq, hidden, heads);
      expect(maxAbsDiff(await read(ctx, n), expected)).toBeLessThan(1e-6);
      expect(maxAbsDiff(expected, referenceAttention(q, k, v, mask, batch, seq, hidden, heads))).toBeGreaterThan(1e-4);
    });
  }

  it("attention 'auto' by shape and Q/K/V layout (TinyBERT: 12 heads, rows of 936 or 960 floats)", () => {
    const pick = (batch: number, seq: number, stride: number, fits = true) =>
      autoAttentionVariant(batch, seq, 12, { stride, fits: () => fits });
    expect([pick(1, 64, 936), pick(1, 128, 936), pick(1, 128, 960)]).toEqual(['q1c8s8fp', 'q1c8s8fp', 'q1c8s8fp']);
    // A few sentences at 64 < L <= 128 (at most 264 workgroups of 32 queries: B=5 at 12 heads, B=6 at
    // 6 live ones): h1w32s8c8t64; past that q1c8 with splits (b16k128n4 needs <= 6144 query rows);
    // L=64 and longer single sentences: not this rule.
    const fewSentences = [pick(4, 128, 936), pick(2, 100, 936), pick(5, 128, 936), pick(6, 128, 936)];
    const notThisRule = [pick(4, 64, 936), pick(1, 256, 936)];
    expect([...fewSentences, ...notThisRule]).toEqual(
      ['h1w32s8c8t64', 'h1w32s8c8t64', 'h1w32s8c8t64', 'q1c8s4'].concat(['q1c8s8fp', 'b16k128n4']),
    );
    // B=32: 384 workgroups of 128 queries and more: h1w128s2c16t64 at L=64; at L=128 one split a
    // query, 128 queries a workgroup, or 64 where the live heads leave <= 198 (sequence, head) pairs.
    expect([pick(32, 64, 936), pick(32, 128, 936), pick(32, 128, 968), pick(48, 100, 936)]).toEqual([
      'h1w128s2c16t64',
      'h1w128s1c16t64',
      'h1w128s1c16t64',
      'h1w128s1c16t64',
    ]);
    const live = (batch: number, seq: number, liveHeads: number) =>
      autoAttentionVariant(batch, seq, 12, { stride: 968, fits: () => true, liveHeads });
    expect([live(6, 128, 6), live(6, 128, 12)]).toEqual(['h1w32s8c8t64', 'q1c8s4']);
    expect([live(32, 128, 6), live(32, 128, 7), live(32, 128, 9), live(32, 64, 6)]).toEqual([
      'h1w64s2c16t64',
      'h1w128s1c16t64',
      'h1w128s1c16t64',
      'h1w128s2c16t64',
    ]);
    // B=16-24 at L=128 (192-288 pairs) on one split too, 64 queries a workgroup up to 198 pairs; not
    // below 192, nor past 128 keys.
    expect([pick(24, 128, 936), pick(16, 128, 936), pick(15, 128, 936), pick(16, 256, 936)]).toEqual([
      'h1w128s1c16t64',
      'h1w64s2c16t64',
      'q1c16s2f',
      'q1c16s2f',
    ]);
    expect([pick(32, 64, 960), pick(32, 128, 960)]).toEqual(['b64k64n4', 'b128k32n4']);
    // Without the workgroup memory: the q1c8 kernels (8 key splits on q1c8s8fp's form).
    expect([pick(4, 128, 936, false), pick(32, 128, 960, false)]).toEqual(['q1c8s8fp', 'q1c16s2f']);
  });

  it("attention 'auto' reports the query block of the heads it runs (the HP engine's live heads)", () => {
    // TinyBERT's stacked HP rows (3 x 320 + 8 floats); B=32 L=128: 128 queries a workgroup for all 12
    // heads, 64 where 6 live heads leave 192 (sequence, head) pairs (the pick the encode makes).
    const kernel = createAttentionKernel(device, 312, 12, { stride: 968, q: 0, k: 320, v: 640 }, 'auto');
    expect([
      kernel.queriesPerGroup(32, 128),
      kernel.queriesPerGroup(32, 128, 12),
      kernel.queriesPerGroup(32, 128, 6),
    ]).toEqual([128, 128, 64]);
  });

  it('bench attention: each variant checked, stages left out where the kernel knows them', async () => {
    // Blocks of 64 floats: rows of 3 x 64 + 8, padded as the engine pads stacked blocks (qkv-plan.ts).
    const rows = await benchAttention(
      device,
      { batch: 2, seq: 9, hidden: 24, heads: 3, block: 64 },
      ['b16k128n4', 'q1c8s2', 'q1c16s2v', 'r32q4k8t64'],
      { reps: 1, warmup: 0, ablations: ['none', 'values', 'kread1'] },
    );
    expect(rows.map((r) => `${r.variant} ${r.ablate}`)).toEqual([
      'b16k128n4 none',
      'b16k128n4 values',
      'q1c8s2 none',
      'q1c16s2v none',
      'q1c16s2v values',
      'q1c16s2v kread1',
      'r32q4k8t64 none',
      'r32q4k8t64 values',
    ]);
    for (const r of rows) {
      if (r.ablate === 'none') expect(r.max_abs_err).toBeLessThan(1e-5);
      else expect(r.max_abs_err).toBeNaN();
      expect(r.ms_median).toBeGreaterThan(0);
    }
    // --quant int8: the integer attention, every output against int-attention.ts.
    const [int8] = await benchAttention(device, { batch: 2, seq: 9, hidden: 52, heads: 2, block: 56 }, ['int8'], {
      reps: 1,
      warmup: 0,
      quant: 'int8',
      checkSequences: 2,
    });
    expect([int8.mismatches, int8.checked_sequences]).toEqual([0, 2]);
    expect(int8.max_abs_err).toBeLessThan(1e-6);
  });

  // `bench attention`'s 'all' on a GPU with less workgroup memory than the H200's 48 KiB (WebGPU's
  // default 16 KiB here): the variants that do not fit are listed and left out, the rest still run;
  // without onUnfit the first one ends the bench with a GpuLimitError (the CLI prints its message).
  it('bench attention: variants this device cannot run are reported and left out (onUnfit)', async () => {
    const small = await (await (await dawnGpu()).requestAdapter())!.requestDevice();
    try {
      expect(small.limits.maxComputeWorkgroupStorageSize).toBe(16384);
      const c = { batch: 1, seq: 9, hidden: 312, heads: 12, block: 312 };
      const unfit: [string, string][] = [];
      const onUnfit = (variant: string, why: string) => unfit.push([variant, why]);
      const rows = await benchAttention(small, c, ['q1c8', 'b32k128n4', 'h1w128s2c16t64', 'r64q4k4t64'], {
        reps: 1,
        warmup: 0,
        onUnfit,
      });
      expect(rows.map((r) => r.variant)).toEqual(['q1c8', 'h1w128s2c16t64']);
      for (const r of rows) expect(r.max_abs_err).toBeLessThan(1e-5);
      expect(unfit.map(([v]) => v)).toEqual(['b32k128n4', 'r64q4k4t64']);
      for (const [, why] of unfit) expect(why).toMatch(/bytes of workgroup memory.*this device allows 16384/);
      await expect(benchAttention(small, c, ['b32k128n4'], { reps: 1, warmup: 0 })).rejects.toBeInstanceOf(
        GpuLimitError,
      );
    } finally {
      small.destroy();
    }
  });

  // The whole-sequence kernel's read form (attention-whole.ts 'v', 'r'): per head, only some value
  // dims read (0: the head not run, as the engine's dead heads); head size 8 (the sum's quad of its
  // own in the full form), 37 keys in two tiles of 32; each variant checked on the read dims alone.
  it('attention read form: only the value dims a later kernel reads, dead heads skipped', async () => {
    const rows = await benchAttention(
      device,
      { batch: 2, seq: 37, hidden: 40, heads: 5, block: 41, reads: [8, 0, 3, 1, 6] },
      ['h1w64s2c16t32', 'h1w64s2c16t32v', 'h1w64s2c16t32r'],
      { reps: 1, warmup: 0 },
    );
    expect(rows.map((r) => r.value_dims)).toEqual(['all', 8, 8]);
    for (const r of rows) expect(r.max_abs_err).toBeLessThan(1e-5);
  });

  // bench attention --residency: the kernel counting its own workgroups (2 sequences x 4 live heads x
  // 2 blocks of 32 queries; at least one live at once, never more than the grid), output still exact.
  it('attention residency probe: the h kernel counts its live workgroups', async () => {
    const [row] = await benchAttention(
      device,
      { batch: 2, seq: 37, hidden: 40, heads: 5, block: 41, reads: [8, 0, 3, 1, 6] },
      ['h1w32s8c8t64'],
      { reps: 1, warmup: 0, residency: true },
    );
    expect(row.finished).toBe(16);
    expect(row.resident).toBeGreaterThanOrEqual(1);
    expect(row.resident).toBeLessThanOrEqual(16);
    expect(row.max_abs_err).toBeLessThan(1e-5);
  });

  // hidden 38: the pooler's vec4 rows padded (38 is not a multiple of 4); 40 and 38: two slices of
  // the pooled outputs, the second short; 104: five slices.
  for (const [withPooler, width] of [
    [true, 40],
    [false, 40],
    [true, 38],
    [true, 104],
  ] as const) {
    it(`pooler + classifier on [CLS] ${withPooler ? 'with' : 'without'} a pooler, hidden ${width}`, async () => {
      const model = randomBertModel({ hidden: width, heads: 2, labels: 3 }, 9, withPooler);
      const { hidden } = model.config;
      const batch = 2;
      const seq = 4;
      const rand = rng(2);
      const x = Float32Array.from({ length: batch * seq * hidden }, () => rand() * 2 - 1);
      const kernel = createHeadKernel(device, model);
      expect(kernel.shares).toBe(Math.ceil(hidden / 24));
      const logits = out(batch * kernel.shares * 3);
      submit((pass) =>
        kernel.encode(pass, bind(kernel.pipeline, [uniform([seq]), up('x', x), ...kernel.weights, logits]), batch),
      );
      const cls = new Float32Array(batch * hidden);
      for (let b = 0; b < batch; b++) cls.set(x.subarray(b * seq * hidden, b * seq * hidden + hidden), b * hidden);
      const feats = withPooler ? referenceLinear(cls, batch, model.pooler!).map(Math.tanh) : cls;
      const summed = sumHeadShares(await read(logits, batch * kernel.shares * 3), batch, kernel.shares, 3);
      expect(maxAbsDiff(summed, referenceLinear(feats, batch, model.classifier))).toBeLessThan(1e-5);
    });
  }
});
