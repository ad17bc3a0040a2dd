// Labelled sentences for evaluation, from JSON Lines ({"text", "label"} per line) or CSV with a
// header (a text column and a label column), with errors that say what is wrong with the file.
import Papa from 'papaparse';
import { ModelLoadError } from '../model/model-error';

export interface Dataset {
  texts: string[];
  /** Integer class labels, 0 .. labelCount-1. */
  labels: Int32Array;
  /** Number of distinct classes the labels span (max label + 1). */
  labelCount: number;
}

const TEXT_KEYS = ['text', 'sentence', 'review', 'content'];
const LABEL_KEYS = ['label', 'labels', 'class', 'target'];

const bad = (msg: string, detail?: string) => new ModelLoadError('bad-dataset', msg, detail);

function pick(keys: string[], record: Record<string, unknown>): string | undefined {
  const lower = new Map(Object.keys(record).map((k) => [k.trim().toLowerCase(), k]));
  for (const k of keys) if (lower.has(k)) return lower.get(k);
  return undefined;
}

function fromRecords(records: Record<string, unknown>[], where: (i: number) => string): Dataset {
  if (records.length === 0) throw bad('The dataset is empty: it has no sentences.');
  const textKey = pick(TEXT_KEYS, records[0]);
  const labelKey = pick(LABEL_KEYS, records[0]);
  if (!textKey) throw bad(`The dataset has no text column (expected one of: ${TEXT_KEYS.join(', ')}).`, `found: ${Object.keys(records[0]).join(', ')}`);
  if (!labelKey) throw bad(`The dataset has no label column (expected one of: ${LABEL_KEYS.join(', ')}).`, `found: ${Object.keys(records[0]).join(', ')}`);
  const texts: string[] = [];
  const labels = new Int32Array(records.length);
  records.forEach((r, i) => {
    const text = r[textKey];
    if (typeof text !== 'string' || text.trim() === '') throw bad(`${where(i)} has an empty or missing text.`);
    const raw = r[labelKey];
    const label = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isInteger(label) || label < 0) throw bad(`${where(i)} has label '${String(raw)}'; labels must be class numbers 0, 1, ...`);
    texts.push(text);
    labels[i] = label;
  });
  return { texts, labels, labelCount: labels.reduce((m, v) => Math.max(m, v), 0) + 1 };
}

export function parseJsonl(source: string): Dataset {
  const records: Record<string, unknown>[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw bad(`Line ${i + 1} of the dataset is not valid JSON; expected one {"text": ..., "label": ...} object per line.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`Line ${i + 1} of the dataset is not a JSON object.`);
    records.push(value as Record<string, unknown>);
  });
  return fromRecords(records, (i) => `Sentence ${i + 1}`);
}

export function parseCsv(source: string): Dataset {
  const result = Papa.parse<Record<string, string>>(source.trim(), { header: true, skipEmptyLines: true });
  const fatal = result.errors.find((e) => e.type !== 'Delimiter' || result.data.length === 0);
  if (fatal) throw bad(`The CSV file is malformed at row ${(fatal.row ?? 0) + 2}: ${fatal.message}.`);
  return fromRecords(result.data, (i) => `Row ${i + 2}`);
}

/** Parses by file name (.jsonl/.json/.csv/.tsv), or by content when the name says nothing. */
export function parseDataset(source: string, fileName = ''): Dataset {
  const name = fileName.toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return parseCsv(source);
  if (name.endsWith('.jsonl') || name.endsWith('.json') || name.endsWith('.ndjson')) return parseJsonl(source);
  return source.trimStart().startsWith('{') ? parseJsonl(source) : parseCsv(source);
}

/** Checks the labels fit a classifier with `labels` outputs. */
export function checkLabels(data: Dataset, labels: number): void {
  if (data.labelCount > labels) {
    throw new ModelLoadError('label-mismatch', `The dataset has labels up to ${data.labelCount - 1}, but the model predicts only ${labels} classes (0..${labels - 1}). Pick a dataset for this model.`);
  }
}

/** The first `limit` sentences (all when limit is undefined). */
export function takeFirst(data: Dataset, limit?: number): Dataset {
  if (limit === undefined || limit >= data.texts.length) return data;
  const labels = data.labels.slice(0, limit);
  return { texts: data.texts.slice(0, limit), labels, labelCount: data.labelCount };
}
