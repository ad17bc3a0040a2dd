// GPU timing of encoded work: timestamp queries around each repetition's compute pass when the
// device has 'timestamp-query', wall clock around batches of submissions otherwise; warmup
// first, then many repetitions, the median reported.

export interface GpuTiming {
  /** Median milliseconds per repetition. */
  msMedian: number;
  msMin: number;
  samples: number[];
  timing: 'timestamp' | 'wall';
}

export interface TimeOptions {
  warmup?: number;
  reps?: number;
  /** Force wall-clock timing even when timestamps exist. */
  wall?: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times `record(pass)`, which adds the work to one compute pass. */
export async function timeCompute(device: GPUDevice, record: (pass: GPUComputePassEncoder) => void, opts: TimeOptions = {}): Promise<GpuTiming> {
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
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * reps });
    const resolve = device.createBuffer({ size: 16 * reps, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * reps, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) {
      const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      record(pass);
      pass.end();
    }
    enc.resolveQuerySet(querySet, 0, 2 * reps, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * reps);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const ticks = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    querySet.destroy();
    resolve.destroy();
    read.destroy();
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) samples.push(Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6);
    // Some implementations return zeros (timestamps disabled or quantised away): fall back.
    if (samples.every((s) => s > 0)) return { msMedian: median(samples), msMin: Math.min(...samples), samples, timing: 'timestamp' };
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
  return { msMedian: median(samples), msMin: Math.min(...samples), samples, timing: 'wall' };
}
