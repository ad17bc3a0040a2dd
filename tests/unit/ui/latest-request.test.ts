// The panels' debounced model runs: one request per pause, and only the latest answer shown.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatestRequest } from '../../../src/ui/stores/latest-request';

function recorder() {
  const events: string[] = [];
  return {
    events,
    on: {
      busy: (b: boolean) => events.push(`busy ${b}`),
      value: (v: string) => events.push(`value ${v}`),
      error: (m: string) => events.push(`error ${m}`),
    },
  };
}

describe('LatestRequest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs after the pause; a cancelled schedule (the next input) never runs', async () => {
    const latest = new LatestRequest();
    const { events, on } = recorder();
    const run = vi.fn(async () => 'a');
    const cancel = latest.schedule(run, on);
    cancel();
    latest.schedule(async () => 'b', on);
    await vi.advanceTimersByTimeAsync(199);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(run).not.toHaveBeenCalled();
    expect(events).toEqual(['busy true', 'value b', 'error ', 'busy false']);
  });

  it('drops a stale answer: an older request that ends last is not shown, nor its error', async () => {
    const latest = new LatestRequest();
    const { events, on } = recorder();
    let finishOld!: (v: string) => void;
    latest.schedule(() => new Promise<string>((r) => (finishOld = r)), on, 0);
    await vi.advanceTimersByTimeAsync(0);
    latest.schedule(async () => 'new', on, 0);
    await vi.advanceTimersByTimeAsync(0);
    finishOld('old');
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['busy true', 'busy true', 'value new', 'error ', 'busy false']);

    latest.schedule(() => Promise.reject(new Error('bad input')), on, 0);
    latest.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.slice(5)).toEqual(['busy true']);
  });
});
