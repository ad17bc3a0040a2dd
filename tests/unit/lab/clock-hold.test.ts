import { describe, expect, it } from 'vitest';
import { holdClock, HOLD_CLOCK_MS, isSteady } from '../../../src/lab/clock-hold';
import { EncoderExperiment } from '../../../src/lab/encoder-experiment';
import type { EncoderEngine, EncoderTiming } from '../../../src/gpu/encoder';

/** Chunk times following `times` (then repeating the last): a GPU clock ramping up. */
function ramp(times: number[]) {
  let i = 0;
  const chunk = async () => {
    await new Promise((r) => setTimeout(r, 1));
    return times[Math.min(i++, times.length - 1)];
  };
  return { chunk, calls: () => i };
}

/** An engine whose forward times follow `times`. */
function fakeEngine(times: number[]) {
  const r = ramp(times);
  const engine = { time: async () => ({ msMedian: await r.chunk() }) as EncoderTiming };
  return { engine: engine as unknown as EncoderEngine, calls: r.calls };
}

const experiment = (isFallbackAdapter = false) =>
  new EncoderExperiment({ caps: { isFallbackAdapter } } as never, {} as never);

describe('holding the GPU clock before a timing', () => {
  it('isSteady: the last three times within 2 %', () => {
    expect(isSteady([1, 1.01])).toBe(false);
    expect(isSteady([2, 1.01, 1, 1.015])).toBe(true);
    expect(isSteady([1, 1, 1.03])).toBe(false);
    expect(isSteady([1.1, 1.05, 1], 2, 0.06)).toBe(true);
  });

  it('runs past its minimum while the times still fall, and stops once they settle', async () => {
    const { chunk, calls } = ramp([2.2, 2.0, 1.6, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0]);
    const seen = await holdClock(chunk, 0);
    expect(seen).toEqual([2.2, 2.0, 1.6, 1.2, 1.0, 1.0, 1.0]);
    expect(calls()).toBe(7);
  });

  it('gives up a second past its minimum when the times never settle (a jittery software adapter)', async () => {
    const { chunk } = ramp(Array.from({ length: 10000 }, (_, i) => (i % 2 ? 1 : 1.5)));
    const t0 = performance.now();
    const seen = await holdClock(chunk, 20);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1020);
    expect(elapsed).toBeLessThan(4000);
    expect(seen.length).toBeGreaterThan(3);
  });

  it('the encoder spin-up runs the engine until its forward settles', async () => {
    const { engine, calls } = fakeEngine([1.4, 1.1, 1, 1, 1]);
    expect(await experiment().spinUp(engine, 32, 128, 0)).toEqual([1.4, 1.1, 1, 1, 1]);
    expect(calls()).toBe(5);
  });

  it('holds the clock before a page timing on a hardware GPU only', async () => {
    const hw = fakeEngine([1.5, 1.2, 1, 1, 1]);
    const t0 = performance.now();
    await experiment(false).holdClock(hw.engine, 1, 128);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(HOLD_CLOCK_MS - 1);
    expect(hw.calls()).toBeGreaterThan(3);
    const sw = fakeEngine([1]);
    await experiment(true).holdClock(sw.engine, 1, 128);
    expect(sw.calls()).toBe(0);
  });
});
