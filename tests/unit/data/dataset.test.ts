import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkLabels, parseCsv, parseDataset, parseJsonl, takeFirst } from '../../../src/core/data/dataset';
import { ModelLoadError, type ModelErrorCode } from '../../../src/core/model/model-error';

function code(fn: () => unknown): ModelErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return (err as ModelLoadError).code;
  }
  throw new Error('expected a ModelLoadError');
}

describe('datasets', () => {
  test('JSON Lines: the shipped dev split', () => {
    const d = parseDataset(readFileSync('public/data/dev.jsonl', 'utf8'), 'dev.jsonl');
    expect(d.texts.length).toBe(d.labels.length);
    expect(d.texts.length).toBeGreaterThan(100);
    expect(d.labelCount).toBe(2);
    expect(new Set(d.labels)).toEqual(new Set([0, 1]));
  });

  test('CSV with quotes, commas and newlines inside a field; label as text digits', () => {
    const d = parseCsv('label,text\n1,"good, really ""good"""\n0,"bad\nacross lines"\n');
    expect(d.texts).toEqual(['good, really "good"', 'bad\nacross lines']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
  });

  test('sniffs the format when the file name says nothing; column names are case-insensitive', () => {
    expect(parseDataset('{"sentence":"x","Label":1}\n').texts).toEqual(['x']);
    expect(parseDataset('Sentence,Label\nx,0\n').labels[0]).toBe(0);
    expect(parseJsonl('{"text":"a","label":0}\r\n\r\n{"text":"b","label":1}').texts).toEqual(['a', 'b']);
  });

  test('errors: empty, no text column, no label column, bad labels, bad JSON', () => {
    expect(code(() => parseDataset('', 'x.jsonl'))).toBe('bad-dataset');
    expect(code(() => parseDataset('label\n1\n', 'x.csv'))).toBe('bad-dataset');
    expect(() => parseJsonl('{"words":"a","label":0}')).toThrow(/no text column/);
    expect(() => parseJsonl('{"text":"a"}')).toThrow(/no label column/);
    expect(() => parseJsonl('{"text":"a","label":"positive"}')).toThrow(/labels must be class numbers/);
    expect(() => parseJsonl('{"text":"a","label":0.5}')).toThrow(/labels must be class numbers/);
    expect(() => parseJsonl('{"text":"a","label":0}\n{oops')).toThrow(/Line 2/);
    expect(() => parseJsonl('{"text":"","label":0}')).toThrow(/empty or missing text/);
  });

  test('labels must fit the model', () => {
    const d = parseJsonl('{"text":"a","label":0}\n{"text":"b","label":2}');
    expect(d.labelCount).toBe(3);
    expect(code(() => checkLabels(d, 2))).toBe('label-mismatch');
    expect(() => checkLabels(d, 3)).not.toThrow();
  });

  test('takeFirst', () => {
    const d = parseJsonl('{"text":"a","label":0}\n{"text":"b","label":1}\n{"text":"c","label":1}');
    expect(takeFirst(d, 2).texts).toEqual(['a', 'b']);
    expect(takeFirst(d).texts.length).toBe(3);
  });
});
