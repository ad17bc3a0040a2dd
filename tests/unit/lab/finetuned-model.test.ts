// The fine-tuned model as the current pruned model (lab/finetuned-model.ts): chosen only for the
// masks it was trained with, and pruning it again with that configuration is the identity (same
// masks, the trained kept values untouched), which is what lets every GPU run use it as is.
import { describe, expect, it } from 'vitest';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { writeBertOnnx } from '../../../src/core/model/onnx-writer';
import type { PruneConfig } from '../../../src/core/pruning';
import { rng } from '../../../src/core/random';
import {
  FINETUNED_LABEL,
  fineTunedPoint,
  modelForRun,
  sameMasks,
  sweepWithFineTuned,
} from '../../../src/lab/finetuned-model';
import { FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import type { Catalog } from '../../../src/core/hardware/types';
import { TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
import { DeviceEvaluator } from '../../../src/core/explore/devices';
import { select, type SelectionInput } from '../../../src/core/explore/select';
import type { Sweep } from '../../../src/core/explore/sweep';
import { PruneSession } from '../../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const HP: PruneConfig = { pattern: 'hp', sparsity: 0.8, score: 'magnitude', tr: 4, tc: 4, split: 0.5 };
const LSQ = { kind: 'lsq-dense' as const, sentences: 64, damp: 0.01 };

describe('the fine-tuned model as the current pruned model', () => {
  it('is used only for the masks it was trained with, without recovery', () => {
    const base = new Uint8Array([1]);
    const ft = { config: { ...HP, recovery: LSQ }, onnx: new Uint8Array([2]) };
    expect(sameMasks(ft.config, HP)).toBe(true);
    expect(sameMasks(HP, { ...HP, sparsity: 0.9 })).toBe(false);
    expect(sameMasks(HP, { ...HP, tr: 8 })).toBe(false);
    const run = modelForRun(base, { ...HP, recovery: LSQ }, ft);
    expect(run.fineTuned).toBe(true);
    expect(run.bytes).toBe(ft.onnx);
    expect(run.pruning?.recovery).toBeUndefined();
    expect(modelForRun(base, { ...HP, sparsity: 0.9 }, ft)).toEqual({
      bytes: base,
      pruning: { ...HP, sparsity: 0.9 },
      fineTuned: false,
    });
    expect(modelForRun(base, { ...HP, sparsity: 0 }, ft).pruning).toBeNull();
    expect(modelForRun(base, HP, null).fineTuned).toBe(false);
  });

  for (const score of ['magnitude', 'activation'] as const) {
    it(`pruning the fine-tuned model again (${score} scores) keeps its masks and trained values`, () => {
      const tiny = buildTinyBertOnnx({ hidden: 16, ffn: 32, seed: 4 });
      const config = { ...HP, score };
      const original = new PruneSession(parseBertOnnx(tiny.bytes));
      const norms = original
        .matrices()
        .map((m, i) => Float32Array.from({ length: m.in }, (_, j) => 0.5 + ((i + j) % 7)));
      if (score === 'activation') original.setInputNorms(norms);
      const masks = original.prune(config).matrices.map((m) => m.mask);
      // "Training": every kept weight moves (some by a lot), pruned ones stay zero.
      const rand = rng(3);
      const trained = original.prunedLinears(config).map((l) => ({
        ...l,
        weight: l.weight.map((w) => (w === 0 ? 0 : w * (0.2 + 1.6 * rand()) + 0.05 * (rand() - 0.5))),
      }));
      const fineTuned = writeBertOnnx(original.onnx, trained);
      const again = new PruneSession(parseBertOnnx(fineTuned));
      if (score === 'activation') again.setInputNorms(norms);
      const result = again.prune(config);
      result.matrices.forEach((m, i) => expect(m.mask).toEqual(masks[i]));
      again.prunedLinears(config).forEach((l, i) => expect(l.weight).toEqual(trained[i].weight));
      expect(prunableLinears(again.model).length).toBe(trained.length);
    });
  }
});

describe('the fine-tuned model in the device choice', () => {
  const oneShot: Sweep = {
    denseAccuracy: 0.834,
    points: [
      { pattern: 'dense', sparsity: 0, accuracy: 0.834 },
      { pattern: 'hp', sparsity: 0.784, split: 0.5, tile: { tr: 32, tc: 32 }, accuracy: 0.5 },
    ],
  };
  const ft = {
    config: { ...HP, tr: 32, tc: 32 },
    onnx: new Uint8Array(1),
    achievedSparsity: 0.784,
    accuracy: { accuracy: 0.82, n: 500 },
  };
  const catalog: Catalog = {
    fpgas: FPGA_BOARDS.filter((b) => ['pynq-z2', 'zcu102', 'alveo-u250'].includes(b.id)),
    cpus: [],
    gpus: [],
  };
  const input = (sweep: Sweep | null): SelectionInput => ({
    config: TINYBERT_4L_312D,
    batch: 1,
    seq: 128,
    lcMs: 1000,
    ac: { kind: 'min', value: 0.8 },
    objective: 'price',
    sweep,
    catalog,
  });
  const ev = new DeviceEvaluator(TINYBERT_4L_312D, 1, 128, { catalog });

  it('adds its measured accuracy as a candidate that the choice can pick', () => {
    const point = fineTunedPoint(ft);
    expect(point).toMatchObject({ pattern: 'hp', sparsity: 0.784, accuracy: 0.82, n: 500, tile: { tr: 32, tc: 32 } });
    expect(sweepWithFineTuned(oneShot, null)).toBe(oneShot);
    const withFt = sweepWithFineTuned(oneShot, ft)!;
    expect(withFt.points).toHaveLength(3);
    expect(withFt.denseAccuracy).toBe(0.834);
    expect(sweepWithFineTuned(null, ft)!.points).toEqual([point]);
    // One-shot HP 80% is at chance: only dense meets AC. With the fine-tuned point, HP 80% does.
    const before = select(input(oneShot), ev);
    expect(before.candidates.filter((c) => c.acOk).every((c) => c.config === 'dense')).toBe(true);
    const after = select(input(withFt), ev);
    const ftCandidates = after.candidates.filter((c) => c.config.includes(FINETUNED_LABEL));
    expect(ftCandidates.length).toBeGreaterThan(0);
    expect(ftCandidates.every((c) => c.acOk && c.accuracy === 0.82)).toBe(true);
  });
});
