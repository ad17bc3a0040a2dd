// A BertConfig from untrusted JSON (a CLI --model file, a stored record): every field a finite
// number of the right kind and range before any model of it is built. {"layers": 1e6} ran out
// of memory after minutes; {"hidden": -312} and a string field were merged unchecked.
import type { BertConfig } from './bert-types';
import { isJsonObject } from '../formats/json-depth';

/** [min, max, integer] per field: the range spans every BERT from BERT-tiny to BERT-large x2. */
const RANGES: Record<keyof BertConfig, [number, number, boolean]> = {
  layers: [1, 96, true],
  hidden: [1, 16384, true],
  heads: [1, 256, true],
  ffn: [1, 65536, true],
  vocab: [1, 1_000_000, true],
  maxPositions: [1, 65536, true],
  typeVocab: [1, 16, true],
  labels: [1, 1024, true],
  layerNormEps: [0, 1, false],
};

/** `json` merged over `defaults`, checked field by field; throws a RangeError saying which. */
export function checkBertConfig(json: unknown, defaults: BertConfig): BertConfig {
  if (!isJsonObject(json)) throw new RangeError('a model config must be a JSON object of BertConfig fields');
  const unknown = Object.keys(json).filter((k) => !(k in RANGES));
  if (unknown.length)
    throw new RangeError(
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${Object.keys(RANGES).join(', ')})`,
    );
  const config = { ...defaults };
  for (const [key, [min, max, integer]] of Object.entries(RANGES) as [keyof BertConfig, [number, number, boolean]][]) {
    if (!(key in json)) continue;
    const v = json[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new RangeError(
        `${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`,
      );
    }
    config[key] = v;
  }
  if (config.hidden % config.heads !== 0)
    throw new RangeError(`hidden (${config.hidden}) must be a multiple of heads (${config.heads})`);
  return config;
}
