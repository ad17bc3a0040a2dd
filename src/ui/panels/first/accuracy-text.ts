// How an accuracy is written on the first screen: a quick subset always with its error bar, so
// a 100-sentence estimate never reads as exact.
import { accuracyStandardError } from '../../../core/explore/sweep';

/** Sentences in the quick estimate: a fixed sample of the dev split, stratified by label and
 *  length (core/data/quick-sample.ts), so its accuracy estimates the split's without bias. */
export const QUICK_SENTENCES = 48;
/** Sentences per onnxruntime run in the quick estimate: a fresh session runs small batches
 *  cheaper than batches of 32 (less memory to grow, the first ones slow at any size). */
export const QUICK_BATCH = 8;

/** What a quick figure measured, e.g. "a 64-sentence sample of the dev split". */
export const quickScope = (n: number) => `a ${n}-sentence sample of the dev split`;

export interface Measured {
  accuracy: number;
  n: number;
}

/** "76.0%" and "± 8.4 pts" (half-width of the 95% interval, binomial standard error x 1.96). */
export function withErrorBar(m: Measured): { value: string; error: string } {
  const se = accuracyStandardError(m.accuracy, m.n);
  return { value: `${(m.accuracy * 100).toFixed(1)}%`, error: se === null ? '' : `± ${(196 * se).toFixed(1)} pts` };
}
