import { describe, expect, it } from 'vitest';
import { hpSketch, sketchCaption, SKETCH } from '../../../src/ui/panels/first/hp-sketch';
import { DEFAULT_STATE } from '../../../src/ui/stores/url-state';

const base = { ...DEFAULT_STATE.pruning };

describe('first-screen HP sketch', () => {
  it('keeps m of the tiles per tile-row and k of Tc columns per kept tile', () => {
    const s = hpSketch({ ...base, sparsity: 0.75, split: 0.5 });
    const { m, k, tilesPerRow } = s.params;
    expect(tilesPerRow).toBe(SKETCH.in / SKETCH.tc);
    for (let tileRow = 0; tileRow < SKETCH.out / SKETCH.tr; tileRow++) {
      let keptTiles = 0;
      for (let t = 0; t < tilesPerRow; t++) {
        const cols = new Set<number>();
        for (let r = tileRow * SKETCH.tr; r < (tileRow + 1) * SKETCH.tr; r++)
          for (let c = t * SKETCH.tc; c < (t + 1) * SKETCH.tc; c++) if (s.mask[r * SKETCH.in + c]) cols.add(c);
        if (cols.size) keptTiles++;
        expect([0, k]).toContain(cols.size);
      }
      expect(keptTiles).toBe(m);
    }
    expect(s.density).toBeCloseTo((m * k) / (tilesPerRow * SKETCH.tc), 10);
    expect(sketchCaption(s)).toMatch(new RegExp(`${m} of ${tilesPerRow} tiles kept .* ${k} of 8 columns`));
  });

  it('follows the sliders: more sparsity keeps less; split 1 is tile level only', () => {
    expect(hpSketch({ ...base, sparsity: 0.9 }).density).toBeLessThan(hpSketch({ ...base, sparsity: 0.5 }).density);
    expect(hpSketch({ ...base, sparsity: 0.5, split: 1 }).params.k).toBe(SKETCH.tc);
    expect(hpSketch({ ...base, pattern: 'unstructured', sparsity: 0.5 }).hpStructured).toBe(false);
  });
});
