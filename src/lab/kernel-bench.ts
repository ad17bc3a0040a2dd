// Verify and time one linear kernel (`verifyAndTimeLinear`): run once, compare sampled rows with
// the CPU reference, then time it (timestamp queries when the device has them, wall clock
// otherwise; median of many repetitions), inside error scopes. The one harness of "Measure my
// GPU" (`measureCase`: Y = X·Wᵀ with the project's dense kernel on W and its HP kernel on W
// pruned at the visitor's configuration), `hp-lab bench matmul|hp` and the GPU tests. Runs
// wherever a GPUDevice exists: a browser worker, or Node through Dawn.
import type { AcquiredGpu } from '../gpu/adapter';
import { readBuffer } from '../gpu/kernel';
import { createDenseLinear, createHPLinear, type GpuLinear } from '../gpu/kernels';
import {
  compareRows,
  denseReference,
  hpReference,
  sampleRows,
  type Mismatch,
  type ReferenceResult,
} from '../gpu/kernels/cpu-reference';
import { randomArray, rng } from '../gpu/kernels/random-hp';
import { timeCompute } from '../gpu/timing';
import { holdKernelClock } from './clock-hold';
import { pruneMatrix, type PruneConfig } from '../core/pruning';
import type { HPMatrix } from '../core/formats/hp';

export interface LinearCase {
  name: string;
  tokens: number;
  in: number;
  out: number;
}

export interface KernelResult {
  /** Median. */
  ms: number;
  msMin: number;
  /** Runs inside one timed sample (gpu/timing.ts: short kernels are repeated within a pass). */
  repeatsPerSample: number;
  /** Floating-point operations the kernel performed (HP: stored values incl. padding). */
  flops: number;
  tile: string;
  reps: number;
  timing: 'timestamp' | 'wall';
  verified: boolean;
  maxError: number;
  firstMismatch?: Mismatch['first'];
  /** The kernel's chunk times (ms a run) while the clock was held before timing (holdClockMs). */
  clockHold?: number[];
}

export interface CaseResult extends LinearCase {
  /** Kept weights / (out x in), counted on the mask. */
  density: number;
  kept: number;
  dense: KernelResult;
  hp: KernelResult;
  denseGflops: number;
  /** Useful GFLOP/s of the HP kernel: 2 x tokens x kept / time. */
  hpGflops: number;
  /** 2 x tokens x in x out / HP time: what a dense kernel would need to match it. */
  hpDenseEquivGflops: number;
  speedup: number;
  checkedRows: number;
}

/** Inputs shared with the onnxruntime peer: the same X and dense W. */
export interface CaseData {
  x: Float32Array;
  weight: Float32Array;
  hp: HPMatrix;
  kept: number;
}

export interface MeasureOptions {
  /** Timed samples, fixed (gpu/timing's default warmup); else `budgetMs` sets them. */
  reps?: number;
  /** Milliseconds of GPU time to spend timing each kernel (sets the repetitions). Default 400. */
  budgetMs?: number;
  minReps?: number;
  maxReps?: number;
  /** Multiply-adds the CPU reference may spend per kernel (sets the sampled rows). Default 5e7. */
  referenceMacs?: number;
  /** Races every GPU wait, so a lost device fails the case at once instead of hanging. */
  guard?: <T>(p: Promise<T>) => Promise<T>;
  /** On a hardware GPU, run each kernel for this many ms (then until its times settle) before timing
   *  it (clock-hold.ts): the GPU idles at a low clock while the CPU prunes and verifies. Default 0. */
  holdClockMs?: number;
}

/** Random X and W (speed does not depend on the values), W pruned with the HP pattern. */
export function caseData(c: LinearCase, config: PruneConfig, seed = 1): CaseData {
  const rand = rng(seed);
  const x = randomArray(c.tokens * c.in, rand);
  const weight = randomArray(c.out * c.in, rand, 1 / Math.sqrt(c.in));
  const pruned = pruneMatrix(
    { name: c.name, out: c.out, in: c.in, weight },
    { ...config, pattern: 'hp', score: 'magnitude' },
  );
  if (!pruned.hp) throw new Error(`${c.name}: HP pruning returned no HP matrix`);
  return { x, weight, hp: pruned.hp, kept: pruned.kept };
}

/** The rows the CPU reference computes: all of a small case, else as many (4 to `maxRows`) as
 *  `referenceMacs` multiply-adds allow. */
export function referenceRows(c: LinearCase, referenceMacs = 5e7, maxRows = 32): number[] {
  return sampleRows(c.tokens, Math.max(4, Math.min(maxRows, Math.floor(referenceMacs / Math.max(1, c.in * c.out)))));
}

/** Y from a split-K output: the sum of its `parts` blocks of `n` values (the block itself for one). */
export function addSlices(y: Float32Array, parts: number, n: number): Float32Array {
  if (parts <= 1) return y;
  const sum = y.slice(0, n);
  for (let p = 1; p < parts; p++) for (let i = 0; i < n; i++) sum[i] += y[p * n + i];
  return sum;
}

/** X (written) and Y buffers of a case, for any number of kernels on it. */
export interface LinearBuffers {
  x: GPUBuffer;
  y: GPUBuffer;
  destroy(): void;
}

/** `parts`: the most K-slices (split-K) a linear on them writes. */
export function linearBuffers(
  device: GPUDevice,
  x: Float32Array,
  tokens: number,
  out: number,
  parts = 1,
): LinearBuffers {
  const xBuf = device.createBuffer({
    size: Math.max(16, x.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(xBuf, 0, x as Float32Array<ArrayBuffer>);
  const yBuf = device.createBuffer({
    size: Math.max(16, parts * tokens * out * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  return {
    x: xBuf,
    y: yBuf,
    destroy: () => {
      xBuf.destroy();
      yBuf.destroy();
    },
  };
}

/** Verifies `lin` once (which also tells how long one run takes), then times it. Validation and
 *  out-of-memory errors inside fail it (their numbers are not to be trusted). */
export async function verifyAndTimeLinear(
  gpu: AcquiredGpu,
  lin: GpuLinear,
  bufs: LinearBuffers,
  c: LinearCase,
  rows: number[],
  ref: ReferenceResult,
  opts: MeasureOptions = {},
): Promise<KernelResult> {
  const { device } = gpu;
  const guard = opts.guard ?? (<T>(p: Promise<T>) => p);
  const parts = lin.partsFor?.(c.tokens) ?? 1;
  const yBytes = Math.max(16, parts * c.tokens * c.out * 4);
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const outcome = await verifyAndTimeScoped(gpu, lin, bufs.x, bufs.y, c, rows, ref, opts, guard, yBytes).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const oom = await guard(device.popErrorScope());
  const invalid = await guard(device.popErrorScope());
  // An error inside the scopes means the numbers (or the failure) above are not to be trusted.
  if (oom) throw new Error(`${c.name}: the GPU ran out of memory (${oom.message})`);
  if (invalid) throw new Error(`${c.name}: WebGPU validation error: ${invalid.message}`);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

async function verifyAndTimeScoped(
  gpu: AcquiredGpu,
  lin: GpuLinear,
  xBuf: GPUBuffer,
  yBuf: GPUBuffer,
  c: LinearCase,
  rows: number[],
  ref: ReferenceResult,
  opts: MeasureOptions,
  guard: <T>(p: Promise<T>) => Promise<T>,
  yBytes: number,
): Promise<KernelResult> {
  const { device } = gpu;
  device.queue.writeBuffer(yBuf, 0, new Float32Array(yBytes / 4).fill(Number.NaN));
  const enc = device.createCommandEncoder();
  lin.encode(enc, xBuf, yBuf, c.tokens);
  device.queue.submit([enc.finish()]);
  const parts = lin.partsFor?.(c.tokens) ?? 1;
  const y = addSlices(await readBuffer(device, yBuf, yBytes, opts.guard), parts, c.tokens * c.out);
  const cmp = compareRows(y, ref, rows, c.out);
  const plan = opts.reps ? { reps: opts.reps } : await budgetReps(device, lin, xBuf, yBuf, c.tokens, opts, guard);
  const record = (pass: GPUComputePassEncoder) => lin.encode(pass, xBuf, yBuf, c.tokens);
  const held = await holdKernelClock(device, record, opts.holdClockMs, gpu.caps.isFallbackAdapter, guard);
  const t = await guard(timeCompute(device, record, plan));
  return {
    ms: t.msMedian,
    msMin: t.msMin,
    repeatsPerSample: t.repeatsPerSample,
    flops: lin.flops(c.tokens),
    tile: lin.tileFor(c.tokens),
    reps: plan.reps,
    timing: t.timing,
    verified: cmp.ok,
    maxError: cmp.maxError,
    ...(cmp.first ? { firstMismatch: cmp.first } : {}),
    ...(held ? { clockHold: held } : {}),
  };
}

/** A second run, pipelines compiled, tells how many repetitions fit the time budget. */
async function budgetReps(
  device: GPUDevice,
  lin: GpuLinear,
  xBuf: GPUBuffer,
  yBuf: GPUBuffer,
  tokens: number,
  opts: MeasureOptions,
  guard: <T>(p: Promise<T>) => Promise<T>,
): Promise<{ reps: number; warmup: number }> {
  const t0 = performance.now();
  const again = device.createCommandEncoder();
  lin.encode(again, xBuf, yBuf, tokens);
  device.queue.submit([again.finish()]);
  await guard(device.queue.onSubmittedWorkDone());
  const once = performance.now() - t0;
  const reps = Math.max(
    opts.minReps ?? 3,
    Math.min(opts.maxReps ?? 100, Math.ceil((opts.budgetMs ?? 400) / Math.max(once, 0.05))),
  );
  return { reps, warmup: reps >= 10 ? 3 : 1 };
}

const gflops = (flops: number, ms: number) => (ms > 0 ? flops / ms / 1e6 : 0);

/** Dense vs HP on one shape. GpuLimitError (a RangeError) when the shape exceeds the device. */
export async function measureCase(
  gpu: AcquiredGpu,
  c: LinearCase,
  data: CaseData,
  opts: MeasureOptions = {},
): Promise<CaseResult> {
  const { device, caps } = gpu;
  const rows = referenceRows(c, opts.referenceMacs);
  const lins: GpuLinear[] = [];
  let bufs: LinearBuffers | undefined;
  try {
    lins.push(
      createDenseLinear(device, caps, {
        tokens: c.tokens,
        in: c.in,
        out: c.out,
        weight: data.weight,
        label: `${c.name} dense`,
      }),
    );
    lins.push(createHPLinear(device, caps, { tokens: c.tokens, hp: data.hp, label: `${c.name} HP` }));
    bufs = linearBuffers(device, data.x, c.tokens, c.out);
    const dense = await verifyAndTimeLinear(
      gpu,
      lins[0],
      bufs,
      c,
      rows,
      denseReference(data.x, data.weight, undefined, c.in, c.out, rows),
      opts,
    );
    const hp = await verifyAndTimeLinear(
      gpu,
      lins[1],
      bufs,
      c,
      rows,
      hpReference(data.x, data.hp, undefined, rows),
      opts,
    );
    const useful = 2 * c.tokens * data.kept;
    return {
      ...c,
      density: data.kept / (c.in * c.out),
      kept: data.kept,
      dense,
      hp,
      denseGflops: gflops(dense.flops, dense.ms),
      hpGflops: gflops(useful, hp.ms),
      hpDenseEquivGflops: gflops(2 * c.tokens * c.in * c.out, hp.ms),
      speedup: dense.ms / hp.ms,
      checkedRows: rows.length,
    };
  } finally {
    for (const l of lins) l.destroy();
    bufs?.destroy();
  }
}
