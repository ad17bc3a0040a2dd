// The numbers the first screen shows as soon as they exist: dense and pruned accuracy on a
// quick subset first (with its error bar), the whole dev split after; whether the pruned figures
// still answer the current sliders; and which pruned model the try-a-sentence box compares with.
import type { Measured } from '../panels/first/accuracy-text';

export const feedback = $state({
  dense: { quick: null as Measured | null, full: null as Measured | null },
  /** The dense quick estimate finished (or failed): pruning may start; before, it would halve
   *  the CPU the first number needs. */
  denseQuickDone: false,
  pruned: { quick: null as Measured | null, full: null as Measured | null },
  /** A control moved and the pruning worker has not answered it yet. */
  pruning: false,
  /** The pruned accuracy shown answers an older configuration. */
  accuracyStale: false,
  /** Bumped when the eval worker holds a new pruned model for single sentences. */
  variant: { version: 0, label: '' },
  /** Class names of the loaded model when known (the shipped model's manifest), and its tokens per sentence. */
  labels: null as string[] | null,
  maxLength: 128,
});
