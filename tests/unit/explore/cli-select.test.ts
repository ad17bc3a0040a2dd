// hp-lab select from the command line: with AC drop:0.01 and an LC no pruned point meets, the
// dense model on a fast board is found (a sweep without a 0% row still offers dense).
import { expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../../src/cli/commands/select';

const dir = mkdtempSync(path.join(tmpdir(), 'hp-select-'));
// The shape `hp-lab sweep` prints: denseAccuracy once, rows of pruned points only (figures of
// BENCHMARKS.md's 32x32 HP row).
const sweepFile = path.join(dir, 'sweep.json');
writeFileSync(
  sweepFile,
  JSON.stringify({
    model: 'tinybert-rt.onnx',
    sentences: 500,
    denseAccuracy: 0.76,
    config: { pattern: 'hp', tr: 32, tc: 32, split: 0.5 },
    rows: [0.484, 0.709, 0.784, 0.896, 0.948].map((s, i) => ({
      series: 'hp',
      targetSparsity: [0.5, 0.7, 0.8, 0.9, 0.95][i],
      achievedSparsity: s,
      accuracy: [0.642, 0.66, 0.678, 0.5, 0.5][i],
    })),
  }),
);

type Out = {
  choice: { device: string; config: string; latencyMs: number } | null;
  warnings: string[];
  table: Array<{ device: string; feasible: boolean }>;
};

test('hp-lab select --lc 0.35 --ac drop:0.01 --sweep S finds dense on a fast board', async () => {
  const r = (await run(['--lc', '0.35', '--ac', 'drop:0.01', '--sweep', sweepFile])) as Out;
  expect(r.choice, 'a feasible device').not.toBeNull();
  expect(r.choice!.config).toBe('dense');
  expect(r.choice!.latencyMs).toBeLessThanOrEqual(0.35);
  expect(r.warnings).toEqual([]);
});

test('with no AC the chance-level pick is flagged, and the margin and dense flags are checked', async () => {
  const r = (await run(['--lc', '100', '--sweep', sweepFile])) as Out;
  expect(r.warnings.join(' ')).toMatch(/at chance/);
  await expect(run(['--lc', '1', '--sweep', sweepFile, '--ac-margin', '11'])).rejects.toThrow(/--ac-margin must be/);
  await expect(run(['--lc', '1', '--sweep', sweepFile, '--dense-accuracy', '76'])).rejects.toThrow(
    /--dense-accuracy must be a fraction/,
  );
  const d = (await run(['--lc', '100', '--ac', 'drop:0.01', '--sweep', sweepFile, '--dense-accuracy', '0.70:500'])) as {
    accuracyThreshold: number;
  };
  expect(d.accuracyThreshold).toBeCloseTo(0.69, 12);
});
