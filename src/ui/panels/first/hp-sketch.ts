// The first screen's picture of HP: the sliders' pattern, sparsity and split applied (by the
// real pruning code) to a small fixed matrix with small tiles, so the two levels are visible:
// m of the tiles kept in every tile-row, k of Tc columns kept in every kept tile.
import { pruneMatrix, type PruneConfig } from '../../../core/pruning';

export const SKETCH = { out: 16, in: 32, tr: 4, tc: 8 } as const;

export interface Sketch {
  out: number;
  in: number;
  tr: number;
  tc: number;
  mask: Uint8Array;
  /** m, k, tilesPerRow for the HP-structured patterns; pattern parameters otherwise. */
  params: Record<string, number>;
  density: number;
  hpStructured: boolean;
}

/** A fixed pseudo-random weight (same picture for the same settings). */
function sketchWeight(): Float32Array {
  return Float32Array.from({ length: SKETCH.out * SKETCH.in }, (_, i) => {
    const x = Math.sin(i * 12.9898 + 4.1414) * 43758.5453;
    return (x - Math.floor(x) - 0.5) * (1 + ((i * 7) % 5) / 4);
  });
}
const weight = sketchWeight();

export function hpSketch(config: PruneConfig): Sketch {
  const sparsity = config.groupSparsity ? (config.groupSparsity.ffn ?? config.sparsity) : config.sparsity;
  const c: PruneConfig = {
    pattern: config.pattern,
    sparsity,
    split: config.split,
    tr: SKETCH.tr,
    tc: SKETCH.tc,
    score: 'magnitude',
    nmM: 8,
  };
  const r = pruneMatrix({ name: 'sketch', out: SKETCH.out, in: SKETCH.in, weight }, c);
  return {
    ...SKETCH,
    mask: r.mask,
    params: r.params,
    density: r.kept / (SKETCH.out * SKETCH.in),
    hpStructured: Boolean(r.hp),
  };
}

/** One line on what the picture shows, for the HP-structured patterns. */
export function sketchCaption(s: Sketch): string {
  const pct = `${(s.density * 100).toFixed(0)}% of the weights kept`;
  if (!s.hpStructured) return `${pct}.`;
  const { m, k, tilesPerRow } = s.params;
  return (
    `Tile level: ${m} of ${tilesPerRow} tiles kept in every tile-row. ` +
    `Vector level: ${k} of ${s.tc} columns kept in every kept tile. ${pct} (${m}/${tilesPerRow} × ${k}/${s.tc}).`
  );
}
