// Where the app's calibration sentences come from (TRAIN split only: calibrating on the
// evaluation split would leak it): activation-aware scores and the recovery both use it.
import type { CalibrationRequest } from '../../../workers/pruning.worker';

export const DEFAULT_CALIBRATION: CalibrationRequest = {
  tokenizerUrl: 'tokenizer/tokenizer.json',
  tokenizerConfigUrl: 'tokenizer/tokenizer_config.json',
  dataUrl: 'data/train.jsonl',
  sentences: 32,
  maxLength: 64,
};
