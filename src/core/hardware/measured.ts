// Turns what other panels measure on the visitor's machine into MeasuredDevice records for the
// device models: the CPU kernels (core/cpu/measure) and, for the GPU, the same shape of numbers
// (dense and HP GFLOP/s per matrix shape, optionally an encoder time).
import type { CpuLinearMeasurement } from '../cpu/measure';
import type { MeasuredDevice, SparsePoint } from './roofline';
import type { BertConfig } from '../model/bert-types';

/** One dense-vs-HP linear measurement (CPU or GPU kernels). */
export interface LinearMeasurement {
  tokens: number;
  in: number;
  out: number;
  density: number;
  denseGflops: number;
  /** Useful GFLOP/s of the HP kernel (2 x tokens x kept / time). */
  hpGflops: number;
}

function work(m: LinearMeasurement): number {
  return m.tokens * m.in * m.out;
}

/** Work-weighted throughput over shapes (big matrices dominate the encoder's time). */
function weighted(rows: LinearMeasurement[], pick: (m: LinearMeasurement) => number): number {
  const total = rows.reduce((a, m) => a + work(m), 0);
  // Harmonic mean weighted by work = total work / total time.
  const time = rows.reduce((a, m) => a + work(m) / pick(m), 0);
  return total / time;
}

export interface MeasuredOptions {
  catalogId?: string;
  peakGflops?: number;
  bandwidthGBs?: number;
  software?: boolean;
  encoder?: { batch: number; seq: number; ms: number; config?: BertConfig; density?: number };
}

export function measuredFromLinears(
  kind: 'cpu' | 'gpu',
  label: string,
  rows: LinearMeasurement[],
  opts: MeasuredOptions = {},
): MeasuredDevice {
  const valid = rows.filter((m) => m.denseGflops > 0 && m.hpGflops > 0 && m.density > 0);
  if (valid.length === 0) throw new RangeError(`no usable ${kind} measurement for ${label}`);
  const denseGflops = weighted(valid, (m) => m.denseGflops);
  // One sparse point per distinct density (rounded to 1e-3), throughput work-weighted.
  const byDensity = new Map<number, LinearMeasurement[]>();
  for (const m of valid) {
    const key = Math.round(m.density * 1000) / 1000;
    byDensity.set(key, [...(byDensity.get(key) ?? []), m]);
  }
  const sparse: SparsePoint[] = [...byDensity].map(([density, ms]) => ({
    density,
    gflops: weighted(ms, (m) => m.hpGflops),
    pattern: 'hp',
  }));
  return { kind, label, denseGflops, sparse, ...opts };
}

export function measuredCpu(label: string, rows: CpuLinearMeasurement[], opts: MeasuredOptions = {}): MeasuredDevice {
  return measuredFromLinears('cpu', label, rows, opts);
}
