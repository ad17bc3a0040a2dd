// Input-feature norms for activation scores from the first TRAIN sentences (never dev or test:
// the evaluation data must stay unseen). hp-lab calibrate writes them; prune/sweep compute them
// when --score activation comes without --norms.
import { calibrationBatches, collectInputNorms, DEFAULT_CALIBRATION_SENTENCES } from '../core/pruning/calibration';
import type { BertModel } from '../core/model/bert-types';
import { manifestMaxLength, readDataset, readTokenizer } from '../eval/node-assets';
import { CliError } from './cli-error';

export const DEFAULT_CALIBRATION_DATA = 'public/data/train.jsonl';

/** Norms from the first `limit` sentences of `data`. */
export function calibrate(model: BertModel, data = DEFAULT_CALIBRATION_DATA, limit = DEFAULT_CALIBRATION_SENTENCES): Float32Array[] {
  if (/\b(dev|test)\.jsonl$/.test(data)) throw new CliError(`refusing to calibrate on ${data}: use train sentences (evaluation data must stay unseen)`);
  const texts = readDataset(data).texts.slice(0, limit);
  const batches = calibrationBatches(readTokenizer(), texts, manifestMaxLength() ?? 128);
  return collectInputNorms(model, batches);
}
