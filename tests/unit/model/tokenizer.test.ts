import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { BertTokenizer } from '../../../src/core/model/tokenizer';
import { ModelLoadError } from '../../../src/core/model/model-error';

const json = JSON.parse(readFileSync('public/tokenizer/tokenizer.json', 'utf8'));
const tok = BertTokenizer.fromJson(json);

describe('BertTokenizer over the shipped bert-base-uncased tokenizer.json', () => {
  test('lower-cases, splits punctuation, strips accents, uses WordPiece ids', () => {
    // Ids of bert-base-uncased: [CLS]=101, hello=7592, ","=1010, world=2088, "!"=999, [SEP]=102.
    expect(tok.encode('Hello, WORLD!')).toEqual([101, 7592, 1010, 2088, 999, 102]);
    expect(tok.encode('café')).toEqual(tok.encode('cafe'));
    expect(tok.vocabSize).toBe(30522);
  });

  test('truncates the word pieces and keeps [CLS] ... [SEP]', () => {
    const ids = tok.encode('one two three four five six seven', 5);
    expect(ids).toHaveLength(5);
    expect(ids[0]).toBe(101);
    expect(ids[4]).toBe(102);
    expect(ids.slice(1, 4)).toEqual(tok.encode('one two three').slice(1, 4));
  });

  test('batches pad to the longest sentence (or maxLength) with a matching mask', () => {
    const b = tok.encodeBatch(['a', 'hello there world'], { maxLength: 16 });
    expect([b.batch, b.seqLen]).toEqual([2, 5]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(b.inputIds.slice(3, 5), Number)).toEqual([0, 0]);
    expect(Array.from(b.tokenTypeIds, Number).every((v) => v === 0)).toBe(true);
    expect(tok.encodeBatch(['a'], { maxLength: 8, padding: 'max' }).seqLen).toBe(8);
  });
});

test('rejects a file that is not a BERT tokenizer.json', () => {
  expect(() => BertTokenizer.fromJson({ hello: 1 })).toThrow(ModelLoadError);
  const noCls = structuredClone(json);
  delete noCls.model.vocab['[CLS]'];
  noCls.added_tokens = noCls.added_tokens.filter((t: { content: string }) => t.content !== '[CLS]');
  try {
    BertTokenizer.fromJson(noCls);
    throw new Error('accepted a tokenizer without [CLS]');
  } catch (err) {
    expect((err as ModelLoadError).code).toBe('bad-tokenizer');
    expect((err as ModelLoadError).userMessage).toMatch(/\[CLS\]/);
  }
});
