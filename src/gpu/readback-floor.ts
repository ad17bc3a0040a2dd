// What a round trip to the GPU costs here before any work: an empty submit awaited with
// onSubmittedWorkDone, and a 4-byte copy read back with mapAsync (plain, and nudged: an empty
// submit every event-loop turn while it waits), median wall ms. It is the floor under every
// run()'s wall time, and it differs between settings: Node + Dawn processes its events every turn
// of the event loop; a page waits for its browser's GPU process to notice finished work
// (BENCHMARKS.md, issue 19 tenth pass: ~3 ms a run in headless Chromium on the H200).
import { median } from '../core/cpu/measure';
import type { GpuCapabilities } from './adapter';
import { nextTurn } from './encoder/forward-submit';

export interface ReadbackFloor {
  emptySubmitMs: number;
  mapReadMs: number;
  mapReadNudgedMs: number;
}

/** Whether run() nudges by default: in a browser on a hardware adapter. There, Chromium's GPU
 *  process noticed a finished forward ~2-2.5 ms late unless nudged (H200, headless Chromium 156:
 *  HP 90 % B=1 L=128 2.9 -> 0.6 ms a run, B=32 L=128 3.2 -> 0.9; BENCHMARKS.md, issue 19 tenth
 *  pass). Not under Node (Dawn processes its events every turn of the event loop), nor on a
 *  software adapter, which runs in the GPU process's CPU threads that the submits then slow
 *  (SwiftShader in Chromium: 233 -> 1535 ms a run). */
export function nudgeByDefault(caps: Pick<GpuCapabilities, 'isFallbackAdapter'>): boolean {
  const node = typeof process !== 'undefined' && Boolean(process.versions?.node);
  return !node && !caps.isFallbackAdapter;
}

/** Resolves with `p`, submitting an empty batch every event-loop turn until then: each submit is
 *  a message to a browser's GPU process, which then also looks for finished work. */
export async function nudged<T>(device: GPUDevice, p: Promise<T>): Promise<T> {
  let done = false;
  const settle = () => {
    done = true;
  };
  p.then(settle, settle);
  while (!done) {
    device.queue.submit([]);
    await nextTurn();
  }
  return p;
}

export async function readbackFloor(device: GPUDevice, reps = 30): Promise<ReadbackFloor> {
  const src = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const dst = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const times = { empty: [] as number[], map: [] as number[], nudged: [] as number[] };
  const read = async (nudge: boolean) => {
    const t = performance.now();
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, 4);
    device.queue.submit([enc.finish()]);
    const mapped = dst.mapAsync(GPUMapMode.READ);
    await (nudge ? nudged(device, mapped) : mapped);
    dst.unmap();
    return performance.now() - t;
  };
  try {
    for (let i = 0; i < reps + 3; i++) {
      const t = performance.now();
      device.queue.submit([device.createCommandEncoder().finish()]);
      await device.queue.onSubmittedWorkDone();
      const empty = performance.now() - t;
      const map = await read(false);
      const nudge = await read(true);
      if (i < 3) continue;
      times.empty.push(empty);
      times.map.push(map);
      times.nudged.push(nudge);
    }
  } finally {
    src.destroy();
    dst.destroy();
  }
  return { emptySubmitMs: median(times.empty), mapReadMs: median(times.map), mapReadNudgedMs: median(times.nudged) };
}
