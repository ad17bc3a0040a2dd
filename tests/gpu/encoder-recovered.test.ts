// A recovered model (layer-wise reconstruction, core/recover) on the WGSL encoder engine: the
// HP kernels on the re-encoded HP matrices give onnxruntime's logits on the recovered ONNX, the
// masks stay HP-structured, and the result differs from the one-shot model's. Tiny model (Dawn +
// SwiftShader is slow).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import type { PruneConfig } from '../../src/core/pruning';
import { EncoderExperiment } from '../../src/lab/encoder-experiment';
import { PruneSession } from '../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';
import { randomBatch } from '../helpers/random-bert-model';

ort.env.wasm.numThreads = 1;

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});
afterAll(async () => {
  await gpu.device.queue.onSubmittedWorkDone();
});

async function ortLogits(bytes: Uint8Array, b: ReturnType<typeof randomBatch>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const t = (v: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(v, (x) => BigInt(x)),
      [b.batch, b.seq],
    );
  const out = await session.run({
    input_ids: t(b.inputIds),
    attention_mask: t(b.attentionMask),
    token_type_ids: t(b.tokenTypeIds),
  });
  return out.logits.data as Float32Array;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('recovered model on the encoder engine', () => {
  it('HP kernels on the recovered HP matrices give ORT logits on the recovered ONNX', async () => {
    const session = new PruneSession(
      parseBertOnnx(buildTinyBertOnnx({ layers: 2, hidden: 32, heads: 2, ffn: 48, seed: 21 }).bytes),
    );
    const oneShot: PruneConfig = { pattern: 'hp', sparsity: 0.7, score: 'magnitude', tr: 8, tc: 8, split: 0.5 };
    const config: PruneConfig = { ...oneShot, recovery: { kind: 'lsq', sentences: 8, damp: 0.01 } };
    const { result } = await session.recover(config, [randomBatch(session.model, 8, 10, 31)]);
    // Same HP masks as one-shot; the reconstructed weights live only where the mask keeps.
    const masks = session.prune(oneShot).matrices.map((m) => m.mask);
    result.matrices.forEach((m, i) => {
      expect(m.mask).toEqual(masks[i]);
      expect(m.weight!.every((v, j) => m.mask[j] === 1 || v === 0)).toBe(true);
    });

    const b = randomBatch(session.model, 2, 6, 32);
    const { engine, built } = new EncoderExperiment(gpu, session).engine(config, { maxBatch: 2, maxSeq: 6 });
    try {
      expect(built.sparse).not.toBeNull(); // the HP kernels ran, not dense ones on masked weights
      const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
      const want = await ortLogits(session.prunedOnnx(config), b);
      expect(maxAbsDiff(logits, want)).toBeLessThan(1e-4);
      // Reconstruction changed the model: the one-shot ONNX gives other logits.
      expect(maxAbsDiff(want, await ortLogits(session.prunedOnnx(oneShot), b))).toBeGreaterThan(1e-3);
    } finally {
      engine.destroy();
    }
  }, 120_000);
});
