// Input-feature norms for activation scores from the first TRAIN sentences (never dev or test:
// the evaluation data must stay unseen). hp-lab calibrate writes them; prune/sweep compute them
// when --score activation comes without --norms.
import { calibrationBatches, collectInputNorms, DEFAULT_CALIBRATION_SENTENCES } from '../core/pruning/calibration';
import type { BertModel } from '../core/model/bert-types';
import type { EncoderBatch } from '../core/model/reference-forward';
import type { PruneConfig } from '../core/pruning';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { PruneSession } from '../lab/prune-session';
import { manifestMaxLength, readDataset, readTokenizer } from '../eval/node-assets';
import { numberFlag } from './args';
import { CliError } from './cli-error';
import { threadHelpers } from './recover-threads';
import { inputFile } from './paths';

export const DEFAULT_CALIBRATION_DATA = 'public/data/train.jsonl';

/** Norms from the first `limit` sentences of `data`. */
export function calibrate(
  model: BertModel,
  data = DEFAULT_CALIBRATION_DATA,
  limit = DEFAULT_CALIBRATION_SENTENCES,
): Float32Array[] {
  return collectInputNorms(model, trainBatches(limit, data));
}

/** The first `limit` sentences of `data` as padded batches for the reference forward pass
 *  (activation norms, layer-wise reconstruction). */
export function trainBatches(limit: number, data = DEFAULT_CALIBRATION_DATA): EncoderBatch[] {
  if (/\b(dev|test)\.jsonl$/.test(data))
    throw new CliError(`refusing to calibrate on ${data}: use train sentences (evaluation data must stay unseen)`);
  const texts = readDataset(inputFile('calib-data', data)).texts.slice(0, limit);
  return calibrationBatches(readTokenizer(), texts, manifestMaxLength() ?? 128);
}

/** Reconstructs `config`'s kept weights in `session` (config.recovery set), progress on stderr;
 *  `threads` (--threads) shards the calibration tokens over that many threads. */
export async function recoverInSession(
  session: PruneSession,
  config: PruneConfig,
  data = DEFAULT_CALIBRATION_DATA,
  threads?: string,
): Promise<RecoverySummary & { cpuMs: number; threads: number }> {
  const cpu0 = process.cpuUsage();
  const batches = trainBatches(config.recovery!.sentences, data);
  const helpers = threadHelpers(threads === undefined ? undefined : numberFlag(threads, 'threads', 1, 1, 64, true));
  try {
    const { summary } = await session.recover(config, batches, {
      helpers,
      onProgress: (p) =>
        process.stderr.write(
          `\rrecover: ${p.done}/${p.total} matrices, ${(p.elapsedMs / 1000).toFixed(1)} s, ` +
            `ETA ${(p.etaMs / 1000).toFixed(1)} s${p.done === p.total ? '\n' : ''}`,
        ),
    });
    const cpu = process.cpuUsage(cpu0);
    // CPU time of every thread (process.cpuUsage counts the helpers too); summary.ms is wall time.
    const round = (t: Record<string, number>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
    const phases = { run: round(summary.phases.run), shards: summary.phases.shards.map(round) };
    return {
      ...summary,
      phases,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      threads: 1 + helpers.length,
    };
  } catch (err) {
    throw new CliError(`--recover: ${(err as Error).message}`);
  }
}
