// The cache-touch dispatch (cache-touch.wgsl): it must read a word of every 32-byte sector of each
// buffer it is given, whatever their sizes (the forward's prefetch and the profile's cold timing rely
// on it), and the eviction buffer must stay within the device's limits.
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import {
  cacheFillBytes,
  createCacheEvict,
  createCacheTouch,
  largestBuffers,
  MAX_TOUCHED,
  SECTOR_WORDS,
} from '../../src/gpu/encoder/cache-touch';
import { readBuffer, uploadBuffer } from '../../src/gpu/kernel';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

describe('cache touch', () => {
  test('reads a word of every sector of each buffer, whatever its size, past one grid stride', async () => {
    const { device } = gpu;
    // 5 buffers: 16 bytes, 100 words, 8 MiB + 12 bytes (one sector more than the largest grid, 1024
    // workgroups of 256, reads in one stride: the first invocation reads two), 1000 and 7 words.
    const sizes = [4, 100, (1 << 21) + 3, 1000, 7];
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const data = sizes.map((n) => Uint32Array.from({ length: n }, next));
    const buffers = data.map((d, i) => uploadBuffer(device, d, `touch ${i}`));
    const touch = createCacheTouch(device, buffers, 'test touch');
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    touch.encode(pass);
    pass.end();
    device.queue.submit([enc.finish()]);
    expect((await device.popErrorScope())?.message).toBeUndefined();
    const sink = new Uint32Array((await readBuffer(device, touch.sink, touch.sink.size)).buffer);
    expect(sink).toHaveLength(touch.invocations);
    // The XOR over every invocation's fold is the XOR of the words at each sector's start (the padding
    // uploadBuffer adds past a buffer's data is zeros, which XOR leaves alone).
    let want = 0;
    for (const d of data) for (let i = 0; i < d.length; i += SECTOR_WORDS) want ^= d[i];
    expect(sink.reduce((x, w) => (x ^ w) >>> 0, 0)).toBe(want >>> 0);
    // Dropping any one sector changes it (so the check above can fail): the words are random.
    expect((want ^ data[2][SECTOR_WORDS * 1024 * 256]) >>> 0).not.toBe(want >>> 0);
    expect(touch.bytes).toBe(buffers.reduce((n, b) => n + b.size, 0));
    touch.destroy();
    for (const b of buffers) b.destroy();
  });

  test('refuses 0 or 7 buffers; the fill is capped by the limits, an impossible one refused', async () => {
    const { device } = gpu;
    const b = uploadBuffer(device, new Uint32Array(4), 'one');
    expect(() => createCacheTouch(device, [], 'none')).toThrow(/1\.\.6 buffers/);
    expect(() => createCacheTouch(device, Array<GPUBuffer>(MAX_TOUCHED + 1).fill(b), 'seven')).toThrow(/got 7/);
    const sized = [64, 16, 4096, 32].map((n) => uploadBuffer(device, new Uint8Array(n), `b${n}`));
    expect(largestBuffers(sized, 2).map((x) => x.size)).toEqual([4096, 64]);
    for (const x of sized) x.destroy();
    const limits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 30 };
    expect(cacheFillBytes(limits, 2 ** 40)).toBe(2 ** 27);
    expect(cacheFillBytes(limits, 1000.5)).toBe(992);
    const evict = await createCacheEvict(device, 2 ** 20);
    expect(evict.bytes).toBe(2 ** 20);
    evict.destroy();
    // A device that cannot allocate the fill: a clear refusal (and the buffer released), not a broken dispatch.
    let destroyed = false;
    const full = {
      limits: device.limits,
      pushErrorScope: () => undefined,
      popErrorScope: async () => ({ message: 'out of memory' }),
      createBuffer: () => ({ destroy: () => (destroyed = true) }),
    } as unknown as GPUDevice;
    await expect(createCacheEvict(full, 2 ** 26)).rejects.toThrow(/could not allocate 64 MiB .*out of memory/);
    expect(destroyed).toBe(true);
    b.destroy();
  });
});
