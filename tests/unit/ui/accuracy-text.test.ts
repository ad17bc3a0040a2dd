import { describe, expect, it } from 'vitest';
import { withErrorBar } from '../../../src/ui/panels/first/accuracy-text';

describe('accuracy with its error bar', () => {
  it('writes the 95% half-width of the binomial interval', () => {
    expect(withErrorBar({ accuracy: 0.76, n: 100 })).toEqual({ value: '76.0%', error: '± 8.4 pts' });
    expect(withErrorBar({ accuracy: 0.76, n: 500 }).error).toBe('± 3.7 pts');
    expect(withErrorBar({ accuracy: 0.5, n: 0 }).error).toBe('');
  });
});
