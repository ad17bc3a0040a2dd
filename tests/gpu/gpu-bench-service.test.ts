// "Measure my GPU" as the worker runs it (lab/GpuBenchService), on Dawn: cases measured and
// verified in order with progress; a device lost mid-run ends the run with the cases finished
// before it and the reason, and the next run gets a fresh device. (A case over the device's
// limits failing alone needs operands of gigabytes on the host: left to measure-dense-vs-hp's
// GpuLimitError check.)
import { describe, expect, it } from 'vitest';
import type { PruneConfig } from '../../src/core/pruning';
import { dawnGpu } from '../../src/gpu/node-gpu';
import { GpuBenchService } from '../../src/lab/gpu-bench-service';

const config: PruneConfig = { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 8, tc: 8, score: 'magnitude' };
const small = (name: string) => ({ name, tokens: 8, in: 64, out: 32 });

describe('GpuBenchService', () => {
  it('measures each case in order, verified, with progress', async () => {
    const service = new GpuBenchService(await dawnGpu());
    const labels: string[] = [];
    const r = await service.measure(
      { config, cases: [small('first'), small('last')], peer: false, budgetMs: 5 },
      (done, total, label) => labels.push(`${done}/${total} ${label}`),
    );
    expect(r.lost).toBeUndefined();
    expect(r.rows.map((row) => row.name)).toEqual(['first', 'last']);
    for (const row of r.rows) {
      expect(row.error).toBeUndefined();
      expect(row.result?.dense.verified).toBe(true);
      expect(row.result?.hp.verified).toBe(true);
    }
    expect(labels).toEqual([
      '0/2 first: pruning and timing dense vs HP',
      '1/2 last: pruning and timing dense vs HP',
      '2/2 done',
    ]);
    expect(r.adapter).not.toBe('');
  });

  it('a device lost mid-run keeps the finished cases and says why; the next run works', async () => {
    const service = new GpuBenchService(await dawnGpu());
    const r = await service.measure(
      { config, cases: [small('kept'), small('lost'), small('never')], peer: false, budgetMs: 5 },
      (_done, _total, label) => {
        if (label.startsWith('lost:')) void service.simulateLoss();
      },
    );
    expect(r.lost).toBeTruthy();
    expect(r.rows.map((row) => row.name)).toEqual(['kept']);
    expect(r.rows[0].result?.hp.verified).toBe(true);
    const again = await service.measure({ config, cases: [small('after')], peer: false, budgetMs: 5 });
    expect(again.lost).toBeUndefined();
    expect(again.rows[0].result?.dense.verified).toBe(true);
  });
});
