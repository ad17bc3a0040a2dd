// Layer-wise reconstruction time (core/recover) on the shipped model: all 24 matrices, per pattern
// and sparsity, with the app's recovery methods (src/lab/recovery-methods.ts), on the first N train
// sentences. Prints wall and process CPU seconds per run (CPU of every thread: with --threads N the
// calibration tokens are shared by N threads, as hp-lab --recover does; default the cores, <= 4),
// then the seconds per phase of each thread (core/recover/phases.ts; with HP_LAB_THREAD_CPU=1 in
// the environment, each thread's own CPU time).
// Usage: npx tsx scripts/bench/recover-bench.ts [--method lsq-dense] [--patterns hp,tile]
//        [--sparsity 0.8,0.9] [--calib N] [--threads N]
import { parseArgs } from 'node:util';
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { PruneSession } from '../../src/lab/prune-session';
import { recoveryConfig, type RecoveryMethodKind } from '../../src/lab/recovery-methods';
import { trainBatches } from '../../src/cli/calibration';
import type { Pattern, PruneConfig } from '../../src/core/pruning/types';
import { threadHelpers } from '../../src/cli/recover-threads';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/tinybert-rt.onnx' },
    method: { type: 'string', default: 'lsq-dense' },
    patterns: { type: 'string', default: 'hp' },
    sparsity: { type: 'string', default: '0.8' },
    calib: { type: 'string' },
    threads: { type: 'string' },
  },
});
const model = parseBertOnnx(new Uint8Array(await readFile(values.model!)));
const recovery = recoveryConfig(values.method as RecoveryMethodKind);
if (values.calib) recovery.sentences = Number(values.calib);
const batches = trainBatches(recovery.sentences);
const helpers = threadHelpers(values.threads ? Number(values.threads) : undefined);
console.log(
  `${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`,
);
for (const pattern of values.patterns!.split(',') as Pattern[]) {
  for (const sparsity of values.sparsity!.split(',').map(Number)) {
    const session = new PruneSession(model);
    const config: PruneConfig = { pattern, score: 'magnitude', tr: 32, tc: 32, sparsity, split: 0.5, recovery };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { summary } = await session.recover(config, batches, { helpers });
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${pattern} ${sparsity}: ${recovery.kind}, ${summary.sentences} sentences, ${summary.tokens} tokens, ` +
        `${1 + helpers.length} thread(s): ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
    );
    // Per thread, seconds (thread CPU under HP_LAB_THREAD_CPU=1, else wall; phases.ts).
    const fmt = (t: Record<string, number>) =>
      Object.entries(t)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
        .join(', ');
    console.log(`  run: ${fmt(summary.phases.run)}`);
    summary.phases.shards.forEach((t, i) => console.log(`  shard ${i}: ${fmt(t)}`));
  }
}
