// Device-model benchmark: analytic vs cycle-stepped agreement over a sweep, search and
// selection times, simulation speed, and the paper view. `npx tsx scripts/bench/device-models-bench.ts`
import { CATALOG, FPGA_BOARDS } from '../../src/core/hardware/catalog';
import { simulateFpga } from '../../src/core/hardware/fpga-sim';
import { searchDesign } from '../../src/core/hardware/fpga-search';
import type { FpgaArch } from '../../src/core/hardware/fpga-design';
import { BERT_BASE, TINYBERT_4L_312D, bertWorkload, type SparsityConfig } from '../../src/core/hardware/workload';
import { DeviceEvaluator } from '../../src/core/explore/devices';
import { paperView } from '../../src/core/explore/paper-view';
import { select } from '../../src/core/explore/select';
import type { SweepPoint } from '../../src/core/explore/sweep';

const cfgFor = (arch: FpgaArch, d: number): SparsityConfig =>
  arch === 'tile'
    ? { pattern: 'tile', density: d, tr: 16, tc: 16, tileDensity: d, vectorDensity: 1 }
    : arch === 'vector'
      ? { pattern: 'vector', density: d, tr: 16, tc: 16, tileDensity: 1, vectorDensity: d }
      : { pattern: 'hp', density: d, tr: 16, tc: 16, tileDensity: Math.sqrt(d), vectorDensity: Math.sqrt(d) };

// 1. Agreement.
const devs: Record<string, number[]> = {};
let t0 = performance.now();
let simCycles = 0;
let simMs = 0;
for (const [cfg, B, L] of [
  [TINYBERT_4L_312D, 1, 128],
  [TINYBERT_4L_312D, 8, 64],
  [{ ...BERT_BASE, layers: 2 }, 1, 128],
] as const) {
  for (const d of [1, 0.5, 0.2, 0.1]) {
    for (const board of FPGA_BOARDS) {
      for (const arch of ['hp', 'tile', 'vector', 'dense'] as FpgaArch[]) {
        const w = bertWorkload(cfg, B, L, arch === 'dense' ? cfgFor('hp', d) : cfgFor(arch, d));
        const r = searchDesign(board, arch, w, { bitWidths: ['int8', 'int16', 'fp16'] });
        if (!r.ok) continue;
        const s0 = performance.now();
        const s = simulateFpga(board, r.design, w, { draws: 4 });
        simMs += performance.now() - s0;
        simCycles += s.cycles;
        (devs[arch] ??= []).push(s.latencyMs / r.estimate.latencyMs - 1);
      }
    }
  }
}
console.log(
  `agreement sweep: ${((performance.now() - t0) / 1e3).toFixed(1)} s; ` +
    `simulated ${(simCycles / 1e6).toFixed(1)} M cycles in ${(simMs / 1e3).toFixed(2)} s`,
);
for (const [arch, v] of Object.entries(devs)) {
  const abs = v.map(Math.abs);
  console.log(
    `  ${arch}: ${v.length} cases, mean |dev| ${((abs.reduce((a, b) => a + b, 0) / abs.length) * 100).toFixed(2)}%, ` +
      `max |dev| ${(Math.max(...abs) * 100).toFixed(2)}%`,
  );
}

// 2. Cycle-by-cycle vs fast-forward on one streamed case.
{
  const board = FPGA_BOARDS.find((b) => b.id === 'zcu102')!;
  const w = bertWorkload(TINYBERT_4L_312D, 1, 128, cfgFor('hp', 0.25));
  const r = searchDesign(board, 'hp', w, { bitWidths: ['int16'] });
  if (r.ok) {
    for (const ff of [false, true]) {
      const a = performance.now();
      const s = simulateFpga(board, r.design, w, { fastForward: ff });
      console.log(
        `sim TinyBERT hp 75% on ZCU102 (P=${r.design.P}, ${s.cycles} cycles), ` +
          `fastForward=${ff}: ${(performance.now() - a).toFixed(0)} ms`,
      );
    }
  }
}

// 3. Search and selection times.
const w = bertWorkload(TINYBERT_4L_312D, 1, 128, cfgFor('hp', 0.2));
for (const board of FPGA_BOARDS) {
  const a = performance.now();
  const r = searchDesign(board, 'hp', w, { bitWidths: ['int16', 'fp16'] });
  console.log(
    `search ${board.id}: ${r.evaluated} designs in ${(performance.now() - a).toFixed(1)} ms -> ` +
      `${r.ok ? `${r.estimate.latencyMs.toFixed(3)} ms, P=${r.design.P} V=${r.design.V} ${r.design.bits}` : r.reason}`,
  );
}
const points: SweepPoint[] = [{ pattern: 'dense', sparsity: 0, accuracy: 0.72 }];
for (const s of [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95])
  for (const pattern of ['hp', 'tile', 'vector', 'unstructured', 'row-balanced'] as const)
    points.push({ pattern, sparsity: s, split: 0.5, tile: { tr: 32, tc: 32 }, accuracy: 0.72 - s * s * 0.05 });
const ev = new DeviceEvaluator(TINYBERT_4L_312D, 1, 128, {});
t0 = performance.now();
select(
  {
    config: TINYBERT_4L_312D,
    batch: 1,
    seq: 128,
    lcMs: 1,
    ac: { kind: 'drop', value: 0.01 },
    objective: 'price',
    sweep: { points },
  },
  ev,
);
const cold = performance.now() - t0;
t0 = performance.now();
select(
  {
    config: TINYBERT_4L_312D,
    batch: 1,
    seq: 128,
    lcMs: 0.5,
    ac: { kind: 'drop', value: 0.02 },
    objective: 'power',
    sweep: { points },
  },
  ev,
);
console.log(
  `select over ${points.length} sweep points x ${ev.devices.length} devices: cold ${cold.toFixed(0)} ms, ` +
    `warm (new LC/AC/objective) ${(performance.now() - t0).toFixed(1)} ms`,
);

// 4. Paper view.
for (const row of paperView({ catalog: CATALOG })) {
  console.log(
    `paper ${row.shape.label}: HP on ${row.board} ${row.hpMs.toFixed(3)} ms; ` +
      `vs ${row.cpu.against} ${row.cpu.speedup.toFixed(1)}x, vs ${row.gpu.against} ${row.gpu.speedup.toFixed(2)}x, ` +
      `vs tile-only ${row.tile.speedup.toFixed(2)}x, vs vector no-banking ${row.vector.speedup.toFixed(2)}x`,
  );
  console.log(
    '   all: ' +
      [...row.allCpus, ...row.allGpus].map((s) => `${s.against.split(' (')[0]} ${s.speedup.toFixed(1)}x`).join(', '),
  );
}
