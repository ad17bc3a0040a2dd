// Helpers shared by the kernel tests: seeded random data, running one linear, reading back Y.
import type { GpuLinear } from '../../src/gpu/kernels';
import { randomArray, rng } from '../../src/core/random';

export { randomArray, rng };

/** Runs `linear` on X (tokens x in) and returns Y (tokens x out). */
export async function runLinear(
  device: GPUDevice,
  linear: GpuLinear,
  x: Float32Array,
  tokens: number,
  viaPass = false,
): Promise<Float32Array> {
  const xBuf = device.createBuffer({
    size: Math.max(16, x.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(xBuf, 0, x as Float32Array<ArrayBuffer>);
  const yBytes = Math.max(16, tokens * linear.out * 4);
  const yBuf = device.createBuffer({
    size: yBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  // Poison Y so an unwritten output cannot pass as zero.
  device.queue.writeBuffer(yBuf, 0, new Float32Array(yBytes / 4).fill(Number.NaN));
  const read = device.createBuffer({ size: yBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  if (viaPass) {
    const pass = enc.beginComputePass();
    linear.encode(pass, xBuf, yBuf, tokens);
    pass.end();
  } else {
    linear.encode(enc, xBuf, yBuf, tokens);
  }
  enc.copyBufferToBuffer(yBuf, 0, read, 0, yBytes);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const y = new Float32Array(read.getMappedRange().slice(0, tokens * linear.out * 4));
  read.unmap();
  xBuf.destroy();
  yBuf.destroy();
  read.destroy();
  return y;
}
