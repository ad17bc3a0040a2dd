// How an accuracy is written on the first screen: a quick subset always with its error bar, so
// a 100-sentence estimate never reads as exact.
import { accuracyStandardError } from '../../../core/explore/sweep';

/** Sentences in the quick estimate (the first ones of the dev split, a fixed subset): about 0.8 s
 *  of wasm on two idle cores, a ±9-point 95% interval at 83%. */
export const QUICK_SENTENCES = 64;

export interface Measured {
  accuracy: number;
  n: number;
}

/** "76.0%" and "± 8.4 pts" (half-width of the 95% interval, binomial standard error x 1.96). */
export function withErrorBar(m: Measured): { value: string; error: string } {
  const se = accuracyStandardError(m.accuracy, m.n);
  return { value: `${(m.accuracy * 100).toFixed(1)}%`, error: se === null ? '' : `± ${(196 * se).toFixed(1)} pts` };
}
