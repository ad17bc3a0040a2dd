// The engine-vs-ORT-WebGPU comparison rows (src/lab/ort-webgpu-peer.ts) on stand-in engines
// and a stand-in ORT session: which figures go where, the speedups, the logits difference,
// and the tokens both sides are given.
import { describe, expect, it } from 'vitest';
import { compareWithOrtWebGpu, peerTokens } from '../../../src/lab/ort-webgpu-peer';
import type { EncoderEngine, EncoderTiming } from '../../../src/gpu/encoder';
import type { OrtWebGpuSession } from '../../../src/eval/ort-webgpu-node';

function fakeEngine(gpuMs: number, wallMs: number, logit: (id: number) => number, seen: Int32Array[]): EncoderEngine {
  return {
    async time(batch: number, seq: number): Promise<EncoderTiming> {
      return { batch, seq, msMedian: gpuMs, msMin: gpuMs, runMsMedian: wallMs, timing: 'timestamp' } as EncoderTiming;
    },
    async run(ids: Int32Array, _mask: Int32Array, _types: null, batch: number, seq: number) {
      seen.push(ids);
      return Float32Array.from({ length: batch * 2 }, (_, i) => logit(ids[Math.floor(i / 2) * seq]));
    },
  } as unknown as EncoderEngine;
}

describe('compareWithOrtWebGpu', () => {
  it('times both engines and ORT on the same shapes and tokens; speedups are ORT wall / engine wall', async () => {
    const seen: Int32Array[] = [];
    const ortSeen: BigInt64Array[] = [];
    let calls = 0;
    const ort: OrtWebGpuSession = {
      async run(ids, mask, types, batch, seq) {
        calls++;
        ortSeen.push(ids);
        expect(mask.every((m) => m === 1n) && types.every((t) => t === 0n) && ids.length === batch * seq).toBe(true);
        await new Promise((r) => setTimeout(r, 4));
        return Float32Array.from({ length: batch * 2 }, (_, i) => Number(ids[Math.floor(i / 2) * seq]) + 0.25);
      },
      release: async () => undefined,
    };
    const dense = fakeEngine(2, 1, (id) => id, seen);
    const hp = fakeEngine(0.5, 0.5, (id) => id, []);
    const rows = await compareWithOrtWebGpu(
      { dense, hp },
      ort,
      [
        { batch: 1, seq: 3 },
        { batch: 2, seq: 5 },
      ],
      { vocab: 50, reps: 4, warmup: 2 },
    );
    expect(rows.map((r) => [r.batch, r.seq])).toEqual([
      [1, 3],
      [2, 5],
    ]);
    expect(calls).toBe(2 * (2 + 4));
    for (const r of rows) {
      expect(r.engine_dense_gpu_ms).toBe(2);
      expect(r.engine_hp_gpu_ms).toBe(0.5);
      expect(r.ort_webgpu_wall_ms).toBeGreaterThanOrEqual(3);
      expect(r.ort_webgpu_min_ms).toBeLessThanOrEqual(r.ort_webgpu_wall_ms);
      expect(r.dense_wall_speedup_vs_ort).toBeCloseTo(r.ort_webgpu_wall_ms / 1, 1);
      expect(r.hp_wall_speedup_vs_ort).toBeCloseTo(r.ort_webgpu_wall_ms / 0.5, 1);
      expect(r.max_abs_logit_diff_vs_engine).toBeCloseTo(0.25, 6);
    }
    // Same tokens on both sides.
    expect(Array.from(seen[1])).toEqual(Array.from(ortSeen[ortSeen.length - 1], Number));
  });

  it('peer tokens: deterministic, never the padding id 0, below the vocabulary', () => {
    const a = peerTokens(4, 64, 30);
    expect(Array.from(a.ids)).toEqual(Array.from(peerTokens(4, 64, 30).ids));
    expect(a.ids.every((id) => id >= 1 && id < 30)).toBe(true);
    expect(new Set(a.ids).size).toBeGreaterThan(20);
    expect(a.mask.every((m) => m === 1)).toBe(true);
  });
});
