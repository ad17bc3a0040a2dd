// The peer of the project's dense linear kernel: the same Y = X·Wᵀ as a one-node ONNX MatMul
// run by onnxruntime-web's WebGPU execution provider (its own device, in the same worker). X is
// uploaded once into a GPU buffer and Y stays on the GPU, so a timed run is session.run plus
// waiting for ORT's queue to drain: ORT's kernel and its per-run overhead, no transfers. Where
// GPU tensors are refused, the timing includes upload and readback and says so.
import type * as Ort from 'onnxruntime-web';
import { matmulOnnx } from '../core/model/matmul-onnx';
import { loadOrt } from './ort-session';

export interface PeerResult {
  ms: number;
  reps: number;
  /** 'gpu': X and Y stayed on the GPU; 'readback': each run uploads X and downloads Y. */
  io: 'gpu' | 'readback';
  /** The first run's Y, tokens x out (for verification by the caller). */
  y: Float32Array;
}

export interface PeerOptions {
  budgetMs?: number;
  minReps?: number;
  maxReps?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Why onnxruntime-web's WebGPU backend cannot run here, or undefined when it started. */
export function peerUnavailableReason(err: unknown): string {
  const msg = String((err as Error)?.message ?? err);
  if (/adapter/i.test(msg)) return `onnxruntime-web found no WebGPU adapter (${msg})`;
  return `onnxruntime-web's WebGPU backend did not start: ${msg}`;
}

/** Times ORT's WebGPU MatMul on X (tokens x in) and W (out x in). Throws when the EP is unavailable. */
export async function timeOrtMatMul(
  x: Float32Array,
  weight: Float32Array,
  tokens: number,
  nIn: number,
  out: number,
  opts: PeerOptions = {},
): Promise<PeerResult> {
  const ort = await loadOrt(true); // the build with the WebGPU backend, configured
  const bytes = matmulOnnx(weight, out, nIn, { tokens });
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['webgpu'],
      preferredOutputLocation: 'gpu-buffer',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new Error(peerUnavailableReason(err), { cause: err });
  }
  let xGpu: GPUBuffer | undefined;
  try {
    const device = (await ort.env.webgpu.device) as GPUDevice;
    let feed: Ort.Tensor;
    let io: PeerResult['io'] = 'gpu';
    try {
      xGpu = device.createBuffer({
        size: x.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(xGpu, 0, x as Float32Array<ArrayBuffer>);
      feed = ort.Tensor.fromGpuBuffer(xGpu, { dataType: 'float32', dims: [tokens, nIn] });
    } catch {
      io = 'readback';
      feed = new ort.Tensor('float32', x, [tokens, nIn]);
    }
    const runOnce = async (download: boolean): Promise<Float32Array | undefined> => {
      const res = await session.run({ X: feed });
      const yT = res.Y;
      try {
        if (download || io === 'readback') return (await yT.getData()) as Float32Array;
        // Outputs stay on the GPU: wait for ORT's work to finish, not for a copy.
        await device.queue.onSubmittedWorkDone();
        return undefined;
      } finally {
        yT.dispose();
      }
    };
    let y: Float32Array;
    try {
      y = (await runOnce(true))!;
    } catch (err) {
      if (io === 'readback') throw err;
      // Some builds refuse GPU-buffer inputs at run time: fall back to CPU tensors.
      io = 'readback';
      feed = new ort.Tensor('float32', x, [tokens, nIn]);
      y = (await runOnce(true))!;
    }
    const t0 = performance.now();
    await runOnce(false);
    const once = performance.now() - t0;
    const reps = Math.max(
      opts.minReps ?? 3,
      Math.min(opts.maxReps ?? 100, Math.ceil((opts.budgetMs ?? 400) / Math.max(once, 0.05))),
    );
    for (let i = 0; i < (reps >= 10 ? 3 : 1); i++) await runOnce(false); // warmup
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await runOnce(false);
      samples.push(performance.now() - t);
    }
    return { ms: median(samples), reps, io, y };
  } finally {
    xGpu?.destroy();
    await session.release();
  }
}
