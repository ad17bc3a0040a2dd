// What lets onnxruntime-web's WebGPU EP run under Node (src/eval/ort-webgpu-node.ts), on real
// Dawn: writeBuffer accepts data in a SharedArrayBuffer (ORT's wasm heap), bare or as a view,
// with offsets in bytes or elements as WebGPU defines them, and navigator.gpu is provided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnGpu, nodeGpu } from '../../src/gpu/node-gpu';
import { ortWasmDir, provideNavigatorGpu } from '../../src/eval/ort-webgpu-node';

let device: GPUDevice;
beforeAll(async () => {
  provideNavigatorGpu(await dawnGpu());
  device = (await nodeGpu()).device;
});
afterAll(async () => {
  await device.queue.onSubmittedWorkDone();
});

async function readBack(buf: GPUBuffer, bytes: number): Promise<Float32Array> {
  const rb = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, rb, 0, bytes);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  rb.unmap();
  rb.destroy();
  return out;
}

describe('ORT-web WebGPU under Node', () => {
  it('navigator.gpu is the Dawn GPU', async () => {
    expect((globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu).toBe(await dawnGpu());
  });

  it(
    'writeBuffer copies SharedArrayBuffer data: ' + 'typed views (element offsets) and bare buffers (byte offsets)',
    async () => {
      const sab = new SharedArrayBuffer(64);
      const all = new Float32Array(sab);
      all.forEach((_, i) => (all[i] = i + 0.5));
      const buf = device.createBuffer({
        size: 32,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
      // A view starting at float 2: elements 1..4 of it (floats 3..6) to byte 8 of the buffer.
      // (@webgpu/types allows a bare SharedArrayBuffer but not a view of one: ORT passes both.)
      device.queue.writeBuffer(buf, 8, new Float32Array(sab, 8, 10) as unknown as Float32Array<ArrayBuffer>, 1, 4);
      expect(Array.from((await readBack(buf, 32)).subarray(2, 6))).toEqual([3.5, 4.5, 5.5, 6.5]);
      // The bare buffer: bytes 40..55 (floats 10..13) to byte 0.
      device.queue.writeBuffer(buf, 0, sab, 40, 16);
      expect(Array.from((await readBack(buf, 32)).subarray(0, 4))).toEqual([10.5, 11.5, 12.5, 13.5]);
      // Ordinary data still goes through untouched.
      device.queue.writeBuffer(buf, 16, Float32Array.of(-1, -2));
      expect(Array.from((await readBack(buf, 32)).subarray(4, 6))).toEqual([-1, -2]);
      buf.destroy();
    },
  );

  it('a wasm folder without ORT WebGPU files is a clear error', () => {
    expect(() => ortWasmDir('/nonexistent-ort')).toThrow(
      /ort-wasm-simd-threaded\.asyncify\.wasm.*not in \/nonexistent-ort/,
    );
  });
});
