// Labelled sentences for evaluation, from JSON Lines ({"text", "label"} per line) or CSV with a
// header (a text column and a label column), with errors that say what is wrong with the file.
import Papa from 'papaparse';
import { ModelLoadError } from '../model/model-error';
import { checkDatasetSize, decodeDatasetBytes } from './dataset-text';

export interface Dataset {
  texts: string[];
  /** Integer class labels, 0 .. labelCount-1. */
  labels: Int32Array;
  /** Number of distinct classes the labels span (max label + 1). */
  labelCount: number;
}

/** More sentences than this is not an evaluation a browser tab should run. */
export const MAX_SENTENCES = 200_000;
/** Class labels are small integers: a classifier with more outputs is not a sentence classifier. */
export const MAX_LABEL = 1023;

const TEXT_KEYS = ['text', 'sentence', 'review', 'content'];
const LABEL_KEYS = ['label', 'labels', 'class', 'target'];

const bad = (msg: string, detail?: string) => new ModelLoadError('bad-dataset', msg, detail);

function pick(keys: string[], record: Record<string, unknown>): string | undefined {
  const lower = new Map(Object.keys(record).map((k) => [k.trim().toLowerCase(), k]));
  for (const k of keys) if (lower.has(k)) return lower.get(k);
  return undefined;
}

/** A label as a class number: an integer 0..MAX_LABEL, as a JSON number or a string of digits
 *  (not "0x1", "1e0", 4294967296 or 1e300, which an Int32Array would silently wrap). */
function classNumber(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_LABEL ? n : null;
}

function fromRecords(records: Record<string, unknown>[], where: (i: number) => string): Dataset {
  if (records.length === 0) throw bad('The dataset is empty: it has no sentences.');
  if (records.length > MAX_SENTENCES)
    throw bad(`The dataset has ${records.length} sentences; the limit here is ${MAX_SENTENCES}. Use a sample of it.`);
  const textKey = pick(TEXT_KEYS, records[0]);
  const labelKey = pick(LABEL_KEYS, records[0]);
  if (!textKey)
    throw bad(
      `The dataset has no text column (expected one of: ${TEXT_KEYS.join(', ')}).`,
      `found: ${Object.keys(records[0]).join(', ')}`,
    );
  if (!labelKey)
    throw bad(
      `The dataset has no label column (expected one of: ${LABEL_KEYS.join(', ')}).`,
      `found: ${Object.keys(records[0]).join(', ')}`,
    );
  const texts: string[] = [];
  const labels = new Int32Array(records.length);
  records.forEach((r, i) => {
    const text = r[textKey];
    if (typeof text !== 'string' || text.trim() === '') throw bad(`${where(i)} has an empty or missing text.`);
    const raw = r[labelKey];
    const label = classNumber(raw);
    if (label === null)
      throw bad(
        `${where(i)} has label '${String(raw).slice(0, 40)}'; ` +
          `labels must be class numbers 0, 1, ... (at most ${MAX_LABEL}).`,
      );
    texts.push(text);
    labels[i] = label;
  });
  return { texts, labels, labelCount: labels.reduce((m, v) => Math.max(m, v), 0) + 1 };
}

export function parseJsonl(source: string): Dataset {
  const records: Record<string, unknown>[] = [];
  const lineNumbers: number[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw bad(
        `Line ${i + 1} of the dataset is not valid JSON; expected one {"text": ..., "label": ...} object per line.`,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw bad(`Line ${i + 1} of the dataset is not a JSON object.`);
    records.push(value as Record<string, unknown>);
    lineNumbers.push(i + 1);
  });
  return fromRecords(records, (i) => `Line ${lineNumbers[i]}`);
}

export function parseCsv(source: string): Dataset {
  const result = Papa.parse<Record<string, string>>(source.trim(), { header: true, skipEmptyLines: true });
  const fatal = result.errors.find((e) => e.type !== 'Delimiter' || result.data.length === 0);
  if (fatal) throw bad(`The CSV file is malformed at row ${(fatal.row ?? 0) + 2}: ${fatal.message}.`);
  return fromRecords(result.data, (i) => `Row ${i + 2}`);
}

/** Parses by file name (.jsonl/.json/.csv/.tsv), or by content when the name says nothing.
 *  Text that still starts with a byte-order mark (decoded elsewhere) has it dropped. */
export function parseDataset(text: string, fileName = ''): Dataset {
  checkDatasetSize(text.length, 'The dataset');
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const name = fileName.toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return parseCsv(source);
  if (name.endsWith('.jsonl') || name.endsWith('.json') || name.endsWith('.ndjson')) return parseJsonl(source);
  return source.trimStart().startsWith('{') ? parseJsonl(source) : parseCsv(source);
}

/** Checks the labels fit a classifier with `labels` outputs. */
export function checkLabels(data: Dataset, labels: number): void {
  if (data.labelCount > labels) {
    throw new ModelLoadError(
      'label-mismatch',
      `The dataset has labels up to ${data.labelCount - 1}, ` +
        `but the model predicts only ${labels} classes (0..${labels - 1}). Pick a dataset for this model.`,
    );
  }
}

/** The first `limit` sentences (all when limit is undefined). */
export function takeFirst(data: Dataset, limit?: number): Dataset {
  if (limit === undefined || limit >= data.texts.length) return data;
  const labels = data.labels.slice(0, limit);
  return { texts: data.texts.slice(0, limit), labels, labelCount: data.labelCount };
}

/** A dataset file's bytes: decoded by the encoding rules of dataset-text.ts, then parsed. */
export function parseDatasetBytes(bytes: Uint8Array, fileName = ''): Dataset {
  return parseDataset(
    decodeDatasetBytes(bytes, fileName ? `The dataset ${fileName.split('/').pop()}` : 'The dataset'),
    fileName,
  );
}
