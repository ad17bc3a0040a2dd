// Stored sweeps are checked on read (issue 18): what another app version, an extension or a hand
// edit left in IndexedDB is refused with a reason instead of breaking the sweep and device panels.
import { describe, expect, it } from 'vitest';
import { checkSweepRecord, skippedNotice } from '../../../src/ui/stores/sweep-db';

const base = { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 16, tc: 16, split: 0.5 };
const row = { series: 'hp', targetSparsity: 0.5, achievedSparsity: 0.49, accuracy: 0.7, n: 200 };
const good = { id: '1', createdAt: 1, model: 'm.onnx', base, rows: [row], complete: false };

describe('stored sweep records', () => {
  it('accepts a record the app wrote, with or without points', () => {
    expect(checkSweepRecord(good)).toBe(good);
    expect(checkSweepRecord({ ...good, rows: [] }).rows).toEqual([]);
    const recovered = { ...good, rows: [row, { ...row, recovery: 'lsq' }, { ...row, recovery: 'lsq-dense' }] };
    expect(checkSweepRecord(recovered)).toBe(recovered);
  });

  it.each([
    [null, /not an object/],
    [{ ...good, id: 5 }, /no id/],
    [{ ...good, createdAt: 'today' }, /no date/],
    [{ ...good, base: { ...base, pattern: 'zigzag' } }, /pruning configuration/],
    [{ ...good, base: null }, /pruning configuration/],
    [{ ...good, rows: null }, /no rows/],
    [{ ...good, rows: [{ ...row, accuracy: '0.7' }] }, /rows\[0\] is not a sweep row/],
    [{ ...good, rows: [row, { ...row, accuracy: 7 }] }, /accuracy/],
    [{ ...good, rows: [{ ...row, series: 'zigzag' }] }, /unknown series 'zigzag'/],
    [{ ...good, complete: 'yes' }, /completion/],
    [{ ...good, rows: [{ ...row, recovery: 'sgd' }] }, /unknown recovery 'sgd'/],
  ])('refuses %j', (record, reason) => {
    expect(() => checkSweepRecord(record)).toThrow(reason);
  });

  it('says how many were skipped and why the first was', () => {
    expect(skippedNotice({ records: [], skipped: 0 })).toBe('');
    expect(skippedNotice({ records: [], skipped: 1, firstProblem: 'x: no rows' })).toBe(
      '1 stored sweep could not be read and was skipped (x: no rows).',
    );
  });
});
