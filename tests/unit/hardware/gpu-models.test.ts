// GPU models: tensor cores and 2:4 sparse tensor cores as options, occupancy that uses every
// SM, a catalog in which no GPU is modelled slower than a smaller one of its own or an earlier
// generation (unless it says why), and the H200 anchors against the engine's and torch's runs.
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/core/hardware/catalog';
import { DEFAULT_EFFICIENCY, estimateRoofline, occupancy, type GpuMode } from '../../../src/core/hardware/roofline';
import {
  BERT_BASE,
  DENSE,
  TINYBERT_4L_312D,
  bertWorkload,
  type SparsityConfig,
} from '../../../src/core/hardware/workload';
import { h200Anchors, H200_MEASUREMENTS } from '../../../src/core/hardware/gpu-anchors';
import type { GpuDevice } from '../../../src/core/hardware/types';

const gpu = (id: string) => CATALOG.gpus.find((g) => g.id === id)!;
const eff = DEFAULT_EFFICIENCY.gpu;
const hp80: SparsityConfig = {
  pattern: 'hp',
  density: 0.2,
  tr: 16,
  tc: 16,
  tileDensity: Math.sqrt(0.2),
  vectorDensity: Math.sqrt(0.2),
};
const nm24: SparsityConfig = {
  pattern: 'nm',
  density: 0.5,
  tr: 16,
  tc: 16,
  tileDensity: 0.5,
  vectorDensity: 0.5,
  nm: { n: 2, m: 4 },
};

describe('occupancy', () => {
  it('fills every SM on a large product and splits tiles or K on a small one', () => {
    expect(occupancy({ rows: 4096, out: 1200, in: 312, instances: 1 }, 132)).toBeGreaterThan(0.9);
    // 128 tokens x 312 outputs: nine 64x64 tiles, 7% of 132 SMs the old way; smaller tiles
    // and split-K keep far more of them busy.
    const small = { rows: 128, out: 312, in: 312, instances: 1 };
    expect(occupancy(small, 132)).toBeGreaterThan(5 * (10 / 132));
    expect(occupancy(small, 1)).toBe(1);
  });
});

describe('tensor cores', () => {
  const w = bertWorkload(TINYBERT_4L_312D, 32, 128);
  const at = (id: string, mode?: GpuMode, s: SparsityConfig = DENSE, b = 32) =>
    estimateRoofline(gpu(id), eff, bertWorkload(TINYBERT_4L_312D, b, 128, s), mode);

  it('fp16 and tf32 are faster than fp32 on the A100 and H200, and say so', () => {
    for (const id of ['a100', 'h200']) {
      const fp32 = at(id).latencyMs;
      expect(at(id, { precision: 'tf32' }).latencyMs).toBeLessThan(fp32);
      expect(at(id, { precision: 'fp16' }).latencyMs).toBeLessThan(at(id, { precision: 'tf32' }).latencyMs);
      expect(at(id, { precision: 'fp16' }).efficiency).toMatch(/fp16 tensor cores/);
    }
    expect(w.ops.length).toBeGreaterThan(0);
  });

  it('a GPU without tensor cores runs fp32 whatever is asked', () => {
    const r = estimateRoofline(gpu('jetson-nano'), eff, w, { precision: 'fp16' });
    expect(r.precision).toBe('fp32');
    expect(r.latencyMs).toBe(estimateRoofline(gpu('jetson-nano'), eff, w).latencyMs);
  });

  it("2:4 on sparse tensor cores halves the linears' compute; other patterns and N:M do not use them", () => {
    // BERT-base, 64 x 128 tokens: wide enough for its FFN products to be compute-bound.
    const big = (mode: GpuMode, s: SparsityConfig) =>
      estimateRoofline(gpu('a100'), eff, bertWorkload(BERT_BASE, 64, 128, s), mode);
    const dense = big({ precision: 'fp16' }, DENSE);
    const sparse = big({ precision: 'fp16', sparse24: true }, nm24);
    // Linears' time less the launch cost (4 us each): compute-bound halves, memory-bound less.
    const lin = (r: typeof dense) =>
      r.ops
        .filter((o) => /layer\.\d+\.(q|k|v|attnOut|ffnIn|ffnOut)$/.test(o.name))
        .reduce((a, o) => a + o.ms - 0.004, 0);
    expect(lin(sparse) / lin(dense)).toBeGreaterThanOrEqual(0.5 - 1e-9);
    expect(lin(sparse) / lin(dense)).toBeLessThan(0.85);
    const computeBound = sparse.ops.filter((o) => o.sparseKernel && o.bound === 'compute');
    expect(computeBound.length).toBeGreaterThan(0);
    for (const o of computeBound)
      expect((o.ms - 0.004) / (dense.ops.find((d) => d.name === o.name)!.ms - 0.004)).toBeCloseTo(0.5, 9);
    expect(sparse.efficiency).toMatch(/2:4 sparse tensor cores/);
    expect(at('a100', { precision: 'fp16', sparse24: true }, hp80, 256).efficiency).not.toMatch(/2:4/);
    expect(
      at('a100', { precision: 'fp16', sparse24: true }, { ...nm24, nm: { n: 10, m: 20 } }, 256).efficiency,
    ).not.toMatch(/2:4/);
  });
});

describe('the GPU catalog is ordered', () => {
  // Larger in SMs, peak and bandwidth, whatever the generation: this covers both the issue's
  // "a smaller one of a later or same generation" (A100 vs RTX 3060) and the earlier-generation case.
  const larger = (a: GpuDevice, b: GpuDevice) =>
    a.sms >= b.sms && a.peakGflops.value >= b.peakGflops.value && a.bandwidthGBs.value >= b.bandwidthGBs.value;
  const cases: Array<[typeof TINYBERT_4L_312D, number, number, SparsityConfig]> = [
    [TINYBERT_4L_312D, 1, 128, DENSE],
    [TINYBERT_4L_312D, 1, 128, hp80],
    [TINYBERT_4L_312D, 32, 128, DENSE],
    [TINYBERT_4L_312D, 32, 128, hp80],
    [BERT_BASE, 8, 128, DENSE],
    [BERT_BASE, 8, 128, hp80],
  ];
  it("the issue's case: the A100 is no longer modelled slower than an RTX 3060 (TinyBERT, HP 80%, 1 x 128)", () => {
    const ms = (id: string) => estimateRoofline(gpu(id), eff, bertWorkload(TINYBERT_4L_312D, 1, 128, hp80)).latencyMs;
    expect(larger(gpu('a100'), gpu('rtx-3060'))).toBe(true);
    expect(ms('a100')).toBeLessThanOrEqual(ms('rtx-3060'));
  });
  it('the H200 and the Orin Nano Super are in it', () => {
    expect(gpu('h200').bandwidthGBs.value).toBe(4800);
    expect(gpu('jetson-orin-nano').name).toMatch(/Super/);
    expect(gpu('jetson-orin-nano').bandwidthGBs.value).toBe(102);
  });
  for (const mode of [
    { precision: 'fp32' },
    { precision: 'tf32' },
    { precision: 'fp16' },
    { precision: 'int8' },
  ] as GpuMode[]) {
    it(`no GPU is modelled slower than a smaller one of any generation (${mode.precision})`, () => {
      const bad: string[] = [];
      for (const a of CATALOG.gpus) {
        for (const b of CATALOG.gpus) {
          if (a === b || !larger(a, b) || a.slowerThan?.[b.id]) continue;
          for (const [cfg, B, L, s] of cases) {
            const w = bertWorkload(cfg, B, L, s);
            const la = estimateRoofline(a, eff, w, mode).latencyMs;
            const lb = estimateRoofline(b, eff, w, mode).latencyMs;
            if (la > lb * (1 + 1e-9))
              bad.push(
                `${a.id} ${la.toFixed(3)} ms > ${b.id} ${lb.toFixed(3)} ms (${cfg.layers}L ${B}x${L} ${s.pattern})`,
              );
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }
});

describe('H200 anchors', () => {
  it('models every measured run, with its error, and stays within a stated band', () => {
    const rows = h200Anchors();
    expect(rows.length).toBe(H200_MEASUREMENTS.length);
    for (const r of rows) {
      expect(r.error).toBeCloseTo(r.modelledMs / r.measuredMs - 1, 12);
      // The uncalibrated roofline is within a factor of two of every run (BENCHMARKS.md has
      // the table; the engine is underestimated at small shapes: dispatches cost more than 4 us).
      expect(Math.abs(r.error), `${r.runtime.id} ${r.batch}x${r.seq} ${r.config}`).toBeLessThan(0.6);
    }
    const engineHp = rows.find(
      (r) => r.runtime.id === 'engine' && r.batch === 32 && r.seq === 128 && r.config.startsWith('HP'),
    )!;
    expect(engineHp.measuredMs).toBe(0.5018);
    // Large shapes are compute-bound: there the fused engine is within 10 % of the roofline.
    expect(Math.abs(engineHp.error)).toBeLessThan(0.1);
  });
});
