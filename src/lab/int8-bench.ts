// One int8 kernel benchmark (hp-lab bench matmul|hp --quant int8): X quantized on the GPU per
// token (int8-quantize), then the int8 linear (dense: core-WGSL dot4 tiles and, where the device
// has i8 subgroup matrices, the tensor-core tiles; HP: dot4 and the tensor-core kernel), each
// verified against the CPU int8 reference (core/quant) on sampled rows, bit for bit, then timed.
import type { AcquiredGpu } from '../gpu/adapter';
import { readBuffer, uploadBuffer } from '../gpu/kernel';
import {
  createInt8Linear,
  hasInt8Matrix,
  INT8_MATRIX,
  MATRIX_UNIT_CHOICES,
  type GpuInt8Linear,
  type Int8Weights,
  type MatrixUnits,
} from '../gpu/kernels/int8-linear';
import { createInt8Quantizer } from '../gpu/kernels/int8-quantize';
import { sampleRows } from '../gpu/kernels/cpu-reference';
import { timeCompute } from '../gpu/timing';
import { intDenseLinear, intHPLinear, quantizeRows } from '../core/quant';
import { int8ColumnWords } from '../gpu/kernels/int8-transpose';
import { holdKernelClock } from './clock-hold';

export interface Int8Timed {
  variant: string;
  ms_median: number;
  ms_min: number;
  timing: 'timestamp' | 'wall';
  verified: boolean;
  /** Outputs of the checked rows that differ from the CPU int8 reference (0: bit for bit). */
  mismatches: number;
  /** The subgroup-matrix variant: how its loads counted offsets / strides (the one that verified). */
  matrix_units?: MatrixUnits;
  tried_units?: { units: MatrixUnits; mismatches: number | string }[];
  /** The kernel's chunk times (ms a run) while the clock was held before timing (holdClockMs). */
  clock_hold?: number[];
}

export interface Int8BenchResult {
  /** The quantizer the linears are verified on (subgroupMax where the adapter has subgroups). */
  quantize_ms: number;
  /** Every form of the quantizer, timed alone: codes as rows / as columns (what the HP 'x'
   *  kernels read), with subgroupMax ('subgroup') or a tree of barriers ('plain'). */
  quantize_forms_ms: Record<string, number>;
  checked_rows: number;
  tensor_cores: boolean;
  results: Int8Timed[];
}

/** Y rows `rows` of the CPU int8 reference for X (f32, tokens x in). */
function referenceRows(
  weights: Int8Weights,
  x: Float32Array,
  nIn: number,
  rows: number[],
  bias: Float32Array,
): Float32Array {
  const sub = new Float32Array(rows.length * nIn);
  rows.forEach((r, i) => sub.set(x.subarray(r * nIn, (r + 1) * nIn), i * nIn));
  const xq = quantizeRows(sub, rows.length, nIn, 8);
  return weights.kind === 'dense'
    ? intDenseLinear(xq, weights.weight, bias)
    : intHPLinear(xq, weights.hp, weights.quant, bias);
}

export async function benchInt8(
  gpu: AcquiredGpu,
  weights: Int8Weights,
  x: Float32Array,
  tokens: number,
  bias: Float32Array,
  /** holdClockMs: on a hardware GPU, run each variant this long (then until its times settle) before
   *  timing it (clock-hold.ts): the GPU idles at a lower clock while the CPU verifies. */
  opts: { reps: number; variants?: string[]; maxRefMacs?: number; holdClockMs?: number },
): Promise<Int8BenchResult> {
  const { device, caps } = gpu;
  const probe = createInt8Linear(device, caps, weights, { tokens });
  const nIn = probe.in,
    nOut = probe.out,
    words = probe.inWords;
  probe.destroy();
  const rows = sampleRows(
    tokens,
    Math.max(4, Math.min(64, Math.floor((opts.maxRefMacs ?? 4e8) / Math.max(1, nIn * nOut)))),
  );
  const ref = referenceRows(weights, x, nIn, rows, bias);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const xb = uploadBuffer(device, x, 'bench x');
  const cb = device.createBuffer({ size: Math.max(16, tokens * words * 4), usage });
  const sb = device.createBuffer({ size: Math.max(16, tokens * 4), usage });
  const yBytes = Math.max(16, tokens * nOut * 4);
  const yb = device.createBuffer({ size: yBytes, usage });
  const subgroupMaxSize = caps.hasSubgroups ? caps.subgroupMaxSize : undefined;
  const quantizer = createInt8Quantizer(device, { tokens, width: nIn, subgroupMaxSize });
  const tw = int8ColumnWords(tokens);
  const colBuf = device.createBuffer({ size: Math.max(16, words * 4 * tw * 4), usage });
  try {
    const enc = device.createCommandEncoder();
    quantizer.encode(enc, xb, cb, sb, tokens);
    device.queue.submit([enc.finish()]);
    const quantize = await timeCompute(device, (pass) => quantizer.encode(pass, xb, cb, sb, tokens), {
      reps: opts.reps,
    });
    const forms: Record<string, number> = {};
    for (const columns of [false, true])
      for (const sg of subgroupMaxSize ? [true, false] : [false]) {
        const q = createInt8Quantizer(device, {
          tokens,
          width: nIn,
          columnWords: columns ? tw : undefined,
          subgroupMaxSize: sg ? subgroupMaxSize : undefined,
        });
        const t = await timeCompute(device, (pass) => q.encode(pass, xb, columns ? colBuf : cb, sb, tokens), {
          reps: opts.reps,
        });
        forms[`${columns ? 'columns' : 'rows'}-${sg ? 'subgroup' : 'plain'}`] = t.msMedian;
        q.destroy();
      }
    // The timed forms wrote the same scales; the rows' codes again for the linears.
    const again = device.createCommandEncoder();
    quantizer.encode(again, xb, cb, sb, tokens);
    device.queue.submit([again.finish()]);

    const check = async (lin: GpuInt8Linear): Promise<number> => {
      device.queue.writeBuffer(yb, 0, new Float32Array(yBytes / 4).fill(Number.NaN));
      const e = device.createCommandEncoder();
      lin.encode(e, cb, sb, yb, tokens);
      device.queue.submit([e.finish()]);
      const y = await readBuffer(device, yb, yBytes);
      let bad = 0;
      rows.forEach((r, i) => {
        for (let o = 0; o < nOut; o++) if (!Object.is(y[r * nOut + o], ref[i * nOut + o])) bad++;
      });
      return bad;
    };

    const variants = opts.variants ?? [undefined as unknown as string];
    const results: Int8Timed[] = [];
    for (const variant of variants) {
      const isMatrix = variant !== undefined && variant.startsWith(INT8_MATRIX);
      if (isMatrix && !hasInt8Matrix(device, caps)) continue;
      const tried: { units: MatrixUnits; mismatches: number | string }[] = [];
      let chosen: { lin: GpuInt8Linear; bad: number; units?: MatrixUnits } | undefined;
      for (const units of isMatrix ? MATRIX_UNIT_CHOICES : [undefined]) {
        device.pushErrorScope('validation');
        const lin = createInt8Linear(device, caps, weights, { tokens, bias, variant, matrixUnits: units });
        let bad: number | string;
        try {
          bad = await check(lin);
        } catch (err) {
          bad = (err as Error).message;
        }
        const invalid = await device.popErrorScope();
        if (invalid) bad = `validation: ${invalid.message.slice(0, 300)}`;
        if (units) tried.push({ units, mismatches: bad });
        if (typeof bad === 'number' && (chosen === undefined || bad < chosen.bad)) {
          chosen?.lin.destroy();
          chosen = { lin, bad, units };
        } else lin.destroy();
        if (chosen?.bad === 0) break;
      }
      if (!chosen) {
        results.push({
          variant,
          ms_median: NaN,
          ms_min: NaN,
          timing: 'wall',
          verified: false,
          mismatches: -1,
          ...(tried.length ? { tried_units: tried } : {}),
        });
        continue;
      }
      const record = (pass: GPUComputePassEncoder) => chosen!.lin.encode(pass, cb, sb, yb, tokens);
      const held = await holdKernelClock(device, record, opts.holdClockMs, caps.isFallbackAdapter);
      const t = await timeCompute(device, record, { reps: opts.reps });
      results.push({
        variant: chosen.lin.variantFor(tokens),
        ms_median: t.msMedian,
        ms_min: t.msMin,
        timing: t.timing,
        verified: chosen.bad === 0,
        mismatches: chosen.bad,
        ...(chosen.units ? { matrix_units: chosen.units, tried_units: tried } : {}),
        ...(held ? { clock_hold: held.map((v) => Number(v.toFixed(4))) } : {}),
      });
      chosen.lin.destroy();
    }
    return {
      quantize_ms: quantize.msMedian,
      quantize_forms_ms: forms,
      checked_rows: rows.length,
      tensor_cores: hasInt8Matrix(device, caps),
      results,
    };
  } finally {
    quantizer.destroy();
    for (const b of [xb, cb, sb, yb, colBuf]) b.destroy();
  }
}
