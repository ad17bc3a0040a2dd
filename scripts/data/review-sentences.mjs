// The 1,500 full Pang & Lee reviews (python3-pattern's polarity-en-pang&lee1.csv, fetched by
// scripts/data/fetch.sh) cut into their sentences (one per line in the corpus) as unlabelled
// calibration text for layer-wise reconstruction: same domain as the evaluation sentences, never
// evaluated on. Sentences that equal or contain a dev/test sentence are dropped; the rest are
// shuffled with a fixed seed. Labels are the review's, kept only because the JSONL reader wants one.
// Not core/data/review-sentences.ts (the distillation text's rule), on purpose: that rule must stay
// the retraining study's (scripts/train/distill.py: whole reviews split at ' . ', 4-60 words, only
// exact dev/test sentences dropped); this file reads one sentence per line, keeps labels, drops
// sentences that merely contain a dev/test one too (calibration text must not overlap evaluation
// at all), and runs under plain Node from fetch.sh, which cannot import TypeScript.
// Usage: node scripts/data/review-sentences.mjs <corpora dir> <out.jsonl> [public/data]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCsv } from './csv.mjs';
import { rng, shuffle } from './seeded.mjs';

const [corpora, out, data = 'public/data'] = process.argv.slice(2);
if (!corpora || !out)
  throw new Error('usage: node scripts/data/review-sentences.mjs <corpora dir> <out.jsonl> [data dir]');
const held = ['dev', 'test'].flatMap((s) =>
  readFileSync(join(data, `${s}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).text),
);
const rows = parseCsv(readFileSync(join(corpora, 'polarity-en-pang&lee1.csv'), 'utf8')).filter((r) => r.length === 2);
const seen = new Set();
const sentences = [];
let dropped = 0;
for (const [label, text] of rows) {
  for (const line of text.split('\n')) {
    const s = line.replace(/\s+/g, ' ').trim();
    if (s.split(' ').length < 4 || seen.has(s)) continue;
    seen.add(s);
    if (held.some((h) => s.includes(h) || h.includes(s))) {
      dropped++;
      continue;
    }
    sentences.push({ text: s, label: label === '1' ? 1 : 0 });
  }
}
const shuffled = shuffle(sentences, rng(20211010));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, shuffled.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(JSON.stringify({ reviews: rows.length, sentences: sentences.length, droppedAsEvaluation: dropped }));
