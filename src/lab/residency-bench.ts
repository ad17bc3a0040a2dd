// hp-lab bench residency: for each workgroup shape, how many such workgroups the GPU holds at once
// (gpu/kernels/residency.ts), with the run checked: every workgroup arrived and left (finished =
// dispatched, none still counted live) and sampled invocations' loop hashes equal the CPU's.
// Divided by the GPU's SM count (not reported by WebGPU: the caller knows it, or the calibration
// shape's figure over the vendor's per-SM workgroup cap gives it) it is workgroups an SM.
import type { AcquiredGpu } from '../gpu/adapter';
import { readBuffer, submitSingleDispatch, uploadBuffer } from '../gpu/kernel';
import {
  expectedResidencyWord,
  parseResidencyShape,
  residencyLayout,
  residencyName,
  residencyPipeline,
} from '../gpu/kernels/residency';
import { timeCompute } from '../gpu/timing';

export interface ResidencyResult {
  shape: string;
  threads: number;
  storage: number;
  live: number;
  workgroups: number;
  /** Most workgroups seen live at once. */
  resident: number;
  /** resident / units, when the SM count is known. */
  per_unit?: number;
  /** One dispatch's time (GPU timestamps where the device has them): ms. */
  ms: number;
  verified: boolean;
  /** Why not verified, or why it did not run (a shape over the device's limits). */
  error?: string;
}

export interface ResidencyOptions {
  /** Shape names (residency.ts DEFAULT_RESIDENCY_SHAPES by default). */
  shapes: readonly string[];
  workgroups?: number;
  /** Loop steps a workgroup (long against a wave's launch). */
  spin?: number;
  /** SMs / compute units, to report workgroups a unit. */
  units?: number;
  /** Invocations replayed on the CPU a shape. */
  samples?: number;
}

const SEED = 0x5eed;

/** One shape: a dispatch read back (counters + y) and checked, then timed once more. */
async function measureShape(gpu: AcquiredGpu, name: string, opts: ResidencyOptions): Promise<ResidencyResult> {
  const { device } = gpu;
  const s = parseResidencyShape(name);
  const workgroups = opts.workgroups ?? 8192;
  const spin = opts.spin ?? 20000;
  const base = { shape: residencyName(s), ...s, workgroups };
  const limits = device.limits;
  const over =
    s.threads > limits.maxComputeInvocationsPerWorkgroup || s.threads > limits.maxComputeWorkgroupSizeX
      ? `${s.threads} invocations (device max ${limits.maxComputeInvocationsPerWorkgroup})`
      : s.storage > limits.maxComputeWorkgroupStorageSize
        ? `${s.storage} bytes of workgroup memory (device max ${limits.maxComputeWorkgroupStorageSize})`
        : undefined;
  if (over) return { ...base, resident: 0, ms: NaN, verified: false, error: `over this device's limits: ${over}` };
  const params = uploadBuffer(
    device,
    new Uint32Array([spin, SEED]),
    'residency params',
    GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  );
  const counters = device.createBuffer({
    label: 'residency counters',
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const words = workgroups * s.threads;
  const y = device.createBuffer({
    label: 'residency y',
    size: words * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  try {
    const pipeline = residencyPipeline(device, s);
    const record = submitSingleDispatch(device, pipeline, residencyLayout(device), [params, counters, y], workgroups);
    const [live, resident, finished] = new Uint32Array((await readBuffer(device, counters, 16)).buffer);
    const got = new Uint32Array((await readBuffer(device, y, words * 4)).buffer);
    const problems: string[] = [];
    if (finished !== workgroups) problems.push(`${finished} of ${workgroups} workgroups finished`);
    if (live !== 0) problems.push(`${live} still counted live`);
    if (resident < 1 || resident > workgroups) problems.push(`resident ${resident} out of range`);
    const n = Math.min(words, opts.samples ?? 8);
    for (let i = 0; i < n; i++) {
      const g = i === n - 1 ? words - 1 : Math.floor((i * words) / n);
      const want = expectedResidencyWord(s, g, spin, SEED);
      if (got[g] !== want) {
        problems.push(`invocation ${g} wrote ${got[g]}, the CPU replays ${want}`);
        break;
      }
    }
    // The counters are left as they are: timing only needs the dispatch's duration.
    const t = await timeCompute(device, record, { warmup: 0, reps: 1 });
    return {
      ...base,
      resident,
      ...(opts.units ? { per_unit: Number((resident / opts.units).toFixed(2)) } : {}),
      ms: t.msMedian,
      verified: problems.length === 0,
      ...(problems.length ? { error: problems.join('; ') } : {}),
    };
  } finally {
    for (const b of [params, counters, y]) b.destroy();
  }
}

export async function benchResidency(gpu: AcquiredGpu, opts: ResidencyOptions): Promise<ResidencyResult[]> {
  const out: ResidencyResult[] = [];
  for (const name of opts.shapes) out.push(await measureShape(gpu, name, opts));
  return out;
}
