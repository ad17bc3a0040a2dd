// The CLI's help where it names a registry's entries: every int8 kernel variant `hp-lab bench`
// accepts appears in its help, and the wrapped lines keep every word within the width.
import { describe, expect, test } from 'vitest';
import { wrapHelp } from '../../src/cli/help-text';
import { usage } from '../../src/cli/commands/bench';
import { HP_INT8_VARIANTS, INT8_MATRIX, INT8_VARIANTS } from '../../src/gpu/kernels/int8-linear';

describe('wrapHelp', () => {
  test('breaks at spaces within the width, every word kept in order', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
    const out = wrapHelp(text, '  ', 20);
    const lines = out.split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(line.startsWith('  ')).toBe(true);
      expect(line.length).toBeLessThanOrEqual(20);
    }
    expect(out.split(/\s+/).filter(Boolean).join(' ')).toBe(text);
  });

  test('a word longer than the width gets its own line', () => {
    expect(wrapHelp('a averyveryverylongword b', '', 8).split('\n')).toEqual(['a', 'averyveryverylongword', 'b']);
  });
});

describe('hp-lab bench --help', () => {
  test('names every int8 variant that --tile and --variant accept', () => {
    const names = usage.split(/[\s,.;()]+/);
    for (const v of [...INT8_VARIANTS, INT8_MATRIX, ...HP_INT8_VARIANTS]) expect(names).toContain(v);
  });
});
