// onnxruntime-web's WebGPU execution provider under Node, on Dawn's `webgpu` package: the peer a
// visitor would otherwise use (the engine under transformers.js), measured beside the project's
// engine on the same GPU and the same ONNX. Two things make ORT-web run outside a browser:
// navigator.gpu is provided, and queue.writeBuffer copies data that lives in a SharedArrayBuffer
// (ORT's wasm heap) into a plain ArrayBuffer first, since Dawn's Node binding rejects it.
// ORT's wasm files are read from `wasmDir` (the bundled CLI carries only the few it needs).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ortWebGpuSession, type OrtWebGpuSession } from './ort-webgpu';

export type { OrtWebGpuSession };

/** The ORT-web build: 'webgpu' (onnxruntime-web/webgpu, what transformers.js imports). */
export const ORT_WEBGPU_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

let patched = false;

/** Makes navigator.gpu and a SharedArrayBuffer-tolerant writeBuffer available (once). */
export function provideNavigatorGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator?.gpu)
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(g.navigator ?? {}), gpu },
      configurable: true,
      writable: true,
    });
  if (patched) return;
  patched = true;
  const original = GPUQueue.prototype.writeBuffer;
  GPUQueue.prototype.writeBuffer = function (
    this: GPUQueue,
    buffer: GPUBuffer,
    offset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset?: number,
    size?: number,
  ) {
    if (data instanceof SharedArrayBuffer) {
      // Offsets and size are in bytes for a bare buffer.
      const from = dataOffset ?? 0;
      const n = size ?? data.byteLength - from;
      return original.call(this, buffer, offset, new Uint8Array(data, from, n).slice(), 0, n);
    }
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      // Offsets and size are in elements for a typed array: keep the element type.
      const copy = new Uint8Array(data.byteLength);
      copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      const Ctor = data.constructor as new (b: ArrayBuffer) => ArrayBufferView<ArrayBuffer>;
      return original.call(this, buffer, offset, new Ctor(copy.buffer), dataOffset, size);
    }
    return original.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as typeof GPUQueue.prototype.writeBuffer;
}

/** Where ORT's wasm files are: `explicit`, else ort/ beside the running script (GPU hosts),
 *  else the installed package. */
export function ortWasmDir(explicit?: string): string {
  const candidates = explicit ? [explicit] : [path.join(path.dirname(process.argv[1] ?? '.'), 'ort')];
  if (!explicit) {
    try {
      candidates.push(
        path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm')),
      );
    } catch {
      // not installed here: the candidates above must do
    }
  }
  const dir = candidates.find((d) => ORT_WEBGPU_FILES.every((f) => existsSync(path.join(d, f))));
  if (!dir)
    throw new Error(
      `onnxruntime-web's WebGPU files (${ORT_WEBGPU_FILES.join(', ')}) are not in ${candidates.join(' or ')}`,
    );
  // Absolute: ORT imports wasmPaths + '….mjs', and a relative path would read as a package name.
  return path.resolve(dir) + path.sep;
}

/** An ORT-web session on its WebGPU EP for `bytes`, on `gpu` (its own adapter and device). */
export async function createOrtWebGpuSession(gpu: GPU, bytes: Uint8Array, wasmDir?: string): Promise<OrtWebGpuSession> {
  provideNavigatorGpu(gpu);
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = ortWasmDir(wasmDir);
  return ortWebGpuSession(ort, bytes);
}
