// The selection never misleads: dense is always a candidate, AC uses one dense accuracy, AC
// allows for measurement noise, and a pick with no AC at chance accuracy carries a warning.
import { describe, expect, it } from 'vitest';
import { CATALOG, FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import type { Catalog } from '../../../src/core/hardware/types';
import { TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
import { DeviceEvaluator } from '../../../src/core/explore/devices';
import { select, type SelectionInput } from '../../../src/core/explore/select';
import { accuracyStandardError, withDensePoint, type Sweep } from '../../../src/core/explore/sweep';
import { efficiencyFor, type MeasuredDevice } from '../../../src/core/hardware/roofline';

// Like `hp-lab sweep` output: dense accuracy given once, no 0% row, 500 sentences.
const noZero: Sweep = {
  denseAccuracy: 0.76,
  sentences: 500,
  points: [
    { pattern: 'hp', sparsity: 0.484, split: 0.5, tile: { tr: 32, tc: 32 }, accuracy: 0.642 },
    { pattern: 'hp', sparsity: 0.784, split: 0.5, tile: { tr: 32, tc: 32 }, accuracy: 0.678 },
    { pattern: 'hp', sparsity: 0.948, split: 0.5, tile: { tr: 32, tc: 32 }, accuracy: 0.5 },
  ],
};
const fpgas: Catalog = {
  fpgas: FPGA_BOARDS.filter((b) => ['pynq-z2', 'zcu102', 'alveo-u250'].includes(b.id)),
  cpus: [],
  gpus: [],
};
const ev = new DeviceEvaluator(TINYBERT_4L_312D, 1, 128, { catalog: fpgas });
const base: SelectionInput = {
  config: TINYBERT_4L_312D,
  batch: 1,
  seq: 128,
  lcMs: 1000,
  ac: { kind: 'drop', value: 0.01 },
  objective: 'price',
  sweep: noZero,
  catalog: fpgas,
};
const run = (over: Partial<SelectionInput>) => select({ ...base, ...over }, ev);

describe('dense is always a candidate', () => {
  it('adds one dense point to a sweep without a 0% point, carrying the dense accuracy', () => {
    const { points, dense } = withDensePoint(noZero);
    expect(points.filter((p) => p.pattern === 'dense')).toEqual([
      { pattern: 'dense', sparsity: 0, accuracy: 0.76, label: 'dense', n: 500 },
    ]);
    expect(dense).toMatchObject({ accuracy: 0.76, n: 500 });
  });

  it("collapses per-series 0% rows into one dense point (mean, one row's n)", () => {
    const { points } = withDensePoint({
      points: [
        { pattern: 'dense', sparsity: 0, accuracy: 0.74, n: 200 },
        { pattern: 'dense', sparsity: 0, accuracy: 0.76, n: 200 },
        noZero.points[0],
      ],
    });
    expect(points.filter((p) => p.pattern === 'dense')).toEqual([
      { pattern: 'dense', sparsity: 0, accuracy: 0.75, label: 'dense', n: 200 },
    ]);
  });

  it('with AC drop 1 point and no pruned point within it, dense on a fast board is chosen', () => {
    const lat = ev.evaluate(
      ev.devices.find((d) => d.id === 'alveo-u250')!,
      withDensePointConfig(),
    ).latencyMs;
    const r = run({ lcMs: lat * 1.05 });
    expect(r.choice?.config).toBe('dense');
    expect(r.choice?.deviceId).toBe('alveo-u250');
    expect(r.reasons.join(' ')).toMatch(/dense model itself/);
  });

  it("the dense accuracy the page shows (whole dev split) is the one AC uses, not the sweep's", () => {
    const r = run({ ac: { kind: 'drop', value: 0.01 }, denseAccuracy: { accuracy: 0.7, n: 500, source: 'dev split' } });
    expect(r.accuracyThreshold).toBeCloseTo(0.69, 12);
    expect(r.denseReference?.source).toBe('dev split');
    expect(r.candidates.filter((c) => c.config === 'dense').every((c) => c.accuracy === 0.7)).toBe(true);
  });
});

function withDensePointConfig() {
  return { pattern: 'dense' as const, density: 1, tr: 16, tc: 16, tileDensity: 1, vectorDensity: 1 };
}

describe('AC allows for measurement noise', () => {
  it('standard error is binomial: sqrt(p(1-p)/n)', () => {
    expect(accuracyStandardError(0.76, 500)).toBeCloseTo(Math.sqrt((0.76 * 0.24) / 500), 12);
    expect(accuracyStandardError(0.76, undefined)).toBeNull();
  });

  it('a point 0.5 SE above AC meets it with no margin and fails with a 1-SE margin', () => {
    const se = accuracyStandardError(0.678, 500)!;
    const threshold = 0.678 - se / 2;
    const loose = run({ ac: { kind: 'min', value: threshold } });
    expect(loose.candidates.some((c) => c.config.startsWith('hp 78.4') && c.acOk)).toBe(true);
    expect(loose.warnings.join(' ')).toMatch(/less than one standard error/);
    const strict = run({ ac: { kind: 'min', value: threshold }, acMarginSe: 1 });
    expect(strict.candidates.some((c) => c.config.startsWith('hp 78.4') && c.acOk)).toBe(false);
    expect(strict.candidates.find((c) => c.config.startsWith('hp 78.4'))!.accuracySe).toBeCloseTo(se, 12);
  });

  it('refuses a margin outside 0-10 standard errors', () => {
    expect(() => run({ acMarginSe: -1 })).toThrow(/margin/);
  });
});

describe('warnings', () => {
  it('no AC and a chance-level pick: says so', () => {
    const r = run({ ac: { kind: 'none' }, lcMs: 1000 });
    expect(r.choice?.accuracy).toBe(0.5);
    expect(r.warnings.join(' ')).toMatch(/at chance \(50\.00% for 2 classes\)/);
  });

  it('no AC and no sweep: the accuracy is unknown, and the warning says so', () => {
    const r = run({ ac: { kind: 'none' }, sweep: null, lcMs: 1000 });
    expect(r.choice?.accuracy).toBeNull();
    expect(r.warnings.join(' ')).toMatch(/no measured accuracy/);
  });

  it('an AC pick well inside the constraint carries no warning', () => {
    expect(run({ ac: { kind: 'drop', value: 0.01 } }).warnings).toEqual([]);
  });
});

describe('software adapters never carry an efficiency to hardware', () => {
  const measuredGpu = (label: string, software?: boolean): MeasuredDevice => ({
    kind: 'gpu',
    label,
    denseGflops: 0.3,
    peakGflops: 100,
    sparse: [{ density: 0.2, gflops: 0.9, pattern: 'hp' }],
    ...(software ? { software } : {}),
  });

  it('a fallback adapter (SwiftShader) leaves every catalog GPU at the default efficiency', () => {
    const plain = new DeviceEvaluator(TINYBERT_4L_312D, 1, 128);
    for (const m of [measuredGpu('google swiftshader', true), measuredGpu('some adapter', true)]) {
      const withSw = new DeviceEvaluator(TINYBERT_4L_312D, 1, 128, { measured: [m] });
      expect(withSw.efficiency('gpu').dense).toBe(plain.efficiency('gpu').dense);
      expect(withSw.efficiency('gpu').origin).toMatch(/software adapter, not carried/);
      for (const g of CATALOG.gpus) {
        const d = withSw.devices.find((x) => x.id === g.id)!;
        expect(withSw.evaluate(d, withDensePointConfig()).latencyMs).toBe(
          plain.evaluate(
            plain.devices.find((x) => x.id === g.id)!,
            withDensePointConfig(),
          ).latencyMs,
        );
      }
    }
  });

  it('a hardware GPU measurement is carried', () => {
    const e = efficiencyFor('gpu', { ...measuredGpu('NVIDIA GeForce RTX 3060'), denseGflops: 30 }, undefined);
    expect(e.dense).toBeCloseTo(0.3, 9);
    expect(e.origin).toMatch(/carried from measured NVIDIA/);
  });
});
