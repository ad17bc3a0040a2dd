import { describe, expect, it } from 'vitest';
import { CATALOG, FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import type { Catalog } from '../../../src/core/hardware/types';
import { TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
import { DeviceEvaluator } from '../../../src/core/explore/devices';
import { paretoFront } from '../../../src/core/explore/pareto';
import { select, SelectionError, type SelectionInput } from '../../../src/core/explore/select';
import type { Sweep } from '../../../src/core/explore/sweep';

// A hand-made sweep: accuracy falls with sparsity, faster for the coarse tile pattern.
const sweep: Sweep = {
  denseAccuracy: 0.85,
  points: [
    { pattern: 'dense', sparsity: 0, accuracy: 0.85 },
    { pattern: 'hp', sparsity: 0.5, split: 0.5, tile: { tr: 16, tc: 16 }, accuracy: 0.845 },
    { pattern: 'hp', sparsity: 0.75, split: 0.5, tile: { tr: 16, tc: 16 }, accuracy: 0.83 },
    { pattern: 'hp', sparsity: 0.9, split: 0.5, tile: { tr: 16, tc: 16 }, accuracy: 0.78 },
    { pattern: 'unstructured', sparsity: 0.75, accuracy: 0.84 },
  ],
};
const fpgaOnly: Catalog = {
  fpgas: FPGA_BOARDS.filter((b) => ['pynq-z2', 'ultra96-v2', 'zcu102', 'alveo-u250'].includes(b.id)),
  cpus: [],
  gpus: [],
};
const base: SelectionInput = {
  config: TINYBERT_4L_312D,
  batch: 1,
  seq: 128,
  lcMs: 1000,
  ac: { kind: 'drop', value: 0.02 },
  objective: 'price',
  sweep,
  catalog: fpgaOnly,
};
const ev = new DeviceEvaluator(base.config, base.batch, base.seq, { catalog: fpgaOnly });
const run = (over: Partial<SelectionInput>) => select({ ...base, ...over }, ev);

describe('selection on a hand-made catalog', () => {
  it('tightening LC moves the choice up from the low-end boards', () => {
    const loose = run({ lcMs: 1000 });
    expect(loose.choice?.deviceId).toBe('pynq-z2');
    const lat = (id: string) =>
      Math.min(...loose.candidates.filter((c) => c.deviceId === id && c.acOk).map((c) => c.latencyMs));
    // Just under each board's best AC-meeting latency, that board drops out and the next
    // pricier one wins.
    const order = ['pynq-z2', 'ultra96-v2', 'zcu102', 'alveo-u250'];
    for (let i = 0; i < order.length - 1; i++) {
      const r = run({ lcMs: lat(order[i]) * 0.99 });
      expect(r.choice?.deviceId, `LC just under ${order[i]}`).toBe(order[i + 1]);
      const lost = r.verdicts.find((v) => v.device.id === order[i])!;
      expect(lost.reason).toMatch(/too slow/);
    }
    const none = run({ lcMs: lat('alveo-u250') * 0.5 });
    expect(none.choice).toBeNull();
    expect(none.binding?.constraint).toBe('LC');
    expect(none.binding?.lcNeededMs).toBeCloseTo(lat('alveo-u250'), 9);
  });

  it('keeps only pairs that meet AC and picks the most accurate feasible configuration', () => {
    const r = run({ lcMs: 1000, ac: { kind: 'min', value: 0.84 } });
    expect(r.accuracyThreshold).toBe(0.84);
    expect(r.choice!.accuracy).toBeGreaterThanOrEqual(0.84);
    expect(r.candidates.filter((c) => c.feasible).every((c) => c.accuracy! >= 0.84)).toBe(true);
    expect(r.reasons.join(' ')).toMatch(/meets AC/);
  });

  it('says AC binds, and by how much, when no configuration is accurate enough', () => {
    const r = run({ ac: { kind: 'min', value: 0.9 } });
    expect(r.choice).toBeNull();
    expect(r.binding?.constraint).toBe('AC');
    expect(r.binding?.message).toMatch(/85\.00%.*5\.00%.*90\.00%/);
    expect(r.verdicts.every((v) => /meets AC/.test(v.reason))).toBe(true);
  });

  it('ranks by power or device class when asked', () => {
    const byClass = run({ objective: 'class', lcMs: 1000 });
    expect(byClass.choice?.deviceId).toBe('pynq-z2');
    const byPower = run({ objective: 'power', lcMs: 1000 });
    const feasible = byPower.verdicts.filter((v) => v.feasible).map((v) => v.best!.powerW);
    expect(byPower.choice!.powerW).toBe(Math.min(...feasible));
  });

  it('explains each loser: costlier or too slow', () => {
    const r = run({ lcMs: 5 });
    for (const v of r.verdicts) {
      if (v.chosen) continue;
      expect(v.reason).toMatch(/costs more|too slow|as cheap/);
    }
  });

  it('rejects bad input with clear errors', () => {
    expect(() => run({ lcMs: -1 })).toThrow(SelectionError);
    expect(() => run({ sweep: null })).toThrow(/needs a measured sweep/);
    expect(() => run({ sweep: { points: [{ pattern: 'hp', sparsity: 0.5, accuracy: 0.8 }] } })).toThrow(
      /dense accuracy/,
    );
  });

  it('without a sweep selects on latency only', () => {
    const r = run({ sweep: null, ac: { kind: 'none' }, lcMs: 50 });
    expect(r.accuracyKnown).toBe(false);
    expect(r.choice?.accuracy).toBeNull();
    expect(r.reasons.join(' ')).toMatch(/latency-only/);
  });

  it('the full catalog includes CPUs and GPUs with modelled labels', () => {
    const r = select({ ...base, catalog: CATALOG, lcMs: 5 });
    expect(r.devices.some((d) => d.kind === 'gpu')).toBe(true);
    expect(r.choice).not.toBeNull();
    expect(r.candidates.every((c) => c.eval.provenance === 'modelled')).toBe(true);
  });
});

describe('Pareto front', () => {
  it('keeps non-dominated points only', () => {
    const items = [
      { accuracy: 0.9, latencyMs: 10, cost: 100 }, // front
      { accuracy: 0.8, latencyMs: 5, cost: 100 }, // front
      { accuracy: 0.8, latencyMs: 10, cost: 100 }, // dominated by both
      { accuracy: 0.7, latencyMs: 20, cost: 50 }, // front (cheapest)
    ];
    expect(paretoFront(items)).toEqual([items[0], items[1], items[3]]);
  });
});

describe('int8 FPGA designs carry the measured int8 accuracy', () => {
  const ev8 = new DeviceEvaluator(base.config, base.batch, base.seq, { catalog: fpgaOnly, bitWidths: ['int8'] });
  const run8 = (over: Partial<SelectionInput>) => select({ ...base, bitWidths: ['int8'], ...over }, ev8);
  const rec = (quant: number) => [
    { bits: 8 as const, model: 'dense', activations: 'dynamic' as const, f32: 0.85, quant, n: 500 },
  ];

  it('a measured loss lowers every int8 candidate by it and can fail AC; no measurement fails AC', () => {
    const ok = run8({ ac: { kind: 'drop', value: 0.02 }, quantAccuracy: rec(0.85) });
    const int8 = ok.candidates.filter((c) => c.eval.design?.bits === 'int8');
    expect(int8.length).toBeGreaterThan(0);
    expect(int8.every((c) => c.int8Penalty === 0 && c.accuracy === c.point!.accuracy)).toBe(true);
    expect(ok.choice).not.toBeNull();
    const lossy = run8({ ac: { kind: 'drop', value: 0.02 }, quantAccuracy: rec(0.82) });
    const dense = lossy.candidates.find((c) => c.point?.pattern === 'dense')!;
    expect(dense.int8Penalty).toBeCloseTo(-0.03, 12);
    expect(dense.accuracy).toBeCloseTo(0.82, 12);
    expect(lossy.candidates.some((c) => c.acOk)).toBe(false); // 3 points lost > the 2-point AC
    const unmeasured = run8({ ac: { kind: 'drop', value: 0.02 }, quantAccuracy: [] });
    expect(unmeasured.candidates.every((c) => c.int8Penalty === null && !c.acOk)).toBe(true);
    expect(run8({ ac: { kind: 'none' }, quantAccuracy: [] }).choice).not.toBeNull();
  });

  it('the shipped model has an int8 measurement, and the reasons cite it', () => {
    const r = run8({ ac: { kind: 'drop', value: 0.02 } });
    expect(r.choice?.int8Penalty).toBe(0);
    expect(r.reasons.join(' ')).toMatch(/measured W8A8 loss, 0\.0 pt/);
  });
});
