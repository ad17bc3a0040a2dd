// Reads the Pang & Lee corpora (python3-pattern's copies) and writes a seeded, label-balanced
// train/dev/test split of the 4,000 sentences as JSON lines, plus the 1,500 full reviews
// (for optional masked-LM pretraining only) into .data/train-carry/; the reviews' text, one per
// line, also as <out dir>/reviews.txt.gz (unlabelled distillation sentences for fine-tuning).
// Usage: node scripts/data/split.mjs <corpora dir> <out dir>
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from './csv.mjs';
import { rng, shuffle } from './seeded.mjs';

const SEED = 20211010;
const SIZES = { train: 3000, dev: 500, test: 500 };

function readCorpus(path) {
  return parseCsv(readFileSync(path, 'utf8'))
    .filter((r) => r.length > 1 || r[0] !== '')
    .map((r, i) => {
      if (r.length !== 2) throw new Error(`${path}: row ${i + 1} has ${r.length} fields, expected 2`);
      const label = { 1: 1, '-1': 0 }[r[0]];
      if (label === undefined) throw new Error(`${path}: row ${i + 1} has label ${JSON.stringify(r[0])}`);
      // The corpus is pre-tokenised and lower-cased; only collapse its trailing newline/spaces.
      const text = r[1].replace(/\s+/g, ' ').trim();
      if (!text) throw new Error(`${path}: row ${i + 1} is empty`);
      return { text, label };
    });
}

const [corpora, outDir] = process.argv.slice(2);
if (!corpora || !outDir) throw new Error('usage: node scripts/data/split.mjs <corpora dir> <out dir>');
const sentences = readCorpus(join(corpora, 'polarity-en-pang&lee2.csv'));
const reviews = readCorpus(join(corpora, 'polarity-en-pang&lee1.csv'));

// Drop exact duplicates (keeping the first) so no sentence sits in two splits.
const seen = new Set();
const unique = sentences.filter((s) => !seen.has(s.text) && seen.add(s.text));
const random = rng(SEED);
const byLabel = [0, 1].map((l) =>
  shuffle(
    unique.filter((s) => s.label === l),
    random,
  ),
);
const splits = {};
let offset = 0;
for (const [name, size] of Object.entries(SIZES)) {
  const half = size / 2;
  for (const group of byLabel)
    if (group.length < offset + half) throw new Error(`not enough label-${group[0].label} sentences for ${name}`);
  splits[name] = shuffle(
    byLabel.flatMap((g) => g.slice(offset, offset + half)),
    random,
  );
  offset += half;
}

mkdirSync(outDir, { recursive: true });
const jsonl = (rows) => rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n';
for (const [name, rows] of Object.entries(splits)) writeFileSync(join(outDir, `${name}.jsonl`), jsonl(rows));
// Labels dropped: fine-tuning distils on these sentences only (src/lab/unlabelled-reviews.ts).
const reviewsText = reviews.map((r) => r.text).join('\n') + '\n';
writeFileSync(join(outDir, 'reviews.txt.gz'), gzipSync(reviewsText, { level: 9 }));

// The training host gets the splits and the full reviews through a carried, git-ignored folder.
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const carry = join(root, '.data/train-carry');
mkdirSync(carry, { recursive: true });
for (const name of Object.keys(splits)) writeFileSync(join(carry, `${name}.jsonl`), jsonl(splits[name]));
writeFileSync(join(carry, 'reviews.jsonl'), jsonl(reviews));
console.log(
  JSON.stringify({
    sentences: sentences.length,
    duplicatesDropped: sentences.length - unique.length,
    reviews: reviews.length,
    splits: Object.fromEntries(
      Object.entries(splits).map(([k, v]) => [k, { n: v.length, positive: v.filter((r) => r.label).length }]),
    ),
  }),
);
