// GPU timing of encoded work: timestamp queries around each sample's compute pass when the
// device has 'timestamp-query', wall clock around batches of submissions otherwise; warmup
// first, then many samples, the median reported.
// Timestamps can be coarse (Dawn on the H200 rounds them to 65.536 µs), so a sample repeats the
// work back to back inside one pass until it lasts at least `minSampleMs`, and reports the pass
// time divided by the repeats. Repeats in one pass are serialised by the implementation's
// barriers (they write the same buffer), as consecutive layers of a model are.

export interface GpuTiming {
  /** Median milliseconds per repetition. */
  msMedian: number;
  msMin: number;
  samples: number[];
  timing: 'timestamp' | 'wall';
  /** Repetitions of the work inside each timed pass (timestamp timing), or per submission (wall). */
  repeatsPerSample: number;
}

export interface TimeOptions {
  warmup?: number;
  reps?: number;
  /** Force wall-clock timing even when timestamps exist. */
  wall?: boolean;
  /** Shortest timed pass, in ms, before dividing by the repeats inside it (default 2). */
  minSampleMs?: number;
}

const MAX_REPEATS = 4096;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times `record(pass)`, which adds the work to one compute pass. */
export async function timeCompute(
  device: GPUDevice,
  record: (pass: GPUComputePassEncoder) => void,
  opts: TimeOptions = {},
): Promise<GpuTiming> {
  const warmup = opts.warmup ?? 3;
  const reps = Math.max(1, opts.reps ?? 20);
  const runBatch = async (n: number) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < n; i++) {
      const pass = enc.beginComputePass();
      record(pass);
      pass.end();
    }
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await runBatch(warmup);

  const useTimestamps = !opts.wall && device.features.has('timestamp-query');
  if (useTimestamps) {
    const minSampleMs = opts.minSampleMs ?? 2;
    // Grow the repeats per pass until one pass lasts minSampleMs (a pass reading 0 grows x16).
    // (The warmup's wall clock cannot size this: it includes first-use costs such as a lazy
    // pipeline compile, which made a 0.13 ms kernel look like several ms on the H200.)
    let repeats = 1;
    // A first pass long enough as it is (one repeat) is already a timed pass like the rest: kept
    // as the first sample (on a software adapter one pass of a whole forward takes seconds).
    const passes: number[] = [];
    for (let tries = 0; tries < 8; tries++) {
      const [probe] = await timestampedPasses(device, record, 1, repeats);
      if (probe >= minSampleMs && tries === 0) passes.push(probe);
      if (probe >= minSampleMs || repeats >= MAX_REPEATS) break;
      const factor = probe > 0 ? Math.min(16, Math.ceil((1.2 * minSampleMs) / probe)) : 16;
      repeats = Math.min(MAX_REPEATS, repeats * factor);
    }
    if (reps > passes.length) passes.push(...(await timestampedPasses(device, record, reps - passes.length, repeats)));
    // A pass that reads 0 (or runs backwards) is a broken timestamp pair, not a fast kernel:
    // dropped. Implementations that return only zeros (timestamps disabled) fall back to wall clock.
    const samples = passes.filter((ms) => ms > 0).map((ms) => ms / repeats);
    if (samples.length >= Math.ceil(passes.length / 2))
      return {
        msMedian: median(samples),
        msMin: Math.min(...samples),
        samples,
        timing: 'timestamp',
        repeatsPerSample: repeats,
      };
  }

  // Wall clock: batches of repetitions per submission amortise the submit/readback latency.
  const probeStart = performance.now();
  await runBatch(1);
  const one = performance.now() - probeStart;
  const batch = Math.max(1, Math.min(50, Math.ceil(20 / Math.max(one, 0.01))));
  const samples: number[] = [];
  for (let i = 0; i < Math.max(5, Math.ceil(reps / batch)); i++) {
    const t0 = performance.now();
    await runBatch(batch);
    samples.push((performance.now() - t0) / batch);
  }
  return { msMedian: median(samples), msMin: Math.min(...samples), samples, timing: 'wall', repeatsPerSample: batch };
}

/** Milliseconds of `count` compute passes, each recording the work `repeats` times. */
async function timestampedPasses(
  device: GPUDevice,
  record: (pass: GPUComputePassEncoder) => void,
  count: number,
  repeats: number,
): Promise<number[]> {
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * count });
  const resolve = device.createBuffer({
    size: 16 * count,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({ size: 16 * count, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < count; i++) {
      const pass = enc.beginComputePass({
        timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      for (let r = 0; r < repeats; r++) record(pass);
      pass.end();
    }
    enc.resolveQuerySet(querySet, 0, 2 * count, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * count);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const ticks = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    const ms: number[] = [];
    for (let i = 0; i < count; i++)
      ms.push(ticks[2 * i + 1] > ticks[2 * i] ? Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6 : 0);
    return ms;
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  }
}
