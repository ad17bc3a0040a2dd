// The int8 kernels on real WebGPU (Dawn + SwiftShader) against the CPU int8 reference
// (core/quant), bit for bit: activation codes and scales, dense and HP integer linears.
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createInt8Linear, liveTileRows, type Int8Weights } from '../../src/gpu/kernels/int8-linear';
import type { LiveOutputs } from '../../src/gpu/kernels/linear-types';
import { createInt8Quantizer } from '../../src/gpu/kernels/int8-quantize';
import { int8ColumnWords } from '../../src/gpu/kernels/int8-transpose';
import { createInt8GpuLinear } from '../../src/gpu/kernels/int8-gpu-linear';
import { runLinear } from './kernels-helpers';
import { uploadBuffer } from '../../src/gpu/kernel';
import {
  intDenseLinear,
  intHPLinear,
  packInt8Rows,
  quantizeHP,
  quantizeRows,
  quantizeStatic,
  type QuantizedRows,
} from '../../src/core/quant';
import { pruneMatrix } from '../../src/core/pruning/prune-matrix';
import { randomArray, rng } from './kernels-helpers';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

async function read(device: GPUDevice, buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const r = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, r, 0, bytes);
  device.queue.submit([enc.finish()]);
  await r.mapAsync(GPUMapMode.READ);
  const out = r.getMappedRange().slice(0);
  r.destroy();
  return out;
}

/** Rows of very different magnitudes, one all-zero row, values on rounding ties. */
function activations(tokens: number, width: number, seed: number): Float32Array {
  const rand = rng(seed);
  const x = randomArray(tokens * width, rand);
  for (let t = 0; t < tokens; t++) {
    const scale = [1, 1e-3, 37, 1e-30, 0.5][t % 5];
    for (let i = 0; i < width; i++) x[t * width + i] *= scale;
  }
  x.fill(0, 2 * width, 3 * width);
  x[width] = 1; // row 1: amax 1, then x * 127 lands on exact halves
  for (let i = 1; i < Math.min(width, 8); i++) x[width + i] = (i + 0.5) / 127;
  return x;
}

async function quantizeOnGpu(
  x: Float32Array,
  tokens: number,
  width: number,
  range?: number,
  columnWords?: number,
  subgroup = false,
  readCols?: Uint8Array,
) {
  const { device } = gpu;
  const subgroupMaxSize = subgroup ? gpu.caps.subgroupMaxSize : undefined;
  const q = createInt8Quantizer(device, { tokens, width, range, columnWords, subgroupMaxSize, read: readCols });
  expect(q.subgroup).toBe(subgroup);
  expect(q.read).toBe(Boolean(readCols) && range === undefined);
  const xb = uploadBuffer(device, x, 'x');
  const codeWords = columnWords ? q.words * 4 * columnWords : tokens * q.words;
  const cb = device.createBuffer({ size: Math.max(16, codeWords * 4), usage: usage() });
  const sb = device.createBuffer({ size: Math.max(16, tokens * 4), usage: usage() });
  device.queue.writeBuffer(cb, 0, new Uint32Array(cb.size / 4).fill(0xdeadbeef));
  const enc = device.createCommandEncoder();
  q.encode(enc, xb, cb, sb, tokens);
  device.queue.submit([enc.finish()]);
  const codes = new Uint32Array(await read(device, cb, codeWords * 4));
  const scales = new Float32Array(await read(device, sb, tokens * 4));
  q.destroy();
  xb.destroy();
  return { codes, scales, cb, sb };
}

async function linearOnGpu(
  weights: Int8Weights,
  xq: QuantizedRows,
  bias: Float32Array,
  variant?: string,
  live?: LiveOutputs,
): Promise<Float32Array> {
  const { device, caps } = gpu;
  device.pushErrorScope('validation');
  const lin = createInt8Linear(device, caps, weights, { tokens: xq.rows, bias, variant, live });
  const xb = uploadBuffer(device, packInt8Rows(xq.q as Int8Array, xq.rows, xq.cols), 'xq');
  const sb = uploadBuffer(device, xq.scales, 'xs');
  const yBytes = xq.rows * lin.out * 4;
  const yb = device.createBuffer({ size: Math.max(16, yBytes), usage: usage() });
  device.queue.writeBuffer(yb, 0, new Float32Array(yb.size / 4).fill(Number.NaN));
  const enc = device.createCommandEncoder();
  lin.encode(enc, xb, sb, yb, xq.rows);
  device.queue.submit([enc.finish()]);
  const y = new Float32Array(await read(device, yb, yBytes));
  expect((await device.popErrorScope())?.message).toBeUndefined();
  lin.destroy();
  for (const b of [xb, sb, yb]) b.destroy();
  return y;
}

/** Codes as columns (int8-transpose's layout) from codes as rows. */
const asColumns = (rows: Uint32Array, tokens: number) => {
  const tw = int8ColumnWords(tokens);
  const xw = rows.length / tokens;
  const cols = new Uint32Array(xw * 4 * tw);
  for (let c = 0; c < xw * 4; c++)
    for (let t = 0; t < tokens; t++)
      cols[c * tw + (t >> 2)] |= ((rows[t * xw + (c >> 2)] >>> (8 * (c & 3))) & 0xff) << (8 * (t & 3));
  return cols;
};

describe('int8 activation codes', () => {
  // Plain (a tree of barriers) and SUBGROUP (vec4s in registers, subgroupMax; SwiftShader's
  // subgroups have 4 invocations), the latter with one and two vec4s an invocation.
  test.each([
    [45, false],
    [44, true],
    [300, true],
  ])(
    'dynamic (per token) and static codes and scales equal quantizeRows / quantizeStatic (width %i, subgroups %s)',
    async (width, sg) => {
      const tokens = 11;
      const x = activations(tokens, width, 3);
      const gpuDyn = await quantizeOnGpu(x, tokens, width, undefined, undefined, sg);
      const cpuDyn = quantizeRows(x, tokens, width, 8);
      expect(gpuDyn.scales).toEqual(cpuDyn.scales);
      expect(gpuDyn.codes).toEqual(packInt8Rows(cpuDyn.q as Int8Array, tokens, width));
      const gpuStatic = await quantizeOnGpu(x, tokens, width, 0.75, undefined, sg);
      const cpuStatic = quantizeStatic(x, tokens, width, 0.75, 8);
      expect(gpuStatic.scales).toEqual(cpuStatic.scales);
      expect(gpuStatic.codes).toEqual(packInt8Rows(cpuStatic.q as Int8Array, tokens, width));
      // As columns (what the HP 'x' kernels read): word (c, g) = column c of tokens 4g..4g+3, zero
      // codes past the tokens and the width.
      const tw = int8ColumnWords(tokens);
      const cols = asColumns(packInt8Rows(cpuDyn.q as Int8Array, tokens, width), tokens);
      const gpuCols = await quantizeOnGpu(x, tokens, width, undefined, tw, sg);
      expect(gpuCols.scales).toEqual(cpuDyn.scales);
      expect(gpuCols.codes).toEqual(cols);
    },
    60_000,
  );

  // The 'read' scale: the range over the columns read, the others' codes 0 whatever they hold (the
  // engine leaves them uncomputed): here NaN, 1e30 and the largest |x| of the row.
  test.each([
    [45, false],
    [44, true],
    [300, true],
  ])(
    'the read scale equals quantizeRows with `read` (width %i, subgroups %s)',
    async (width, sg) => {
      const tokens = 11;
      const x = activations(tokens, width, 5);
      const rand = rng(9);
      const read = Uint8Array.from({ length: width }, (_, c) => (c === 0 || rand() < 0.4 ? 1 : 0));
      for (let t = 0; t < tokens; t++)
        for (let c = 0; c < width; c++) if (!read[c]) x[t * width + c] = [Number.NaN, 1e30, -5e3][(t + c) % 3];
      const cpu = quantizeRows(x, tokens, width, 8, read);
      expect(cpu.q.some((v, i) => !read[i % width] && v !== 0)).toBe(false);
      const rows = await quantizeOnGpu(x, tokens, width, undefined, undefined, sg, read);
      expect(rows.scales).toEqual(cpu.scales);
      expect(rows.codes).toEqual(packInt8Rows(cpu.q as Int8Array, tokens, width));
      const cols = await quantizeOnGpu(x, tokens, width, undefined, int8ColumnWords(tokens), sg, read);
      expect(cols.scales).toEqual(cpu.scales);
      expect(cols.codes).toEqual(asColumns(packInt8Rows(cpu.q as Int8Array, tokens, width), tokens));
      // Static ranges ignore it (one calibrated range: nothing to leave out).
      const st = await quantizeOnGpu(
        x.map((v) => (Number.isFinite(v) ? v : 0)),
        tokens,
        width,
        0.75,
        undefined,
        sg,
        read,
      );
      expect(st.scales).toEqual(quantizeStatic(new Float32Array(tokens * width), tokens, width, 0.75, 8).scales);
    },
    60_000,
  );

  test('the scale and its inverse (long division by 8-bit steps) over 300 ranges from 1e-30 to 1e30', async () => {
    const tokens = 300,
      width = 12;
    const rand = rng(17);
    const x = randomArray(tokens * width, rand);
    for (let t = 0; t < tokens; t++) {
      const scale = 10 ** (60 * rand() - 30);
      for (let i = 0; i < width; i++) x[t * width + i] *= scale;
    }
    const cpu = quantizeRows(x, tokens, width, 8);
    const got = await quantizeOnGpu(x, tokens, width, undefined, undefined, true);
    expect(got.scales).toEqual(cpu.scales);
    expect(got.codes).toEqual(packInt8Rows(cpu.q as Int8Array, tokens, width));
  }, 60_000);
});

describe('int8 linears (dot4I8Packed)', () => {
  const tokens = 37,
    nIn = 70,
    nOut = 45;
  const rand = rng(9);
  const x = activations(tokens, nIn, 4);
  const w = randomArray(nOut * nIn, rand, 0.3);
  const bias = randomArray(nOut, rand, 0.1);
  const xq = quantizeRows(x, tokens, nIn, 8);

  test('dense, both tile sides: the CPU int8 reference bit for bit', async () => {
    const wq = quantizeRows(w, nOut, nIn, 8);
    const ref = intDenseLinear(xq, wq, bias);
    for (const variant of ['dot4-64', 'dot4-128'])
      expect(await linearOnGpu({ kind: 'dense', weight: wq }, xq, bias, variant)).toEqual(ref);
  }, 60_000);

  test('HP (Tr 8, 16, 32; ragged tiles; X gathered or as columns): the CPU int8 reference bit for bit', async () => {
    for (const [tr, tc] of [
      [8, 8],
      [16, 16],
      [32, 8],
    ]) {
      const hp = pruneMatrix(
        { name: 'w', out: nOut, in: nIn, weight: w },
        { pattern: 'hp', sparsity: 0.7, split: 0.5, tr, tc, score: 'magnitude' },
      ).hp!;
      const quant = quantizeHP(hp, 8);
      const ref = intHPLinear(xq, hp, quant, bias);
      expect(await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias)).toEqual(ref);
      // Automatic: the loops written out (UNROLL, the dense dot4-64u/128u's code too); as written once.
      if (tr === 32) expect(await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, 'dot4')).toEqual(ref);
      // X read as columns (int8-transpose, then 4 x 4 byte transposes): one output an invocation
      // at Tr 8, four at Tr 32.
      if (tr === 8) expect(await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, 'dot4x')).toEqual(ref);
      if (tr === 32) expect(await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, 'dot4x-n4')).toEqual(ref);
      // Tokens and outputs of an invocation adjacent (vec4 reads of workgroup memory), and X as
      // columns in the f32 columns kernel's layout (int8-hp-columns: out a multiple of 4, 44 rows).
      if (tr === 8) expect(await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, 'dot4x-v')).toEqual(ref);
      if (tr === 16) {
        const cfg = { pattern: 'hp', sparsity: 0.7, split: 0.5, tr, tc, score: 'magnitude' } as const;
        const hp44 = pruneMatrix({ name: 'w', out: 44, in: nIn, weight: w.subarray(0, 44 * nIn) }, cfg).hp!;
        const [q44, b44] = [quantizeHP(hp44, 8), bias.subarray(0, 44)];
        const got = await linearOnGpu({ kind: 'hp', hp: hp44, quant: q44 }, xq, b44, 'dot4c-n4');
        expect(got).toEqual(intHPLinear(xq, hp44, q44, b44));
      }
      if (tr === 32) {
        // Behind the f32 GpuLinear (the encoder's int8 linear): the quantizer writes X as columns.
        const lin = createInt8GpuLinear(
          gpu.device,
          gpu.caps,
          { kind: 'hp', hp, quant },
          { tokens, bias, variant: 'dot4x' },
        );
        expect(await runLinear(gpu.device, lin, x, tokens)).toEqual(ref);
        lin.destroy();
      }
    }
  }, 120_000);

  test('HP with live tile-rows (the read scale): the live ones bit for bit, the others not run', async () => {
    const hp = pruneMatrix(
      { name: 'w', out: nOut, in: nIn, weight: w },
      { pattern: 'hp', sparsity: 0.7, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
    ).hp!;
    const quant = quantizeHP(hp, 8);
    const ref = intHPLinear(xq, hp, quant, bias);
    // Outputs 3 (tile-row 0), 20 and 44 (the ragged last) read: tile-rows 0, 2 and 5 run.
    const liveOut = new Uint8Array(nOut);
    for (const o of [3, 20, 44]) liveOut[o] = 1;
    expect(liveTileRows(hp, liveOut)).toEqual([0, 2, 5]);
    const live: LiveOutputs = { live: liveOut, mask: false, minTokens: 0 };
    for (const variant of [undefined, 'dot4x', 'dot4x-v']) {
      const got = await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, variant, live);
      for (let t = 0; t < tokens; t++)
        for (let o = 0; o < nOut; o++) {
          const run = [0, 2, 5].includes(Math.floor(o / 8));
          expect(Number.isNaN(got[t * nOut + o])).toBe(!run);
          if (run) expect(got[t * nOut + o]).toBe(ref[t * nOut + o]);
        }
      // Below minTokens every tile-row runs.
      const all = await linearOnGpu({ kind: 'hp', hp, quant }, xq, bias, variant, { ...live, minTokens: 1000 });
      expect(all).toEqual(ref);
    }
  }, 60_000);

  test('refuses the tensor-core variants where the device lacks them, and unknown variants', () => {
    const wq = quantizeRows(w, nOut, nIn, 8);
    for (const variant of ['matrix', 'matrix-128']) {
      const lin = createInt8Linear(gpu.device, gpu.caps, { kind: 'dense', weight: wq }, { tokens, variant });
      expect(() => lin.variantFor(tokens)).toThrow(/subgroup-matrix configuration/);
      lin.destroy();
    }
    // Automatic: dot4 here (SwiftShader has no subgroup matrices).
    const auto = createInt8Linear(gpu.device, gpu.caps, { kind: 'dense', weight: wq }, { tokens });
    expect(auto.variantFor(tokens)).toMatch(/^dot4-/);
    auto.destroy();
    expect(() =>
      createInt8Linear(gpu.device, gpu.caps, { kind: 'dense', weight: wq }, { tokens, variant: 'fast' }),
    ).toThrow(/unknown variant 'fast'/);
    const hp = pruneMatrix(
      { name: 'w', out: nOut, in: nIn, weight: w },
      { pattern: 'hp', sparsity: 0.7, split: 0.5, tr: 16, tc: 16, score: 'magnitude' },
    ).hp!;
    const quant = quantizeHP(hp, 8);
    for (const variant of ['matrix', 'matrix-x64'])
      expect(() => createInt8Linear(gpu.device, gpu.caps, { kind: 'hp', hp, quant }, { tokens, variant })).toThrow(
        /subgroup-matrix configuration/,
      );
    expect(() =>
      createInt8Linear(gpu.device, gpu.caps, { kind: 'hp', hp, quant }, { tokens, variant: 'dot4-64' }),
    ).toThrow(/unknown variant 'dot4-64'/);
  });
});
