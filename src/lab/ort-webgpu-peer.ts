// The engine (dense and HP-sparse) beside onnxruntime-web's WebGPU EP on the same GPU, the same
// ONNX and the same batch x sequence, in one run: the engine's GPU time (timestamps) and wall
// time of run() (upload, forward, logits readback), ORT's wall time of session.run() (the same
// three steps; ORT exposes no GPU time), and how far ORT's logits are from the engine's on the
// same random tokens. Under Node (ORT-web on Dawn: eval/ort-webgpu-node.ts) and in a browser
// (scripts/bench/browser-encoder).
import type { EncoderEngine } from '../gpu/encoder';
import type { OrtWebGpuSession } from '../eval/ort-webgpu';
import { round } from './encoder-rows';

export interface PeerRow {
  batch: number;
  seq: number;
  engine_dense_gpu_ms: number;
  engine_dense_wall_ms: number;
  engine_hp_gpu_ms: number;
  engine_hp_wall_ms: number;
  ort_webgpu_wall_ms: number;
  ort_webgpu_min_ms: number;
  /** ORT's wall time over the engine's (dense, then HP): > 1 means the engine is faster. */
  dense_wall_speedup_vs_ort: number;
  hp_wall_speedup_vs_ort: number;
  /** Max |logit| difference, engine dense vs ORT WebGPU, on the timed tokens. */
  max_abs_logit_diff_vs_engine: number;
  timing: 'timestamp' | 'wall';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Deterministic token ids below `vocab` (never the padding id 0), full mask. */
export function peerTokens(batch: number, seq: number, vocab: number): { ids: Int32Array; mask: Int32Array } {
  const ids = new Int32Array(batch * seq);
  let s = 777;
  for (let i = 0; i < ids.length; i++) ids[i] = 1 + ((s = (s * 1103515245 + 12345) >>> 0) % (vocab - 1));
  return { ids, mask: new Int32Array(batch * seq).fill(1) };
}

export async function compareWithOrtWebGpu(
  engines: { dense: EncoderEngine; hp: EncoderEngine },
  ort: OrtWebGpuSession,
  shapes: { batch: number; seq: number }[],
  opts: { vocab: number; reps: number; warmup: number; onRow?: (r: PeerRow) => void },
): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  for (const { batch, seq } of shapes) {
    const d = await engines.dense.time(batch, seq, opts.reps, opts.warmup);
    const h = await engines.hp.time(batch, seq, opts.reps, opts.warmup);
    const { ids, mask } = peerTokens(batch, seq, opts.vocab);
    const big = (a: Int32Array) => BigInt64Array.from(a, (v) => BigInt(v));
    const [ids64, mask64, types64] = [big(ids), big(mask), new BigInt64Array(batch * seq)];
    const engineLogits = await engines.dense.run(ids, mask, null, batch, seq);
    let ortLogits: Float32Array = new Float32Array(0);
    for (let i = 0; i < Math.max(1, opts.warmup); i++) ortLogits = await ort.run(ids64, mask64, types64, batch, seq);
    const times: number[] = [];
    for (let i = 0; i < Math.max(3, Math.min(opts.reps, 30)); i++) {
      const t0 = performance.now();
      await ort.run(ids64, mask64, types64, batch, seq);
      times.push(performance.now() - t0);
    }
    let diff = 0;
    for (let i = 0; i < engineLogits.length; i++) diff = Math.max(diff, Math.abs(engineLogits[i] - ortLogits[i]));
    const ortMs = median(times);
    const row: PeerRow = {
      batch,
      seq,
      engine_dense_gpu_ms: round(d.msMedian),
      engine_dense_wall_ms: round(d.runMsMedian, 3),
      engine_hp_gpu_ms: round(h.msMedian),
      engine_hp_wall_ms: round(h.runMsMedian, 3),
      ort_webgpu_wall_ms: round(ortMs, 3),
      ort_webgpu_min_ms: round(Math.min(...times), 3),
      dense_wall_speedup_vs_ort: round(ortMs / d.runMsMedian, 2),
      hp_wall_speedup_vs_ort: round(ortMs / h.runMsMedian, 2),
      max_abs_logit_diff_vs_engine: engineLogits.length === ortLogits.length ? diff : Number.NaN,
      timing: d.timing,
    };
    opts.onRow?.(row);
    rows.push(row);
  }
  return rows;
}
