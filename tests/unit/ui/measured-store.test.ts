import { describe, expect, it } from 'vitest';
import {
  decodeMeasurements,
  encodeMeasurements,
  loadMeasurements,
  MEASURED_KEY,
  saveMeasurements,
} from '../../../src/ui/stores/measured-store';

const gpu = [{ tokens: 128, in: 312, out: 312, density: 0.2, denseGflops: 40, hpGflops: 25 }];
const cpu = [
  {
    name: 'attention',
    tokens: 32,
    in: 312,
    out: 312,
    density: 0.2,
    denseMs: 3,
    hpMs: 1,
    denseGflops: 2,
    hpGflops: 1.5,
    hpDenseEquivalentGflops: 6,
    speedup: 3,
    reps: 5,
  },
];

describe('measurements kept across a reload', () => {
  it('round-trips through storage', () => {
    const mem = new Map<string, string>();
    const storage = {
      getItem: (k: string) => mem.get(k) ?? null,
      setItem: (k: string, v: string) => void mem.set(k, v),
    };
    expect(loadMeasurements(storage)).toBeNull();
    saveMeasurements(
      {
        cpu,
        cpuEncoder: { batch: 1, seq: 64, ms: 40 },
        gpu,
        gpuEncoder: undefined,
        gpuLabel: 'SwiftShader',
        gpuSoftware: true,
      },
      storage,
    );
    expect(mem.has(MEASURED_KEY)).toBe(true);
    const back = loadMeasurements(storage)!;
    expect(back).toMatchObject({
      cpu,
      gpu,
      cpuEncoder: { batch: 1, seq: 64, ms: 40 },
      gpuLabel: 'SwiftShader',
      gpuSoftware: true,
    });
    expect(back.savedAt).toBeGreaterThan(0);
  });

  it('drops malformed parts and returns null when nothing is usable', () => {
    expect(decodeMeasurements('not json')).toBeNull();
    expect(decodeMeasurements('{}')).toBeNull();
    expect(
      decodeMeasurements(
        encodeMeasurements({
          cpu: [{ ...cpu[0], speedup: -1 }],
          gpu: null,
          cpuEncoder: undefined,
          gpuEncoder: undefined,
        }),
      ),
    ).toBeNull();
    const partial = decodeMeasurements(
      JSON.stringify({ cpu: 'x', gpu, gpuEncoder: { batch: 1, seq: 'long', ms: 3 } }),
    )!;
    expect(partial.cpu).toBeNull();
    expect(partial.gpu).toEqual(gpu);
    expect(partial.gpuEncoder).toBeUndefined();
  });

  it('survives blocked storage', () => {
    const blocked = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadMeasurements(blocked)).toBeNull();
    expect(() =>
      saveMeasurements({ cpu, gpu: null, cpuEncoder: undefined, gpuEncoder: undefined }, blocked),
    ).not.toThrow();
  });
});
