// Crafted datasets (issue 18): labels are class numbers in range with the line in the error, the
// bytes are decoded by one set of rules (CLI and page both call parseDatasetBytes), and size is
// capped before any work.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { MAX_LABEL, parseDataset, parseDatasetBytes } from '../../../src/core/data/dataset';
import { MAX_DATASET_BYTES, checkDatasetSize, decodeDatasetBytes } from '../../../src/core/data/dataset-text';
import { BertTokenizer, MAX_CHARS_PER_TOKEN } from '../../../src/core/model/tokenizer';
import { ModelLoadError } from '../../../src/core/model/model-error';

const utf8 = (s: string) => new TextEncoder().encode(s);
const lines = '{"text":"good film","label":1}\n\n{"text":"bad film","label":0}\n';

describe('labels', () => {
  for (const raw of [
    '4294967296',
    '2147483648',
    '1e300',
    '-1',
    '0.5',
    '"0x1"',
    '"1e0"',
    '""',
    'null',
    'true',
    `${MAX_LABEL + 1}`,
  ]) {
    test(`label ${raw} is refused with its line`, () => {
      const src = `${lines}{"text":"odd","label":${raw}}\n`;
      expect(() => parseDataset(src, 'd.jsonl')).toThrow(/^Line 4 has label .*labels must be class numbers/);
    });
  }
  test('digits as strings and small integers are fine', () => {
    expect(Array.from(parseDataset('{"text":"a","label":"2"}\n{"text":"b","label":0}', 'd.jsonl').labels)).toEqual([
      2, 0,
    ]);
  });
  test('CSV labels are checked the same way', () => {
    expect(() => parseDataset('text,label\na,1\nb,0x1\n', 'd.csv')).toThrow(/Row 3 has label '0x1'/);
    expect(() => parseDataset('text,label\na,1\nb,4294967296\n', 'd.csv')).toThrow(/Row 3/);
  });
});

describe('encodings: one rule set for the CLI and the page', () => {
  const want = parseDataset(lines, 'd.jsonl');
  test('a UTF-8 byte-order mark is dropped (bytes, and text that kept it)', () => {
    expect(parseDatasetBytes(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8(lines)]), 'd.jsonl')).toEqual(want);
    expect(parseDataset('\ufeff' + lines, 'd.jsonl')).toEqual(want);
  });
  test('UTF-16 LE and BE with their mark are decoded', () => {
    const le = new Uint8Array(2 + 2 * lines.length);
    const be = new Uint8Array(2 + 2 * lines.length);
    le.set([0xff, 0xfe]);
    be.set([0xfe, 0xff]);
    for (let i = 0; i < lines.length; i++) {
      new DataView(le.buffer).setUint16(2 + 2 * i, lines.charCodeAt(i), true);
      new DataView(be.buffer).setUint16(2 + 2 * i, lines.charCodeAt(i), false);
    }
    expect(parseDatasetBytes(le, 'd.jsonl')).toEqual(want);
    expect(parseDatasetBytes(be, 'd.jsonl')).toEqual(want);
  });
  test('Latin-1 (invalid UTF-8) is refused with the line, not read with replacement characters', () => {
    const latin1 = Uint8Array.from([
      ...utf8('{"text":"fine","label":1}\n{"text":"caf'),
      0xe9,
      ...utf8('","label":0}\n'),
    ]);
    expect(() => parseDatasetBytes(latin1, 'd.jsonl')).toThrow(ModelLoadError);
    expect(() => parseDatasetBytes(latin1, 'd.jsonl')).toThrow(/d\.jsonl is not UTF-8 text: byte 39 \(line 2\)/);
  });
  test('a multi-byte character split nowhere is fine', () => {
    expect(parseDatasetBytes(utf8('{"text":"café ☕ 🎬","label":1}'), 'd.jsonl').texts).toEqual(['café ☕ 🎬']);
  });
});

describe('size', () => {
  test('files over the cap are refused before decoding', () => {
    expect(() => checkDatasetSize(MAX_DATASET_BYTES + 1, 'big.jsonl')).toThrow(
      /big\.jsonl is 64\.0 MB; datasets are limited to 64 MB/,
    );
    expect(() => decodeDatasetBytes(new Uint8Array(MAX_DATASET_BYTES + 1))).toThrow(/limited to 64 MB/);
  });

  test('a 10 MB sentence is cut by characters before tokenising (same tokens as the cut text)', () => {
    const tok = BertTokenizer.fromJson(JSON.parse(readFileSync('public/tokenizer/tokenizer.json', 'utf8')));
    const long = 'a wonderful film . '.repeat(550_000); // ~10 MB
    const t0 = performance.now();
    const ids = tok.encode(long, 64);
    const ms = performance.now() - t0;
    expect(ids).toEqual(tok.encode(long.slice(0, 64 * MAX_CHARS_PER_TOKEN), 64));
    expect(ids).toHaveLength(64);
    expect(ms).toBeLessThan(10_000); // was 46 s: the whole line was tokenised, then cut
  });
});
