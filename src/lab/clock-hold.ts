// Holding a GPU at its working clock before a timing. An idle or lightly loaded GPU lowers its clock
// and raises it only after some time under load: on the H200 shapes timed after another's idle-wall
// runs read 2x slow while the SM clock sat at 720-1215 MHz instead of 1980, and it took ~1.2 s under
// load to climb back (BENCHMARKS.md, issue 19 fourteenth pass). Used by the encoder's timings (CLI and
// "Run on my GPU"), by "Measure my GPU" and by the kernel benches (holdKernelClock).
import { timeCompute } from '../gpu/timing';

/** How long the page keeps the GPU busy before each of its timings (at least; then until settled). */
export const HOLD_CLOCK_MS = 300;

/** Whether the last `window` times agree within `tolerance` (relative): the clock has settled. A
 *  software adapter's times jitter more than that, so a hold there runs to its cap. */
export function isSteady(times: readonly number[], window = 3, tolerance = 0.02): boolean {
  if (times.length < window) return false;
  const last = times.slice(-window);
  return Math.max(...last) <= Math.min(...last) * (1 + tolerance);
}

/** Runs `chunk` (a short timed run of the work that follows, returning its time) for at least `ms`,
 *  then on until its times settle, at most max(3 x ms, 1 s) more. Returns the chunks' times, in order. */
export async function holdClock(chunk: () => Promise<number>, ms: number): Promise<number[]> {
  const start = performance.now();
  const times: number[] = [];
  for (;;) {
    times.push(await chunk());
    const elapsed = performance.now() - start;
    if (elapsed >= ms && (isSteady(times) || elapsed >= ms + Math.max(3 * ms, 1000))) return times;
  }
}

/** One chunk of a kernel's clock hold: three samples of at least 5 ms of the kernel, no warmup
 *  (timeCompute repeats it inside a pass to fill a sample). */
const KERNEL_HOLD_CHUNK = { reps: 3, warmup: 0, minSampleMs: 5 };

/** holdClock for one kernel (`record` adds it to a pass), before timing it: its chunks' medians,
 *  or undefined where nothing is held (no `ms`, or a software adapter, whose clock does not move).
 *  `guard` races each chunk against the loss of the device (gpu-lease.ts). */
export async function holdKernelClock(
  device: GPUDevice,
  record: (pass: GPUComputePassEncoder) => void,
  ms: number | undefined,
  software: boolean,
  guard: <T>(p: Promise<T>) => Promise<T> = (p) => p,
): Promise<number[] | undefined> {
  if (!ms || software) return undefined;
  return holdClock(async () => (await guard(timeCompute(device, record, KERNEL_HOLD_CHUNK))).msMedian, ms);
}
