import { describe, expect, it } from 'vitest';
import { denseAccuracyOf, parseSweep, sparsityOf, SweepFormatError } from '../../../src/core/explore/sweep';

describe('sweep files', () => {
  it('reads `hp-lab sweep` output (rows + base config)', () => {
    const s = parseSweep({
      model: 'm.onnx',
      denseAccuracy: 0.86,
      config: { pattern: 'hp', sparsity: 0.5, split: 0.25, tr: 32, tc: 16, score: 'magnitude' },
      rows: [
        { series: 'hp', targetSparsity: 0.5, achievedSparsity: 0.4987, accuracy: 0.85 },
        { series: '2:4', targetSparsity: 0.5, achievedSparsity: 0.5, accuracy: 0.84 },
        { series: 'tile', targetSparsity: 0, achievedSparsity: 0, accuracy: 0.86 },
      ],
    });
    expect(s.points[0]).toMatchObject({ pattern: 'hp', sparsity: 0.4987, split: 0.25, tile: { tr: 32, tc: 16 } });
    expect(s.points[1]).toMatchObject({ pattern: 'nm', nm: { n: 2, m: 4 }, label: '2:4' });
    expect(s.points[2].pattern).toBe('dense');
    expect(denseAccuracyOf(s)).toBe(0.86);
  });

  it('reads the app store shape and its own point list', () => {
    const app = parseSweep({
      base: { tr: 16, tc: 16, split: 0.5 },
      rows: [{ series: 'vector', targetSparsity: 0, achievedSparsity: 0, accuracy: 0.8 }],
    });
    expect(denseAccuracyOf(app)).toBe(0.8);
    const own = parseSweep([{ pattern: 'tile', sparsity: 0.6, accuracy: 0.7, tile: { tr: 8, tc: 8 } }]);
    expect(sparsityOf(own.points[0])).toMatchObject({
      pattern: 'tile',
      tr: 8,
      tc: 8,
      tileDensity: 0.4,
      vectorDensity: 1,
    });
  });

  it('keeps recovered points (hp-lab sweep --recover, app rows with recovery) beside one-shot ones', () => {
    const cli = parseSweep({
      config: { tr: 32, tc: 32, split: 0.5 },
      rows: [{ series: 'hp', targetSparsity: 0.8, achievedSparsity: 0.784, accuracy: 0.51, recoveredAccuracy: 0.76 }],
    });
    expect(cli.points).toEqual([
      expect.objectContaining({ pattern: 'hp', sparsity: 0.784, accuracy: 0.51, label: 'hp' }),
      expect.objectContaining({ pattern: 'hp', sparsity: 0.784, accuracy: 0.76, label: 'hp +lsq' }),
    ]);
    const app = parseSweep({
      base: { tr: 32, tc: 32 },
      rows: [{ series: 'tile', achievedSparsity: 0.8, accuracy: 0.7, recovery: 'lsq' }],
    });
    expect(app.points).toEqual([expect.objectContaining({ pattern: 'tile', accuracy: 0.7, label: 'tile +lsq' })]);
    const appDense = parseSweep({
      base: { tr: 32, tc: 32 },
      rows: [
        { series: 'hp', achievedSparsity: 0.8, accuracy: 0.5 },
        { series: 'hp', achievedSparsity: 0.8, accuracy: 0.81, recovery: 'lsq-dense' },
      ],
    });
    expect(appDense.points.map((p) => p.label)).toEqual(['hp', 'hp +lsq-dense']);
    expect(() =>
      parseSweep({ rows: [{ series: 'hp', achievedSparsity: 0.8, accuracy: 0.5, recovery: 'magic' }] }),
    ).toThrow(/unknown recovery 'magic'/);
    expect(() =>
      parseSweep({ rows: [{ series: 'hp', achievedSparsity: 0.8, accuracy: 0.5, recoveredAccuracy: 2 }] }),
    ).toThrow(/recoveredAccuracy/);
    const dense = parseSweep({
      recovery: { kind: 'lsq-dense' },
      rows: [{ series: 'hp', achievedSparsity: 0.8, accuracy: 0.5, recoveredAccuracy: 0.81 }],
    });
    expect(dense.points[1].label).toBe('hp +lsq-dense');
  });

  it('splits HP density between the levels in log space', () => {
    const c = sparsityOf({ pattern: 'hp', sparsity: 0.75, split: 0.5, accuracy: 0.8 });
    expect(c.tileDensity).toBeCloseTo(0.5, 12);
    expect(c.vectorDensity).toBeCloseTo(0.5, 12);
    expect(
      sparsityOf({ pattern: 'hp', sparsity: 0.75, keep: { tile: 0.25, vector: 1 }, accuracy: 0.8 }).tileDensity,
    ).toBe(0.25);
  });

  it('rejects garbage with the offending path', () => {
    expect(() => parseSweep(42)).toThrow(SweepFormatError);
    expect(() => parseSweep({ rows: [] })).toThrow(/no points/);
    expect(() => parseSweep({ rows: [{ series: 'zig', achievedSparsity: 0.5, accuracy: 0.8 }] })).toThrow(
      /rows\[0\].*zig/,
    );
    expect(() => parseSweep([{ pattern: 'hp', sparsity: 0.5, accuracy: 80 }])).toThrow(/points\[0\].*accuracy/);
    expect(() => parseSweep([{ pattern: 'hp', sparsity: 1, accuracy: 0.5 }])).toThrow(/keeps nothing/);
  });
});
