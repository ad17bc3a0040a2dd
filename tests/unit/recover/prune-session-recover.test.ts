import { describe, expect, it } from 'vitest';
import { decodeHP } from '../../../src/core/formats/hp';
import { readHPW } from '../../../src/core/formats/hpw';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import type { PruneConfig } from '../../../src/core/pruning';
import { PruneSession } from '../../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { randomBatch } from '../../helpers/random-bert-model';

describe('PruneSession.recover', () => {
  const session = new PruneSession(
    parseBertOnnx(buildTinyBertOnnx({ layers: 2, hidden: 24, heads: 3, ffn: 40 }).bytes),
  );
  const oneShot: PruneConfig = { pattern: 'hp', sparsity: 0.6, score: 'magnitude', tr: 4, tc: 8, split: 0.5 };
  const config: PruneConfig = { ...oneShot, recovery: { kind: 'lsq', sentences: 6, damp: 0.01 } };
  const batches = [randomBatch(session.model, 6, 12, 5)];

  it('asks for recover() first, then serves the reconstructed weights to every output (ONNX, HP, .hpw)', async () => {
    expect(() => session.prune(config)).toThrow(/run recover\(\) for it first/);
    const progress: number[] = [];
    const { result, summary } = await session.recover(config, batches, { onProgress: (p) => progress.push(p.done) });
    expect(progress).toHaveLength(12);
    expect(summary).toMatchObject({ sentences: 6, damp: 0.01 });
    expect(session.recoverySummary(config)).toEqual(summary);
    const masks = session.prune(oneShot).matrices.map((m) => m.mask);
    expect(result.matrices.map((m) => m.mask)).toEqual(masks);
    const linears = session.prunedLinears(config);
    const hpw = readHPW(session.hpwFile(config, 'f32', 'tiny.onnx'));
    linears.forEach((l, i) => {
      expect(l.weight).toEqual(result.matrices[i].weight);
      expect(decodeHP(session.hpMatrices(config)!.get(l.name)!)).toEqual(l.weight);
      expect(decodeHP(hpw.matrices[i].hp)).toEqual(l.weight);
    });
    expect(linears.some((l, i) => l.weight.some((v, j) => v !== session.prunedLinears(oneShot)[i].weight[j]))).toBe(
      true,
    );
    // A second call is served from the session.
    expect((await session.recover(config, batches)).result).toBe(result);
    await expect(session.recover(oneShot, batches)).rejects.toThrow(/needs a config with recovery/);
  });
});
