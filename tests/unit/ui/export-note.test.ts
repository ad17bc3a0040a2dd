import { describe, expect, it } from 'vitest';
import { exportSizeNote } from '../../../src/ui/panels/pruning/export-note';
import type { PruneReport } from '../../../src/core/pruning';

const sizes = (dense: number, hp: number | null) => ({ dense, coo: dense, csr: dense, bcsr: dense, hp });
const report = (hp: number | null) =>
  ({
    matrices: new Array(24),
    totalBytes: { f32: sizes(16 * 2 ** 20, hp), f16: sizes(8 * 2 ** 20, hp === null ? null : hp / 2) },
  }) as unknown as PruneReport;

describe('download note: pruned ONNX vs .hpw', () => {
  it('says the ONNX keeps the zeros and gives the .hpw size for HP patterns', () => {
    const note = exportSizeNote(report(3 * 2 ** 20), 29.1 * 2 ** 20, true);
    expect(note).toMatch(/as large as the dense model \(29\.1 MB\)/);
    expect(note).toMatch(
      new RegExp(
        '\\.hpw stores only the kept weights.*24 pruned matrices take 3\\.0 MB in f32 ' +
          '\\(1\\.5 MB in f16\\) instead of 16\\.0 MB dense',
      ),
    );
  });
  it('points to the HP-structured patterns otherwise', () => {
    expect(exportSizeNote(report(null), 2 ** 20, false)).toMatch(/\.hpw, for the HP-structured patterns/);
  });
});
