// Measures this CPU's dense and HP-sparse linear throughput with the kernels of ./linear.
// Runs in a worker in the app and in Node for the CLI; the figures feed the device models
// (the visitor's own CPU row, and the efficiency carried to modelled CPUs).
import { denseLinear, hpLinear } from './linear';
import { forEachKept, type HPMatrix } from '../formats/hp';

export interface CpuLinearMeasurement {
  tokens: number;
  in: number;
  out: number;
  density: number;
  denseMs: number;
  hpMs: number;
  denseGflops: number;
  /** Useful work only: 2 · tokens · kept weights / time. */
  hpGflops: number;
  /** The dense work the sparse product replaces: 2 · tokens · in · out / time. */
  hpDenseEquivalentGflops: number;
  speedup: number;
  reps: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median wall time of `fn` over `reps` runs after one warm-up run. */
export function timeMedian(fn: () => unknown, reps: number, now: () => number = () => performance.now()): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  return median(times);
}

export function measureCpuLinear(hp: HPMatrix, weight: Float32Array, tokens: number, reps = 5): CpuLinearMeasurement {
  const x = new Float32Array(tokens * hp.in);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 0.5; // deterministic, non-zero
  const denseMs = timeMedian(() => denseLinear(x, tokens, weight, hp.out, hp.in), reps);
  const hpMs = timeMedian(() => hpLinear(x, tokens, hp), reps);
  const denseFlop = 2 * tokens * hp.in * hp.out;
  let kept = 0; // real weights only: padding of ragged edge tiles is not work
  forEachKept(hp, () => kept++);
  return {
    tokens,
    in: hp.in,
    out: hp.out,
    density: kept / (hp.in * hp.out),
    denseMs,
    hpMs,
    denseGflops: denseFlop / denseMs / 1e6,
    hpGflops: (2 * tokens * kept) / hpMs / 1e6,
    hpDenseEquivalentGflops: denseFlop / hpMs / 1e6,
    speedup: denseMs / hpMs,
    reps,
  };
}
