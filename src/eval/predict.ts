// One sentence through a classifier: the predicted class and the softmax confidence. Used by the
// page's try-a-sentence box (dense and pruned side by side) and testable in Node.
import type { BertTokenizer } from '../core/model/tokenizer';
import type { BertSession } from './ort-session';

export interface Prediction {
  label: number;
  /** Softmax probability of every class. */
  probs: number[];
}

/** Softmax and argmax of one row of logits (max subtracted first: no overflow). */
export function predictionFromLogits(logits: ArrayLike<number>): Prediction {
  let best = 0;
  for (let c = 1; c < logits.length; c++) if (logits[c] > logits[best]) best = c;
  const exps = Array.from(logits, (x) => Math.exp(x - logits[best]));
  const sum = exps.reduce((a, b) => a + b, 0);
  return { label: best, probs: exps.map((e) => e / sum) };
}

export async function predictText(
  session: BertSession,
  tokenizer: BertTokenizer,
  text: string,
  maxLength = 128,
): Promise<Prediction> {
  const { logits, labels } = await session.run(tokenizer.pad([tokenizer.encode(text, maxLength)]));
  return predictionFromLogits(logits.subarray(0, labels));
}
