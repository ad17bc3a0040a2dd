import { describe, expect, it } from 'vitest';
import { FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import { simulateFpga } from '../../../src/core/hardware/fpga-sim';
import { maxEngines, searchDesign } from '../../../src/core/hardware/fpga-search';
import { BERT_BASE, TINYBERT_4L_312D, bertWorkload, type SparsityConfig } from '../../../src/core/hardware/workload';

const hp = (density: number): SparsityConfig => ({
  pattern: 'hp',
  density,
  tr: 16,
  tc: 16,
  tileDensity: Math.sqrt(density),
  vectorDensity: Math.sqrt(density),
});
const vector = (density: number): SparsityConfig => ({
  pattern: 'vector',
  density,
  tr: 16,
  tc: 16,
  tileDensity: 1,
  vectorDensity: density,
});
const tile = (density: number): SparsityConfig => ({
  pattern: 'tile',
  density,
  tr: 16,
  tc: 16,
  tileDensity: density,
  vectorDensity: 1,
});

describe('analytic model vs cycle-stepped simulation', () => {
  // Shapes x sparsities x boards x designs, each design found by the search (so on-chip and
  // streamed weights, int8/int16/fp16, small and large P all occur).
  const shapes = [
    { config: TINYBERT_4L_312D, batch: 1, seq: 64 },
    { config: { ...BERT_BASE, layers: 1 }, batch: 2, seq: 32 },
  ];
  const cases: { label: string; run: () => { analytic: number; sim: number } }[] = [];
  for (const s of shapes) {
    for (const density of [1, 0.5, 0.2]) {
      for (const board of FPGA_BOARDS) {
        for (const [arch, sp] of [
          ['hp', hp(density)],
          ['tile', tile(density)],
          ['vector', vector(density)],
        ] as const) {
          if (arch === 'tile' && !['ultra96-v2', 'zcu102', 'alveo-u280'].includes(board.id)) continue;
          if (arch === 'vector' && board.id !== 'alveo-u50') continue;
          cases.push({
            label: `${s.config.hidden}d B${s.batch} L${s.seq} density ${density} ${board.id} ${arch}`,
            run: () => {
              const w = bertWorkload(s.config, s.batch, s.seq, sp);
              const r = searchDesign(board, arch, w);
              if (!r.ok) throw new Error(r.reason);
              return {
                analytic: r.estimate.latencyMs,
                sim: simulateFpga(board, r.design, w, { draws: arch === 'tile' ? 8 : 2 }).latencyMs,
              };
            },
          });
        }
      }
    }
  }

  it(`agrees within 5% on ${cases.length} cases`, () => {
    const off: string[] = [];
    for (const c of cases) {
      const { analytic, sim } = c.run();
      const dev = Math.abs(sim / analytic - 1);
      if (!(dev <= 0.05)) off.push(`${c.label}: analytic ${analytic.toFixed(4)} ms, sim ${sim.toFixed(4)} ms`);
    }
    expect(off).toEqual([]);
  }, 60_000);
});

describe('design-space search', () => {
  const w = bertWorkload(TINYBERT_4L_312D, 1, 128, hp(0.25));

  it('fits every board and gets faster from low-end to high-end', () => {
    const lat = FPGA_BOARDS.map((b) => {
      const r = searchDesign(b, 'hp', w, { bitWidths: ['int16'] });
      expect(r.ok, `${b.id}: ${r.ok ? '' : r.reason}`).toBe(true);
      if (!r.ok) return NaN;
      const u = r.estimate.utilisation;
      expect(Math.max(u.dsp, u.bram36)).toBeLessThanOrEqual(1);
      return r.estimate.latencyMs;
    });
    const byId = Object.fromEntries(FPGA_BOARDS.map((b, i) => [b.id, lat[i]]));
    expect(byId['pynq-z2']).toBeGreaterThan(byId['ultra96-v2']);
    expect(byId['ultra96-v2']).toBeGreaterThan(byId['zcu102']);
    expect(byId['zcu102']).toBeGreaterThan(byId['alveo-u250']);
  });

  it('explains why nothing fits a board with too few DSPs', () => {
    const tiny = { ...FPGA_BOARDS[0], dsp: { ...FPGA_BOARDS[0].dsp, value: 8 } };
    expect(maxEngines(tiny, 'hp', 16, 16, 1, 'int16')).toBe(0);
    const r = searchDesign(tiny, 'hp', w, { bitWidths: ['int16'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/DSP/);
  });

  it(
    'HP beats the unbalanced tile-only design at equal density (weights on chip), ' +
      'and row-balancing closes the gap',
    () => {
      const board = FPGA_BOARDS.find((b) => b.id === 'alveo-u200')!;
      const wTile = bertWorkload(TINYBERT_4L_312D, 1, 128, tile(0.25));
      const hpR = searchDesign(board, 'hp', w, { bitWidths: ['int16'] });
      const tileR = searchDesign(board, 'tile', wTile, { bitWidths: ['int16'] });
      const balR = searchDesign(board, 'tile', wTile, { bitWidths: ['int16'], tileBalance: 'balanced' });
      if (!hpR.ok || !tileR.ok || !balR.ok) throw new Error('no design');
      expect(hpR.estimate.plan.weightsOnChip).toBe(true);
      expect(tileR.estimate.latencyMs).toBeGreaterThan(hpR.estimate.latencyMs);
      expect(balR.estimate.latencyMs).toBeLessThan(tileR.estimate.latencyMs);
    },
  );

  it('rejects a pattern the design cannot run', () => {
    const unstructured: SparsityConfig = { ...tile(0.5), pattern: 'unstructured' };
    const r = searchDesign(FPGA_BOARDS[0], 'hp', bertWorkload(TINYBERT_4L_312D, 1, 8, unstructured));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/cannot run the 'unstructured' pattern/);
    // The HP engines do run the tile pattern (HP with k = Tc); the tile-only design cannot run HP.
    expect(searchDesign(FPGA_BOARDS[0], 'hp', bertWorkload(TINYBERT_4L_312D, 1, 8, tile(0.5))).ok).toBe(true);
    expect(searchDesign(FPGA_BOARDS[0], 'tile', bertWorkload(TINYBERT_4L_312D, 1, 8, hp(0.5))).ok).toBe(false);
  });
});
