import { describe, expect, it } from 'vitest';
import { aboveDensityBound, speedupNote } from '../../../src/ui/panels/gpu/speedup-note';

describe('kernel speedups above the density bound are explained', () => {
  const cases = [
    { name: 'attention', density: 0.2, speedup: 7.3 }, // bound 5x: above
    { name: 'FFN in', density: 0.2, speedup: 4.1 },
    { name: 'FFN out', density: 0.5, speedup: 2.05 }, // within 5% of the 2x bound
  ];
  it('finds only the cases above 1/density', () => {
    expect(aboveDensityBound(cases).map((c) => c.name)).toEqual(['attention']);
  });
  it('names the software adapter and the timing resolution', () => {
    const note = speedupNote(cases, { software: true, timestampQuery: false })!;
    expect(note).toMatch(/attention 7\.3× \(bound 5\.0×\)/);
    expect(note).toMatch(/software adapter/);
    expect(note).toMatch(/wall clock/);
    expect(note).toMatch(/slower with HP/);
  });
  it('says nothing when every speedup is within the bound', () => {
    expect(speedupNote(cases.slice(1), { software: true, timestampQuery: true })).toBeNull();
  });
});
