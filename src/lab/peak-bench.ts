// hp-lab bench peak: the adapter's throughput ceilings through WebGPU (gpu/kernels/peak.ts):
// each kernel run once and its output compared exactly with what the CPU predicts (the work was
// done, and counted right), then timed (GPU timestamps where the device has them).
import type { AcquiredGpu } from '../gpu/adapter';
import { readBuffer, submitSingleDispatch, uploadBuffer } from '../gpu/kernel';
import { hasInt8Matrix } from '../gpu/kernels/int8-linear';
import {
  ALU_PEAKS,
  expectedAlu,
  expectedMma,
  mmaMaxIters,
  mmaOperands,
  mmaPeaks,
  peakLayout,
  peakMmaStorage,
  peakName,
  peakOps,
  peakOutputWords,
  peakParams,
  peakPipeline,
  type PeakKernel,
} from '../gpu/kernels/peak';
import { rng } from '../gpu/kernels/random-hp';
import { timeCompute } from '../gpu/timing';

export interface PeakResult {
  kernel: string;
  workgroups: number;
  iters: number;
  ops: number;
  ms_median: number;
  ms_min: number;
  /** Tera-operations a second (multiply-adds x 2) at the median. */
  tops: number;
  timing: 'timestamp' | 'wall';
  verified: boolean;
  /** Output words (sampled invocations for the ALU kernels) that differ from the CPU's. */
  mismatches: number;
  checked: number;
  error?: string;
}

export interface PeakOptions {
  /** Which families: 'mma', 'dot4', 'fma' (default all three). */
  families?: readonly string[];
  /** Only the kernels of these names (default every one of the families). */
  only?: readonly string[];
  workgroups?: number;
  /** Loop iterations (PEAK_UNROLL steps each): MMA and ALU kernels. */
  mmaIters?: number;
  aluIters?: number;
  reps?: number;
  /** ALU invocations replayed on the CPU (default 64). */
  samples?: number;
}

/** The kernels `opts` selects on this device (MMA ones only with i8/u8 subgroup matrices). */
export function peakKernels(gpu: AcquiredGpu, opts: PeakOptions = {}): PeakKernel[] {
  const families = opts.families ?? ['mma', 'dot4', 'fma'];
  const matrix = hasInt8Matrix(gpu.device, gpu.caps);
  // A binding that does not report configurations: the one the int8 kernels use.
  const configs = gpu.caps.subgroupMatrixConfigs ?? [
    { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 },
  ];
  const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
  const all: PeakKernel[] = [
    ...(matrix && families.includes('mma') ? mmaPeaks(configs).filter((p) => peakMmaStorage(p) <= limit) : []),
    ...ALU_PEAKS.filter((p) => families.includes(p.kind.split('-')[0])),
  ];
  return opts.only ? all.filter((p) => opts.only!.includes(peakName(p))) : all;
}

/** f's value, or its error, or the first validation / internal error it caused on the device. */
async function scoped<T>(device: GPUDevice, f: () => Promise<T>): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  let value: T | undefined;
  let thrown: unknown;
  try {
    value = await f();
  } catch (err) {
    thrown = err;
  }
  const error = [await device.popErrorScope(), await device.popErrorScope()].find(Boolean);
  if (error) throw new Error(error.message.slice(0, 400));
  if (thrown) throw thrown as Error;
  return value as T;
}

export async function benchPeak(gpu: AcquiredGpu, opts: PeakOptions = {}): Promise<PeakResult[]> {
  const { device, caps } = gpu;
  const sg = caps.subgroupMaxSize ?? 32;
  const layout = peakLayout(device);
  const rand = rng(15);
  const results: PeakResult[] = [];
  for (const p of peakKernels(gpu, opts)) {
    const workgroups = opts.workgroups ?? 4096;
    const iters =
      p.kind === 'mma'
        ? Math.min(opts.mmaIters ?? 256, mmaMaxIters(p))
        : (opts.aluIters ?? (p.kind === 'fma-f32' ? 512 : 256));
    const b = 0x7f80017f ^ Math.floor(rand() * 2 ** 31);
    const operands = p.kind === 'mma' ? mmaOperands(p, rand) : new Uint32Array(4);
    const words = peakOutputWords(p, workgroups);
    const src = uploadBuffer(device, operands, `peak ${peakName(p)} operands`);
    const params = uploadBuffer(
      device,
      peakParams(iters, b),
      `peak params`,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    const y = device.createBuffer({
      label: `peak ${peakName(p)} out`,
      size: words * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const base = { kernel: peakName(p), workgroups, iters, ops: peakOps(p, workgroups, iters) };
    try {
      const { record, got } = await scoped(device, async () => {
        const pipeline = peakPipeline(device, p, sg);
        const record = submitSingleDispatch(device, pipeline, layout, [params, src, y], workgroups);
        return { record, got: new Uint32Array((await readBuffer(device, y, words * 4)).buffer) };
      });
      let bad = 0,
        checked = 0;
      if (p.kind === 'mma') {
        const strip = new Uint32Array(expectedMma(p, operands, iters).buffer);
        for (let i = 0; i < words; i++, checked++) if (got[i] !== strip[i % strip.length]) bad++;
      } else {
        const n = Math.min(words, opts.samples ?? 64);
        for (let s = 0; s < n; s++, checked++) {
          const g = s === n - 1 ? words - 1 : Math.floor((s * words) / n);
          if (got[g] !== expectedAlu(p, g, iters, b)) bad++;
        }
      }
      const t = await timeCompute(device, record, { reps: opts.reps ?? 10 });
      results.push({
        ...base,
        ms_median: t.msMedian,
        ms_min: t.msMin,
        tops: Number((base.ops / t.msMedian / 1e9).toPrecision(4)),
        timing: t.timing,
        verified: bad === 0,
        mismatches: bad,
        checked,
      });
    } catch (err) {
      results.push({
        ...base,
        ...{ ms_median: NaN, ms_min: NaN, tops: 0, timing: 'wall', verified: false, mismatches: -1, checked: 0 },
        error: (err as Error).message,
      });
    } finally {
      for (const buf of [src, params, y]) buf.destroy();
    }
  }
  return results;
}
