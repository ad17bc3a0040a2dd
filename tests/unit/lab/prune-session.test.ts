import { describe, expect, it } from 'vitest';
import { readHPW } from '../../../src/core/formats/hpw';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import type { PruneConfig } from '../../../src/core/pruning';
import { engineWeights } from '../../../src/lab/encoder-experiment';
import { configKey, PruneSession } from '../../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const HP: PruneConfig = { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 4, tc: 4, split: 0.5 };

function session() {
  return new PruneSession(parseBertOnnx(buildTinyBertOnnx({ hidden: 8, ffn: 16 }).bytes));
}

describe('PruneSession', () => {
  it('prunes each config once, whatever the key order, and forgets results when the norms change', () => {
    const s = session();
    const first = s.prune(HP);
    expect(s.prune({ split: 0.5, tc: 4, tr: 4, score: 'magnitude', sparsity: 0.5, pattern: 'hp' })).toBe(first);
    expect(configKey(HP)).toBe(configKey({ ...HP }));
    expect(s.prune({ ...HP, sparsity: 0.75 })).not.toBe(first);
    s.setInputNorms(s.matrices().map((m) => new Float32Array(m.in).fill(1)));
    expect(s.hasInputNorms).toBe(true);
    expect(s.prune(HP)).not.toBe(first);
    expect(() => s.setInputNorms([new Float32Array(8)])).toThrow(/input-norm vectors/);
  });

  it('gives pruned weights with zeros exactly where the mask drops, and the ONNX that carries them', () => {
    const s = session();
    const result = s.prune(HP);
    const linears = s.prunedLinears(HP);
    for (const [i, l] of linears.entries()) {
      const mask = result.matrices[i].mask;
      for (let j = 0; j < mask.length; j++) expect(l.weight[j] === 0 || mask[j] === 1).toBe(true);
      expect(mask.some((m) => m === 0)).toBe(true);
    }
    const reparsed = new PruneSession(parseBertOnnx(s.prunedOnnx(HP)));
    expect(Array.from(reparsed.model.layers[0].q.weight)).toEqual(Array.from(linears[0].weight));
    expect(Array.from(s.prunedModel(HP).layers[1].ffnOut.weight)).toEqual(Array.from(linears[11].weight));
  });

  it('has HP matrices and a .hpw file only for the HP-structured patterns', () => {
    const s = session();
    expect(s.hpMatrices(HP)?.size).toBe(12);
    expect(readHPW(s.hpwFile(HP, 'f16', 'tiny')).matrices).toHaveLength(12);
    const unstructured = { ...HP, pattern: 'unstructured' } as const;
    expect(s.hpMatrices(unstructured)).toBeNull();
    expect(() => s.hpwFile(unstructured, 'f32', 'tiny')).toThrow(/HP-structured/);
  });

  it('tells the engine which linears run the HP kernel, and why not', () => {
    const s = session();
    expect(engineWeights(s, null)).toMatchObject({ sparse: null, achievedSparsity: 0 });
    expect(engineWeights(s, HP).sparse?.size).toBe(12);
    expect(engineWeights(s, { ...HP, tr: 2 })).toMatchObject({
      sparse: null,
      note: expect.stringMatching(/multiple of 4/),
    });
    const nm = engineWeights(s, { ...HP, pattern: 'nm', nmM: 4 });
    expect(nm.note).toMatch(/no HP structure/);
    expect(nm.model.layers[0].q.weight).not.toBe(s.model.layers[0].q.weight);
  });
});
