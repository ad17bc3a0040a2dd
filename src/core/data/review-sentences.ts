// Unlabelled sentences for distillation from full reviews (pre-tokenised text as in the Pang & Lee
// corpora: ' . ' ends a sentence): split, keep 4-60 words, drop duplicates and every sentence of
// the evaluation sets (`exclude`, the dev and test texts), in first-seen order. The same rule as
// the retraining study's review_sentences (scripts/train/distill.py), which is why the calibration
// text (scripts/data/review-sentences.mjs: one sentence a line, labelled, substring-level
// exclusion) keeps its own stricter rule rather than this one.
const SENTENCE_END = /(?<= [.!?]) /;

export interface SentenceRule {
  minWords: number;
  maxWords: number;
}

export const REVIEW_SENTENCE_RULE: SentenceRule = { minWords: 4, maxWords: 60 };

export function reviewSentences(
  reviews: Iterable<string>,
  exclude: Iterable<string>,
  rule: SentenceRule = REVIEW_SENTENCE_RULE,
): string[] {
  const seen = new Set(exclude);
  const out: string[] = [];
  for (const text of reviews) {
    for (const part of text.split(SENTENCE_END)) {
      const s = part.trim();
      const words = s === '' ? 0 : s.split(/\s+/).length;
      if (words >= rule.minWords && words <= rule.maxWords && !seen.has(s)) {
        seen.add(s);
        out.push(s);
      }
    }
  }
  return out;
}
