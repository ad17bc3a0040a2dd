// Pruning speed on TinyBERT-4L's 24 matrix shapes (hidden 312, FFN 1200) with random weights:
// median wall time of pruning all 24 (scores, selection, HPMatrix, mask) per pattern.
// Usage: npx tsx scripts/bench/prune-bench.ts [--reps 15] [--sparsity 0.9] [--tile 32x32]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { pruneMatrices } from '../../src/core/pruning/prune-model';
import { PATTERNS, type MatrixInput, type PruneConfig } from '../../src/core/pruning/types';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    sparsity: { type: 'string', default: '0.9' },
    tile: { type: 'string', default: '32x32' },
  },
});
const reps = Number(values.reps);
const [tr, tc] = values.tile!.split('x').map(Number);

let seed = 42;
const randn = () => {
  seed = (seed * 16807) % 2147483647;
  const u = seed / 2147483647;
  seed = (seed * 16807) % 2147483647;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * seed) / 2147483647) * 0.05;
};
const H = 312,
  F = 1200;
const shapes: Array<[string, number, number]> = [
  ['q', H, H],
  ['k', H, H],
  ['v', H, H],
  ['attnOut', H, H],
  ['ffnIn', F, H],
  ['ffnOut', H, F],
];
const inputs: MatrixInput[] = [];
for (let l = 0; l < 4; l++) {
  for (const [kind, out, nIn] of shapes) {
    inputs.push({
      name: `layer.${l}.${kind}`,
      out,
      in: nIn,
      weight: Float32Array.from({ length: out * nIn }, randn),
      inputNorms: Float32Array.from({ length: nIn }, () => 1 + Math.abs(randn()) * 20),
      group: kind.startsWith('ffn') ? 'ffn' : 'attention',
    });
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const rows: Record<string, unknown>[] = [];
for (const pattern of PATTERNS) {
  for (const score of ['magnitude', 'activation'] as const) {
    const config: PruneConfig = { pattern, sparsity: Number(values.sparsity), split: 0.5, tr, tc, score };
    pruneMatrices(inputs, config); // warm-up (JIT)
    const times: number[] = [];
    let achieved = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      achieved = pruneMatrices(inputs, config).achievedSparsity;
      times.push(performance.now() - t0);
    }
    rows.push({
      pattern,
      score,
      medianMs: +median(times).toFixed(1),
      minMs: +Math.min(...times).toFixed(1),
      achievedSparsity: +achieved.toFixed(4),
    });
  }
}
console.log(
  JSON.stringify(
    {
      machine: `${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}`,
      matrices: inputs.length,
      weights: inputs.reduce((s, m) => s + m.out * m.in, 0),
      tile: `${tr}x${tc}`,
      reps,
      rows,
    },
    null,
    2,
  ),
);
