// Measured accuracy of the integer model (W8A8 or W16A16, core/quant) on a labelled dataset:
// quantize (calibrating static activation ranges on TRAIN sentences when asked), then the same
// accuracy loop as the f32 model. Shared by the CLI (`hp-lab eval --quant`) and the eval worker.
import type { Dataset } from '../core/data/dataset';
import type { HPMatrix } from '../core/formats/hp';
import type { BertModel } from '../core/model/bert-types';
import type { BertTokenizer } from '../core/model/tokenizer';
import { calibrationBatches } from '../core/pruning/calibration';
import {
  collectInputRanges,
  quantizeBert,
  quantSession,
  type ActivationQuant,
  type AttentionQuant,
  type Int8Scale,
  type QuantBits,
} from '../core/quant';
import { evaluateSession, type EvalOptions, type EvalResult } from '../eval/accuracy';

export interface QuantAccuracyOptions extends EvalOptions {
  bits: QuantBits;
  activations: ActivationQuant;
  /** 'int8': the attention in integer arithmetic too (core/quant int-attention.ts). */
  attention?: AttentionQuant;
  /** Dynamic activations: each token's scale over its row or the columns read (quantized-bert.ts). */
  scale?: Int8Scale;
  /** Static activations: TRAIN sentences to calibrate the input ranges on. */
  calibrationTexts?: string[];
  /** HP arrays of HP-pruned linears, by name: same result, less work. */
  hp?: Map<string, HPMatrix>;
  onPhase?: (phase: 'calibrating' | 'evaluating') => void;
}

export interface QuantAccuracy {
  result: EvalResult<'int8-cpu' | 'int16-cpu'>;
  /** Static: the calibrated largest |input| of each linear, by name. */
  ranges?: Record<string, number>;
  calibrationSentences: number;
}

export async function quantAccuracy(
  model: BertModel,
  tokenizer: BertTokenizer,
  data: Dataset,
  opts: QuantAccuracyOptions,
): Promise<QuantAccuracy> {
  let ranges: Record<string, number> | undefined;
  const texts = opts.calibrationTexts ?? [];
  if (opts.activations === 'static') {
    if (texts.length === 0)
      throw new RangeError('static activation quantization needs calibration sentences (from the train split)');
    opts.onPhase?.('calibrating');
    ranges = collectInputRanges(model, calibrationBatches(tokenizer, texts, opts.maxLength ?? 128), opts.onProgress);
  }
  const q = quantizeBert(
    model,
    { bits: opts.bits, activations: opts.activations, ranges, attention: opts.attention, scale: opts.scale },
    opts.hp,
  );
  opts.onPhase?.('evaluating');
  const result = await evaluateSession(quantSession(q), tokenizer, data, opts);
  return { result, ranges, calibrationSentences: opts.activations === 'static' ? texts.length : 0 };
}
