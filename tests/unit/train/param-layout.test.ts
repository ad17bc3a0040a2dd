// The fine-tuner's packed parameter layout and the column view of an HP mask.
import { describe, expect, it } from 'vitest';
import { buildParamLayout, packParams, PARAM_ALIGN, unpackParams } from '../../../src/core/train/param-layout';
import { denseAsHP, hpColumns } from '../../../src/core/train/hp-columns';
import { decodeHP, forEachKept } from '../../../src/core/formats/hp';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { matrixInputs, pruneMatrices } from '../../../src/core/pruning';
import { randomBertModel } from '../../helpers/random-bert-model';

describe('fine-tuning parameter layout', () => {
  const model = randomBertModel({ hidden: 24, ffn: 40 }, 4);
  const pruned = pruneMatrices(matrixInputs(model), {
    pattern: 'hp',
    score: 'magnitude',
    tr: 8,
    tc: 8,
    sparsity: 0.75,
    split: 0.5,
  });
  const sparse = new Map(pruned.matrices.map((m) => [m.name, m.hp!]));

  it('aligns every tensor, puts the matrices (decayed) before biases and LayerNorms, stores only kept weights', () => {
    const layout = buildParamLayout(model, sparse);
    const segs = [...layout.linears.values()]
      .flatMap((t) => [t.values, t.bias])
      .concat(layout.layerNorms.flatMap((l) => [l.ln1, l.ln2]));
    for (const s of segs) expect(s.offset % PARAM_ALIGN).toBe(0);
    for (const t of layout.linears.values()) {
      expect(t.values.offset + t.values.length).toBeLessThanOrEqual(layout.decayEnd);
      expect(t.bias.offset).toBeGreaterThanOrEqual(layout.decayEnd);
    }
    expect(layout.linears.get(prunableLinears(model)[0].name)!.values.length).toBe(
      sparse.get(prunableLinears(model)[0].name)!.values.length,
    );
    expect(layout.linears.get('classifier')!.pruned).toBe(false);
  });

  it('pack then unpack gives the model back, pruned weights zero', () => {
    const layout = buildParamLayout(model, sparse);
    const back = unpackParams(model, layout, packParams(model, layout));
    prunableLinears(back.model).forEach((l, i) => {
      expect(Array.from(l.weight)).toEqual(Array.from(decodeHP(pruned.matrices[i].hp!)));
      expect(Array.from(l.bias)).toEqual(Array.from(prunableLinears(model)[i].bias));
    });
    expect(Array.from(back.model.classifier.weight)).toEqual(Array.from(model.classifier.weight));
    expect(Array.from(back.model.layers[1].ln2.beta)).toEqual(Array.from(model.layers[1].ln2.beta));
    expect(back.sparse.size).toBe(sparse.size);
  });

  it('denseAsHP keeps every weight; hpColumns lists each stored weight once, under its column', () => {
    const l = model.classifier;
    expect(Array.from(decodeHP(denseAsHP(l)))).toEqual(Array.from(l.weight));
    const hp = sparse.get(prunableLinears(model)[10].name)!;
    const { colStart, entries } = hpColumns(hp);
    const seen: [number, number][] = [];
    forEachKept(hp, (_r, col, _v, index) => seen.push([col, index]));
    expect(entries.length).toBe(seen.length);
    for (const [col, index] of seen)
      expect(Array.from(entries.subarray(colStart[col], colStart[col + 1]))).toContain(index);
  });
});
