import { describe, expect, it } from 'vitest';
import { FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import { buildPlan, type EngineJob, type FpgaDesign } from '../../../src/core/hardware/fpga-design';
import {
  chunkSegments,
  estimateFpga,
  expectedMaxBinomial,
  expectedMaxStdNormal,
  jobCycles,
  normalQuantile,
} from '../../../src/core/hardware/fpga-model';
import { simulateEngineJob, simulateFpga, rng } from '../../../src/core/hardware/fpga-sim';
import { expectedGroupLoad, groupCycles } from '../../../src/core/hardware/bank-conflicts';
import type { FpgaBoard } from '../../../src/core/hardware/types';
import { bertWorkload, type SparsityConfig } from '../../../src/core/hardware/workload';
import type { BertConfig } from '../../../src/core/model/bert-types';

const TINY: BertConfig = {
  layers: 1,
  hidden: 8,
  heads: 2,
  ffn: 16,
  vocab: 10,
  maxPositions: 8,
  typeVocab: 2,
  labels: 2,
  layerNormEps: 1e-12,
};
const HP_HALF: SparsityConfig = { pattern: 'hp', density: 0.25, tr: 4, tc: 4, tileDensity: 0.5, vectorDensity: 0.5 };
const zcu104 = FPGA_BOARDS.find((b) => b.id === 'zcu104')!;
const src = { name: 'test', url: 'about:blank' };
/**
 * A made-up board: 100 MHz, DRAM 0.25 GB/s x 0.8 efficiency = 2 bytes/cycle, 4 BRAM36: activations fit, the weights'
 * read ports do not.
 */
const slowBoard: FpgaBoard = {
  ...zcu104,
  id: 'slow',
  bandwidthGBs: { value: 0.25, source: src },
  clockMHz: { value: 100, source: src },
  bram36: { value: 4, source: src },
  uram: { value: 0, source: src },
};
const design: FpgaDesign = { arch: 'hp', P: 2, tr: 4, tc: 4, V: 2, bits: 'int16', sfuLanes: 4 };

describe('FPGA analytic model, hand-computed', () => {
  const w = bertWorkload(TINY, 1, 4, HP_HALF);
  const plan = buildPlan(zcu104, design, w);
  const cycles = (name: string) =>
    jobCycles(
      plan.jobs.find((j) => j.name === name)!,
      plan,
    ).cycles;

  it('keeps the tiny model on chip', () => {
    expect(plan.weightsOnChip).toBe(true);
    expect(plan.misfit).toBeNull();
  });

  it('counts engine cycles of HP linears', () => {
    // Pipeline depth: 8 + log2(V=2) = 9 cycles per op.
    // q (8x8): TR=2, T=2 tiles per row; m=round(0.5*2)=1, k=round(0.5*4)=2 -> 1*ceil(2/2)=1
    // cycle per (tile-row, token); 2 rows x 4 tokens = 8 units over P=2 -> 4 cycles + 9 = 13.
    expect(cycles('layer.0.q')).toBe(13);
    // ffnIn (16x8): TR=4, m=1, k=2 -> 1 cycle/unit, 16 units / 2 = 8, + 9 = 17.
    expect(cycles('layer.0.ffnIn')).toBe(17);
    // ffnOut (8x16): TR=2, T=4, m=2, k=2 -> 2 cycles/unit, 8 units / 2 = 4 -> 8 + 9 = 17.
    expect(cycles('layer.0.ffnOut')).toBe(17);
  });

  it('counts attention and SFU cycles', () => {
    // QK^T per (batch, head): K is 4 x dh=4 -> 1 tile-row, 1 tile, dense 4 columns at V=2 ->
    // 2 cycles/unit; 2 instances x 1 row x 4 tokens = 8 units / 2 engines = 4 -> 8 + 9 = 17.
    expect(cycles('layer.0.qk')).toBe(17);
    // softmax: 2 heads x 4 x 4 = 32 elements, 2 passes over 4 lanes = 16, + 24 pipeline = 40.
    expect(cycles('layer.0.softmax')).toBe(40);
    // GELU: 4 tokens x 16 = 64 elements, 1 pass / 4 lanes = 16 + 24 = 40.
    expect(cycles('layer.0.gelu')).toBe(40);
  });

  it('the simulation gives the same cycles when nothing is random or streamed', () => {
    const sim = simulateFpga(zcu104, design, w);
    const est = estimateFpga(zcu104, design, w);
    expect(sim.ops.map((o) => o.cycles)).toEqual(est.ops.map((o) => o.cycles));
  });

  it('streams weights at the board bandwidth, hand-computed', () => {
    const p = buildPlan(slowBoard, { ...design, P: 1 }, w);
    expect(p.weightsOnChip).toBe(false);
    const q = p.jobs.find((j) => j.name === 'layer.0.q') as EngineJob;
    // Row bytes: values 1 tile x 2 cols x 4 rows x 2 B = 16, index 1 x (2 + 2) = 4 -> 20 B.
    expect(q.streamBytesPerRow).toBe(20);
    // Sim: both rows requested at 0, ready at 64 (latency); row 0 takes 20/2 = 10 cycles
    // (64..73), the engine computes it in 4 units x 1 = 4 cycles (74..77); row 1 lands at 83,
    // is computed 84..87; done at 88, + 9 pipeline = 97.
    expect(simulateEngineJob(q, p, rng(1)).cycles).toBe(97);
    // Analytic: memory side 40 B / 2 = 20 cycles + last row's 4 cycles = 24 > compute side
    // (first row lands at 10, then 8 cycles of work = 18); 24 + 64 latency + 9 = 97.
    expect(jobCycles(q, p).cycles).toBe(97);
  });
});

describe('FPGA model pieces', () => {
  it('expected maximum of binomials', () => {
    expect(expectedMaxBinomial(1, 10, 0.3)).toBeCloseTo(3, 10);
    expect(expectedMaxBinomial(2, 1, 0.5)).toBeCloseTo(0.75, 10); // 1 - 0.5^2
    expect(expectedMaxBinomial(2, 2, 0.5)).toBeCloseTo(1.375, 10); // (1 - 1/16) + (1 - 9/16)
  });

  it('counts bank conflicts of vector sparsity without HP banking', () => {
    // 16 banks, 2 columns per cycle: {0, 16} share bank 0 (2 cycles), {1, 17} share bank 1 (2).
    expect(groupCycles([0, 16, 1, 17], 2, 16)).toBe(4);
    // HP's guarantee: distinct offsets mod Tc -> one cycle per group.
    expect(groupCycles([0, 1, 2, 3], 4, 16)).toBe(1);
    // Two kept columns, 2 banks, columns kept with probability d: they collide when the gap
    // (Geometric(d), >= 1) is even: P = (1 - d) / (2 - d); E[cycles] = 1 + P = 4/3 at d = 1/2.
    expect(expectedGroupLoad(2, 0.5, 2)).toBeCloseTo(4 / 3, 1);
    expect(Math.abs(expectedGroupLoad(2, 0.5, 2) - 4 / 3)).toBeLessThan(0.03);
  });

  it('normal quantile and expected maxima', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(expectedMaxStdNormal(1)).toBe(0);
    expect(expectedMaxStdNormal(2)).toBeCloseTo(0.5642, 1); // exact 1/sqrt(pi)
  });

  it('counts chunk segments', () => {
    // 2 rows x 4 tokens cut into 3 chunks: [0,2) [2,5) [5,8) -> 1 + 2 + 1 segments.
    expect(chunkSegments(8, 3, 4)).toBe(4);
    expect(chunkSegments(8, 2, 4)).toBe(2);
  });

  it('fast-forward and cycle-by-cycle stepping agree exactly', () => {
    const w = bertWorkload({ ...TINY, hidden: 16, ffn: 48 }, 2, 4, {
      pattern: 'tile',
      density: 0.4,
      tr: 4,
      tc: 4,
      tileDensity: 0.4,
      vectorDensity: 1,
    });
    const d: FpgaDesign = { arch: 'tile', P: 3, tr: 4, tc: 4, V: 2, bits: 'int16', sfuLanes: 4, tileBalance: 'random' };
    const a = simulateFpga(slowBoard, d, w, { seed: 7, fastForward: true });
    const b = simulateFpga(slowBoard, d, w, { seed: 7, fastForward: false });
    expect(a.plan.weightsOnChip).toBe(false);
    expect(a.ops.map((o) => o.cycles)).toEqual(b.ops.map((o) => o.cycles));
  });
});
