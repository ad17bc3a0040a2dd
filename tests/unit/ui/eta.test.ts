import { describe, expect, it } from 'vitest';
import { etaSeconds, etaText } from '../../../src/ui/components/eta';

describe('progress ETA', () => {
  it('extrapolates the elapsed time linearly', () => {
    expect(etaSeconds(4000, 0.25)).toBeCloseTo(12, 10);
    expect(etaText(4000, 0.25)).toBe('about 12 s left');
    expect(etaText(60_000, 0.25)).toBe('about 3 min left');
    expect(etaText(2000, 0.999)).toBe('under a second left');
  });
  it('says nothing before a second of progress, at 0 or at the end', () => {
    expect(etaText(500, 0.5)).toBe('');
    expect(etaText(5000, 0)).toBe('');
    expect(etaText(5000, 1)).toBe('');
  });
});
