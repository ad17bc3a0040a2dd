// One dispatch that reads a word of every 32-byte sector of a few buffers (cache-touch.wgsl): the
// forward's prefetch of weights into the GPU's cache (forward-steps.ts), and, on a buffer larger
// than the cache (cacheEvict), the profile's way to time a dispatch with nothing of it cached
// (op-profile.ts cold). Its bind group is made once; the buffers it reads stay the caller's.
import cacheTouchWgsl from './cache-touch.wgsl?raw';
import { bindBuffers, bindingLayout, compilePipeline, uploadBuffer } from '../kernel';

/** Buffers one dispatch reads (cache-touch.wgsl binds six). */
export const MAX_TOUCHED = 6;
const WG = 256;
/** Words of a sector: the kernel reads one of each. */
export const SECTOR_WORDS = 8;
/** At most this many workgroups; each invocation then reads a sector every grid's width. */
const MAX_GROUPS = 1024;

export interface CacheTouch {
  /** Records the reads: one dispatch. */
  encode(pass: GPUComputePassEncoder): void;
  /** Bytes of the buffers it reads a sector of. */
  readonly bytes: number;
  /** One word an invocation: the XOR of the words it read (for tests). */
  readonly sink: GPUBuffer;
  readonly invocations: number;
  /** Its own uniform, sink and placeholder (not the buffers it reads). */
  destroy(): void;
}

/** The `n` largest of `buffers` (a touch binds MAX_TOUCHED): what to prefetch where there are more. */
export function largestBuffers(buffers: readonly GPUBuffer[], n = MAX_TOUCHED): GPUBuffer[] {
  return [...buffers].sort((a, b) => b.size - a.size).slice(0, n);
}

export function createCacheTouch(device: GPUDevice, buffers: readonly GPUBuffer[], label: string): CacheTouch {
  if (buffers.length === 0 || buffers.length > MAX_TOUCHED)
    throw new RangeError(`a cache touch reads 1..${MAX_TOUCHED} buffers, got ${buffers.length}`);
  const words = new Uint32Array(8);
  buffers.forEach((b, i) => (words[i] = Math.floor(b.size / 4)));
  const sectors = Math.max(...buffers.map((b) => Math.ceil(b.size / 4 / SECTOR_WORDS)));
  const groups = Math.min(MAX_GROUPS, Math.max(1, Math.ceil(sectors / WG)));
  const invocations = groups * WG;
  const params = uploadBuffer(device, words, `${label} params`, GPUBufferUsage.UNIFORM);
  const sink = device.createBuffer({
    label: `${label} sink`,
    size: invocations * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  // Unused bindings read nothing (their word count is 0) of a placeholder.
  const placeholder = uploadBuffer(device, new Uint32Array(4), `${label} placeholder`);
  const reads = [...buffers, ...Array<GPUBuffer>(MAX_TOUCHED - buffers.length).fill(placeholder)];
  const layout = bindingLayout(device, 'encoder.cache-touch', [
    'uniform',
    ...Array<'read'>(MAX_TOUCHED).fill('read'),
    'write',
  ]);
  const pipeline = compilePipeline(device, layout, 'encoder.cache-touch', cacheTouchWgsl);
  const group = bindBuffers(device, layout, label, [params, ...reads, sink]);
  return {
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(groups);
    },
    bytes: buffers.reduce((n, b) => n + b.size, 0),
    sink,
    invocations,
    destroy() {
      for (const b of [params, sink, placeholder]) b.destroy();
    },
  };
}

/** The bytes a cache fill asks for, within the device's storage binding and buffer limits (whole vec4s). */
export function cacheFillBytes(
  limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>,
  bytes: number,
): number {
  const cap = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return Math.max(16, Math.floor(Math.min(bytes, cap) / 16) * 16);
}

/** A buffer of `bytes` (cacheFillBytes) and the dispatch that reads it: run before a timed dispatch, it
 *  leaves a cache smaller than `bytes` holding none of that dispatch's data. Rejects where the device
 *  cannot allocate it. */
export async function createCacheEvict(device: GPUDevice, bytes: number): Promise<CacheTouch> {
  const size = cacheFillBytes(device.limits, bytes);
  device.pushErrorScope('out-of-memory');
  const big = device.createBuffer({ label: 'encoder.cache-evict', size, usage: GPUBufferUsage.STORAGE });
  const oom = await device.popErrorScope();
  if (oom) {
    big.destroy();
    throw new RangeError(`the GPU could not allocate ${size / 2 ** 20} MiB to fill its cache with: ${oom.message}`);
  }
  const touch = createCacheTouch(device, [big], 'encoder.cache-evict');
  return {
    ...touch,
    destroy() {
      touch.destroy();
      big.destroy();
    },
  };
}
