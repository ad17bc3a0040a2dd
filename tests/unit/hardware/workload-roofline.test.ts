import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/core/hardware/catalog';
import { measuredFromLinears } from '../../../src/core/hardware/measured';
import {
  DEFAULT_EFFICIENCY,
  efficiencyFor,
  estimateMeasured,
  estimateRoofline,
  interpolateSparse,
} from '../../../src/core/hardware/roofline';
import { allDevices, type GpuDevice } from '../../../src/core/hardware/types';
import { bertWorkload, totalDenseFlops, totalFlops, TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
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

describe('workload', () => {
  it('counts FLOPs by hand on a tiny model', () => {
    const w = bertWorkload(TINY, 1, 4, {
      pattern: 'hp',
      density: 0.5,
      tr: 4,
      tc: 4,
      tileDensity: 0.5,
      vectorDensity: 1,
    });
    const f = (n: string) => w.ops.find((o) => o.name === n)!;
    // q: 4 tokens x 8 x 8 MACs x 2 x density 0.5 = 256.
    expect(f('layer.0.q').flops).toBe(256);
    expect(f('layer.0.q').denseFlops).toBe(512);
    // QK^T: 2 heads x 4 x 4 x dh 4 MACs x 2 = 256, never pruned.
    expect(f('layer.0.qk').flops).toBe(256);
    // softmax: 2 x 4 x 4 elements x 5 FLOPs.
    expect(f('layer.0.softmax').flops).toBe(160);
    expect(w.ops.filter((o) => o.mm?.pruned).length).toBe(6);
  });

  it('TinyBERT has 24 prunable linears and the known dense MACs', () => {
    const w = bertWorkload(TINYBERT_4L_312D, 1, 128);
    const lin = w.ops.filter((o) => o.mm?.pruned);
    expect(lin.length).toBe(24);
    // 4 layers x (4 x 312^2 + 2 x 312 x 1200) x 128 tokens MACs.
    expect(lin.reduce((a, o) => a + o.denseFlops, 0)).toBe(2 * 4 * (4 * 312 * 312 + 2 * 312 * 1200) * 128);
    expect(totalFlops(w)).toBe(totalDenseFlops(w));
  });

  it('rejects bad shapes', () => {
    expect(() => bertWorkload({ ...TINY, hidden: 9 }, 1, 4)).toThrow(/multiple of heads/);
    expect(() => bertWorkload(TINY, 1, 9)).toThrow(/positions/);
  });
});

describe('catalog', () => {
  it('every figure has a source, every device the required fields', () => {
    for (const d of allDevices(CATALOG)) {
      const figs = Object.values(d).filter((v) => typeof v === 'object' && v !== null && 'value' in v) as Array<{
        value: number;
        source: { name: string; url: string };
      }>;
      expect(figs.length).toBeGreaterThanOrEqual(3);
      for (const f of figs) {
        expect(f.value, d.id).toBeGreaterThanOrEqual(0);
        expect(f.source.name.length).toBeGreaterThan(3);
        expect(f.source.url).toMatch(/^https:\/\//);
      }
    }
    const ids = allDevices(CATALOG).map((d) => d.id);
    for (const id of [
      'pynq-z2',
      'ultra96-v2',
      'zcu102',
      'zcu104',
      'alveo-u50',
      'alveo-u200',
      'alveo-u250',
      'alveo-u280',
      'cortex-a53',
      'cortex-a72',
      'x86-laptop',
      'x86-server',
      'jetson-nano',
      'jetson-orin-nano',
      'rtx-3060',
      'rtx-4090',
      'a100',
      'h100',
    ]) {
      expect(ids).toContain(id);
    }
  });
});

describe('roofline', () => {
  const src = { name: 'test', url: 'https://example.org' };
  // 1 GFLOP/s peak, 1 GB/s, 1 unit, no launch cost: easy to compute by hand.
  const toy: GpuDevice = {
    id: 'toy',
    name: 'toy',
    kind: 'gpu',
    tier: 1,
    arch: { name: 'toy', year: 2020 },
    sms: 1,
    peakGflops: { value: 1, source: src },
    bandwidthGBs: { value: 1, source: src },
    powerW: { value: 10, source: src },
    priceUsd: { value: 1, source: src },
    launchUs: { value: 0, source: src },
  };
  const full = { dense: 1, bandwidth: 1, origin: 'test', sparseRel: () => 0.5 };

  it('takes the slower of compute and memory per op, by hand', () => {
    const w = bertWorkload(TINY, 1, 4);
    const r = estimateRoofline(toy, full, w);
    const q = r.ops.find((o) => o.name === 'layer.0.q')!;
    // compute: 512 FLOPs / 1e9 = 512 ns; memory: (acts 4 x 16 + weights 64) x 4 B / 1e9 = 512 ns.
    expect(q.ms).toBeCloseTo(512e-6, 12);
    const ln = r.ops.find((o) => o.name === 'layer.0.ln1')!;
    // LayerNorm: 32 elements read + written, 4 B each: 256 B at 1 GB/s.
    expect(ln.ms).toBeCloseTo(256e-6, 12);
  });

  it('uses a sparse kernel only when it is faster', () => {
    const slow = { ...full, sparseRel: () => 0.1 };
    const w = bertWorkload(TINY, 1, 4, {
      pattern: 'unstructured',
      density: 0.5,
      tr: 4,
      tc: 4,
      tileDensity: 0.5,
      vectorDensity: 0.5,
    });
    expect(estimateRoofline(toy, slow, w).ops.find((o) => o.name === 'layer.0.q')!.sparseKernel).toBe(false);
    const fast = { ...full, sparseRel: () => 1 };
    const w2 = bertWorkload(TINY, 1, 4, {
      pattern: 'hp',
      density: 0.1,
      tr: 4,
      tc: 4,
      tileDensity: 0.5,
      vectorDensity: 0.2,
    });
    expect(estimateRoofline(toy, fast, w2).ops.find((o) => o.name === 'layer.0.ffnIn')!.sparseKernel).toBe(true);
  });

  it('carries measured efficiency to modelled devices', () => {
    const m = measuredFromLinears(
      'gpu',
      'my GPU',
      [
        { tokens: 128, in: 312, out: 312, density: 0.25, denseGflops: 100, hpGflops: 40 },
        { tokens: 128, in: 312, out: 1200, density: 0.25, denseGflops: 100, hpGflops: 40 },
      ],
      { catalogId: 'rtx-3060' },
    );
    expect(m.denseGflops).toBeCloseTo(100, 9);
    expect(m.sparse).toEqual([{ density: 0.25, gflops: 40, pattern: 'hp' }]);
    const eff = efficiencyFor('gpu', m, 12_740);
    expect(eff.dense).toBeCloseTo(100 / 12_740, 9);
    expect(eff.sparseRel('structured', 0.25)).toBeCloseTo(0.4, 9);
    expect(eff.sparseRel('unstructured', 0.25)).toBe(DEFAULT_EFFICIENCY.gpu.sparseRel('unstructured', 0.25));
    expect(eff.origin).toMatch(/measured my GPU/);
    expect(
      interpolateSparse(
        [
          { density: 0.1, gflops: 10 },
          { density: 0.5, gflops: 50 },
        ],
        100,
        0.3,
      ),
    ).toBeCloseTo(0.3, 9);
  });

  it("uses the visitor's encoder time as measured, scaled when the workload differs", () => {
    const m = {
      kind: 'gpu' as const,
      label: 'mine',
      denseGflops: 50,
      encoder: { batch: 1, seq: 64, ms: 4, config: TINYBERT_4L_312D },
    };
    expect(estimateMeasured(m, bertWorkload(TINYBERT_4L_312D, 1, 64)).latencyMs).toBe(4);
    const twice = estimateMeasured(m, bertWorkload(TINYBERT_4L_312D, 2, 64));
    expect(twice.provenance).toBe('scaled-measurement');
    expect(twice.latencyMs).toBeCloseTo(8, 9);
  });
});
