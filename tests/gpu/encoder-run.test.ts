// Run on my GPU's options through the lab (EncoderExperiment.run, as the GPU worker runs it):
// "time each kind of op" (each kind of the latency forward timed on its own for the HP and the
// dense engine, none without the flag) and int8 (both engines in W8A8). A tiny random BERT over
// the real vocabulary (SwiftShader is slow).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { takeFirst } from '../../src/core/data/dataset';
import { readDataset, readTokenizer } from '../../src/eval/node-assets';
import { EncoderExperiment, type EncoderRunRequest } from '../../src/lab/encoder-experiment';
import { PruneSession } from '../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});
afterAll(async () => {
  await gpu.device.queue.onSubmittedWorkDone();
});

describe('Run on my GPU through the lab', () => {
  const model = buildTinyBertOnnx({
    vocab: 30522,
    maxPositions: 64,
    layers: 2,
    hidden: 32,
    heads: 2,
    ffn: 48,
    seed: 5,
  });
  const session = new PruneSession(parseBertOnnx(model.bytes));
  const data = takeFirst(readDataset(), 4);
  const tokenizer = readTokenizer();
  const request: EncoderRunRequest = {
    pruning: { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 8, tc: 8, split: 0.5 },
    batch: 4,
    maxLength: 16,
    latency: { batch: 2, seq: 16, reps: 3 },
  };

  it('times each kind of op of the HP and the dense forward', async () => {
    const r = await new EncoderExperiment(gpu, session).run({ ...request, profile: true }, tokenizer, data);
    expect(r.linears).toBe('hp');
    const { dense, hp } = r.profile!;
    for (const p of [dense, hp!]) {
      expect(p.forward.msMedian).toBeGreaterThan(0);
      expect(p.ops.map((o) => o.kind)).toEqual(expect.arrayContaining(['embeddings', 'qkv', 'attention', 'head']));
      expect(p.ops.every((o) => o.msMedian > 0 && o.dispatches > 0)).toBe(true);
      expect(p.sumMs).toBeCloseTo(
        p.ops.reduce((n, o) => n + o.msMedian, 0),
        9,
      );
    }
    // Each profile is its own engine's forward (same dispatches and kinds), and the two differ.
    const experiment = new EncoderExperiment(gpu, session);
    const size = { maxBatch: 2, maxSeq: 16 };
    for (const [pruning, p] of [
      [request.pruning, hp!],
      [null, dense],
    ] as const) {
      const { engine } = experiment.engine(pruning, size);
      try {
        const own = await engine.profile(2, 16, 1, 0);
        expect(p.dispatches).toBe(own.dispatches);
        expect(p.ops.map((o) => [o.kind, o.dispatches])).toEqual(own.ops.map((o) => [o.kind, o.dispatches]));
      } finally {
        engine.destroy();
      }
    }
    expect(hp!.ops.map((o) => [o.kind, o.dispatches])).not.toEqual(dense.ops.map((o) => [o.kind, o.dispatches]));
  }, 300_000);

  it('leaves the profile out unless asked, and profiles the one engine of a dense run', async () => {
    const experiment = new EncoderExperiment(gpu, session);
    expect((await experiment.run(request, tokenizer, data)).profile).toBeUndefined();
    const dense = await experiment.run({ ...request, pruning: null, profile: true }, tokenizer, data);
    expect(dense.profile!.hp).toBeNull();
    expect(dense.profile!.dense.ops.length).toBeGreaterThan(3);
  }, 300_000);

  it('runs both engines in W8A8 with int8, and refuses f16 weights with it', async () => {
    const experiment = new EncoderExperiment(gpu, session);
    const f32 = await experiment.run(request, tokenizer, data);
    const int8 = await experiment.run({ ...request, quant: 'int8' }, tokenizer, data);
    expect(int8.quant).toBe('int8');
    expect(f32.quant).toBeUndefined();
    expect(int8.n).toBe(f32.n);
    expect(int8.latency.hpMs).toBeGreaterThan(0);
    // int8 codes (and per-row scales) instead of f32 values: the linears take well under half the bytes.
    expect(int8.linearWeightBytes).toBeLessThan(f32.linearWeightBytes / 2);
    await expect(experiment.run({ ...request, quant: 'int8', weights: 'f16' }, tokenizer, data)).rejects.toThrow(
      /int8 runs keep their own int8 codes: weights must be f32, got f16/,
    );
  }, 300_000);
});
