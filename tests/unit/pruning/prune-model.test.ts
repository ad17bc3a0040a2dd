import { describe, expect, it } from 'vitest';
import { matrixInputs, pruneMatrices } from '../../../src/core/pruning/prune-model';
import type { BertModel, Linear } from '../../../src/core/model/bert-types';

function linear(name: string, out: number, nIn: number, seed: number): Linear {
  const weight = Float32Array.from({ length: out * nIn }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233));
  return { name, out, in: nIn, weight, bias: new Float32Array(out), initializer: name };
}

/** A 2-layer toy BERT: hidden 8, ffn 16. */
function toyModel(): BertModel {
  const layers = [0, 1].map((l) => ({
    q: linear(`layer.${l}.q`, 8, 8, l * 6),
    k: linear(`layer.${l}.k`, 8, 8, l * 6 + 1),
    v: linear(`layer.${l}.v`, 8, 8, l * 6 + 2),
    attnOut: linear(`layer.${l}.o`, 8, 8, l * 6 + 3),
    ffnIn: linear(`layer.${l}.ffnIn`, 16, 8, l * 6 + 4),
    ffnOut: linear(`layer.${l}.ffnOut`, 8, 16, l * 6 + 5),
    ln1: { gamma: new Float32Array(8), beta: new Float32Array(8) },
    ln2: { gamma: new Float32Array(8), beta: new Float32Array(8) },
  }));
  return {
    config: {} as BertModel['config'],
    embeddings: {} as BertModel['embeddings'],
    layers,
    classifier: linear('cls', 2, 8, 99),
  };
}

describe('pruning a whole model', () => {
  it('applies uniform or per-group (attention / FFN) sparsity and totals the kept weights', () => {
    const inputs = matrixInputs(toyModel());
    expect(inputs.map((m) => m.group)).toEqual([
      'attention',
      'attention',
      'attention',
      'attention',
      'ffn',
      'ffn',
      'attention',
      'attention',
      'attention',
      'attention',
      'ffn',
      'ffn',
    ]);
    const uniform = pruneMatrices(inputs, {
      pattern: 'unstructured',
      sparsity: 0.5,
      split: 0.5,
      tr: 4,
      tc: 4,
      score: 'magnitude',
    });
    expect(uniform.matrices.every((m) => m.achievedSparsity === 0.5)).toBe(true);
    expect(uniform.achievedSparsity).toBe(0.5);
    const grouped = pruneMatrices(inputs, {
      pattern: 'unstructured',
      sparsity: 0.5,
      groupSparsity: { ffn: 0.75 },
      split: 0.5,
      tr: 4,
      tc: 4,
      score: 'magnitude',
    });
    expect(grouped.matrices.map((m) => m.achievedSparsity)).toEqual(
      inputs.map((m) => (m.group === 'ffn' ? 0.75 : 0.5)),
    );
    expect(grouped.kept).toBe(grouped.matrices.reduce((s, m) => s + m.kept, 0));
    expect(grouped.total).toBe(8 * 64 + 4 * 128);
  });

  it('needs one input-norm vector per matrix for activation scores', () => {
    expect(() => matrixInputs(toyModel(), [new Float32Array(8)])).toThrow(/1 input-norm vectors for 12 matrices/);
  });
});
