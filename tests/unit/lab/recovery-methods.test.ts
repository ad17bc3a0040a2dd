// The recovery methods the page and the CLI share: one configuration per name, and the CLI's
// `--recover K` starts from the same one the prune panel and the sweep use.
import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../../src/cli/prune-flags';
import { RECOVERY_KINDS } from '../../../src/core/recover/recovery-config';
import {
  DEFAULT_RECOVERY_METHOD,
  RECOVERY_METHODS,
  isRecoveryMethod,
  recoveryConfig,
  recoveryMethod,
} from '../../../src/lab/recovery-methods';

describe('recovery methods', () => {
  it('offers every recovery kind but none, each standing for its own configuration', () => {
    expect(RECOVERY_METHODS.map((m) => m.kind)).toEqual(RECOVERY_KINDS.filter((k) => k !== 'none'));
    for (const m of RECOVERY_METHODS) {
      expect(m.config.kind).toBe(m.kind);
      expect(m.config.sentences).toBeGreaterThan(0);
      expect(m.label.length).toBeGreaterThan(0);
      expect(m.description).toMatch(/train sentences/);
    }
    expect(isRecoveryMethod(DEFAULT_RECOVERY_METHOD)).toBe(true);
    expect(isRecoveryMethod('none')).toBe(false);
    expect(() => recoveryMethod('sgd')).toThrow(/unknown recovery method 'sgd' \(one of lsq, lsq-dense\)/);
  });

  it('gives a fresh copy (a caller changing it changes no other)', () => {
    const a = recoveryConfig('lsq-dense');
    a.sentences = 1;
    expect(recoveryConfig('lsq-dense').sentences).toBe(recoveryMethod('lsq-dense').config.sentences);
    expect(recoveryMethod('lsq-dense').config.sentences).not.toBe(1);
  });

  it("is what the CLI's --recover K means unless its flags change a field", () => {
    for (const m of RECOVERY_METHODS) {
      expect(configFromFlags({ recover: m.kind }).recovery).toEqual(m.config);
      expect(configFromFlags({ recover: m.kind, calib: '8', damp: '0.5' }).recovery).toEqual({
        ...m.config,
        sentences: 8,
        damp: 0.5,
      });
    }
    expect(configFromFlags({}).recovery).toBeUndefined();
    // lsq-dense's residual targets can be switched off (the plain targets of earlier tables).
    expect(recoveryConfig('lsq-dense').residual).toBe(true);
    const { residual: _, ...plain } = recoveryConfig('lsq-dense');
    expect(configFromFlags({ recover: 'lsq-dense', 'residual-targets': 'off' }).recovery).toEqual(plain);
  });
});
