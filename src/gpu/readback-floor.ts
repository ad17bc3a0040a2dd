// What a round trip to the GPU costs here before any work: an empty submit awaited with
// onSubmittedWorkDone, and a 4-byte copy read back with mapAsync, median wall ms. It is the
// floor under every run()'s wall time, and it differs between settings (Node + Dawn polls its
// events every turn of the event loop; a browser's page waits for its GPU process to notice).
export interface ReadbackFloor {
  emptySubmitMs: number;
  mapReadMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function readbackFloor(device: GPUDevice, reps = 30): Promise<ReadbackFloor> {
  const src = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const dst = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const empty: number[] = [];
  const map: number[] = [];
  try {
    for (let i = 0; i < reps + 3; i++) {
      let t = performance.now();
      device.queue.submit([device.createCommandEncoder().finish()]);
      await device.queue.onSubmittedWorkDone();
      if (i >= 3) empty.push(performance.now() - t);
      t = performance.now();
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, dst, 0, 4);
      device.queue.submit([enc.finish()]);
      await dst.mapAsync(GPUMapMode.READ);
      dst.unmap();
      if (i >= 3) map.push(performance.now() - t);
    }
  } finally {
    src.destroy();
    dst.destroy();
  }
  return { emptySubmitMs: median(empty), mapReadMs: median(map) };
}
