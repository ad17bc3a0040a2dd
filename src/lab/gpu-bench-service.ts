// "Measure my GPU" as a service (the GPU benchmark worker exposes it, workers/gpu-bench.worker.ts):
// the project's dense and HP kernels on the TinyBERT matrix shapes and one large square case, at
// the current pruning configuration, each verified against the CPU reference (kernel-bench.ts),
// beside onnxruntime-web's WebGPU MatMul on the same X and W (the peer). A lost device stops the
// run in progress at once: it returns the cases finished before the loss and the reason (`lost`);
// the next run acquires a fresh device.
import type { GpuCapabilities } from '../gpu/adapter';
import { GpuLease } from '../gpu/gpu-lease';
import { GpuLimitError } from '../gpu/limits';
import { GpuDeviceLostError } from '../gpu/loss-guard';
import { compareRows, denseReference } from '../gpu/kernels/cpu-reference';
import { timeOrtMatMul } from '../eval/ort-matmul-peer';
import type { PruneConfig } from '../core/pruning';
import { HOLD_CLOCK_MS } from './clock-hold';
import { caseData, measureCase, referenceRows, type CaseResult, type LinearCase } from './kernel-bench';

export interface GpuBenchRequest {
  config: PruneConfig;
  cases: LinearCase[];
  /** Run onnxruntime-web's WebGPU MatMul on each case too. */
  peer: boolean;
  /** GPU milliseconds to spend timing each kernel (sets the repetitions). */
  budgetMs?: number;
}

export interface PeerRow {
  ms: number;
  gflops: number;
  reps: number;
  io: 'gpu' | 'readback';
  verified: boolean;
  maxError: number;
}

export interface GpuBenchCase extends CaseResult {
  peer?: PeerRow;
  /** Why the peer did not run for this case. */
  peerSkipped?: string;
}

export interface GpuBenchRow {
  name: string;
  tokens: number;
  in: number;
  out: number;
  result?: GpuBenchCase;
  /** Why this case could not run (device limits, pruning config), when it could not. */
  error?: string;
}

export interface GpuBenchResult {
  adapter: string;
  isFallbackAdapter: boolean;
  timestampQuery: boolean;
  rows: GpuBenchRow[];
  /** Set when the peer was skipped for every case (and why). */
  peerNote?: string;
  /** Set when the device was lost mid-run: `rows` holds the cases finished before it. */
  lost?: string;
}

export type GpuBenchProgress = (done: number, total: number, label: string) => void;

async function measurePeer(
  c: LinearCase,
  x: Float32Array,
  weight: Float32Array,
  budgetMs: number | undefined,
): Promise<PeerRow> {
  const r = await timeOrtMatMul(x, weight, c.tokens, c.in, c.out, { budgetMs });
  const rows = referenceRows(c);
  const cmp = compareRows(r.y, denseReference(x, weight, undefined, c.in, c.out, rows), rows, c.out);
  return {
    ms: r.ms,
    gflops: (2 * c.tokens * c.in * c.out) / r.ms / 1e6,
    reps: r.reps,
    io: r.io,
    verified: cmp.ok,
    maxError: cmp.maxError,
  };
}

export class GpuBenchService {
  private readonly lease: GpuLease;

  constructor(gpu: GPU | undefined) {
    this.lease = new GpuLease(gpu);
  }

  /** Destroys this service's device as a driver reset would (diagnostics and tests). */
  simulateLoss(): Promise<void> {
    return this.lease.simulateLoss();
  }

  async measure(req: GpuBenchRequest, onProgress?: GpuBenchProgress): Promise<GpuBenchResult> {
    const g = await this.lease.get();
    const { guard } = g;
    const steps = req.cases.length * (req.peer ? 2 : 1);
    let done = 0;
    const step = (label: string) => onProgress?.(done, steps, label);
    const rows: GpuBenchRow[] = [];
    let peerFailure: string | undefined;
    for (const c of req.cases) {
      const row: GpuBenchRow = { name: c.name, tokens: c.tokens, in: c.in, out: c.out };
      rows.push(row);
      step(`${c.name}: pruning and timing dense vs HP`);
      let data: ReturnType<typeof caseData>;
      try {
        data = caseData(c, req.config);
        row.result = await measureCase(g, c, data, { guard, budgetMs: req.budgetMs, holdClockMs: HOLD_CLOCK_MS });
      } catch (err) {
        if (err instanceof GpuDeviceLostError) return lostPart(g.caps, rows.slice(0, -1), err);
        // Device limits and impossible configs fail this case only; the others still run.
        if (err instanceof GpuLimitError) row.error = `exceeds this GPU's limits: ${err.message}`;
        else if (err instanceof RangeError) row.error = err.message;
        else throw err;
        done += req.peer ? 2 : 1;
        continue;
      }
      done++;
      if (req.peer) {
        step(`${c.name}: onnxruntime-web WebGPU MatMul`);
        if (peerFailure) row.result.peerSkipped = peerFailure;
        else {
          try {
            row.result.peer = await guard(measurePeer(c, data.x, data.weight, req.budgetMs));
          } catch (err) {
            // The case's own kernels finished and were verified before the loss: kept, peer unset.
            if (err instanceof GpuDeviceLostError) return lostPart(g.caps, rows, err);
            const msg = (err as Error).message ?? String(err);
            row.result.peerSkipped = msg;
            // An EP that did not start will not start for the next shape either.
            if (/did not start|no WebGPU adapter/i.test(msg)) peerFailure = msg;
          }
        }
        done++;
      }
    }
    onProgress?.(steps, steps, 'done');
    return { ...adapterOf(g.caps), rows, ...(peerFailure ? { peerNote: peerFailure } : {}) };
  }
}

function adapterOf(caps: GpuCapabilities): Pick<GpuBenchResult, 'adapter' | 'isFallbackAdapter' | 'timestampQuery'> {
  return { adapter: caps.label, isFallbackAdapter: caps.isFallbackAdapter, timestampQuery: caps.hasTimestampQuery };
}

/** What a run that lost its device returns: the finished rows and why it stopped. */
function lostPart(caps: GpuCapabilities, rows: GpuBenchRow[], err: GpuDeviceLostError): GpuBenchResult {
  return { ...adapterOf(caps), rows, lost: err.message };
}
