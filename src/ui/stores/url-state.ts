// The whole app state in the URL: model, pruning sliders, workload, constraints, view. Encoding
// writes only fields that differ from the defaults (short links); decoding never throws: each
// field falls back to its default when missing or garbage, and the caller learns which.
import type { Objective } from '../../core/explore/select';

export const STATE_PATTERNS = ['hp', 'tile', 'vector', 'unstructured', 'nm', 'row-balanced'] as const;
export const STATE_SCORES = ['magnitude', 'activation'] as const;
export const AC_KINDS = ['none', 'min', 'drop'] as const;

/** The controls' ranges, shared by the panels and the URL parser: a link can only carry values
 *  the controls can show (tr=1024 or sparsity=0.999 used to load into sliders that cannot). */
export const CONTROL_RANGES = {
  sparsity: { min: 0, max: 0.95, step: 0.01 },
  split: { min: 0, max: 1, step: 0.05 },
  tileSizes: [1, 2, 4, 8, 16, 32, 64, 128],
  batch: { min: 1, max: 4096 },
  seq: { min: 1, max: 4096 },
} as const;

export interface AppState {
  /** Model id (e.g. 'tinybert-4l-312d'). */
  model: string;
  pruning: {
    pattern: (typeof STATE_PATTERNS)[number];
    sparsity: number;
    split: number;
    tr: number;
    tc: number;
    score: (typeof STATE_SCORES)[number];
    /** Per-kind sparsity (attention Q/K/V/out vs FFN); absent: `sparsity` everywhere. */
    groupSparsity?: { attention?: number; ffn?: number };
  };
  workload: { batch: number; seq: number };
  constraints: {
    lcMs: number;
    acKind: (typeof AC_KINDS)[number];
    /** min: accuracy (0..1); drop: accuracy points below dense (0..1). */
    acValue: number;
    objective: Objective;
  };
  view: { panel: string; device: string };
}

export const DEFAULT_STATE: AppState = {
  model: 'tinybert-4l-312d',
  pruning: { pattern: 'hp', sparsity: 0.8, split: 0.5, tr: 32, tc: 32, score: 'magnitude' },
  // 64 tokens: the shipped model's maxLength (RT sentences: p99 57 tokens).
  workload: { batch: 1, seq: 64 },
  constraints: { lcMs: 10, acKind: 'drop', acValue: 0.01, objective: 'price' },
  view: { panel: '', device: '' },
};

type Spec = {
  key: string;
  get: (s: AppState) => string | number;
  set: (s: AppState, raw: string) => boolean;
};

const numberIn = (raw: string, lo: number, hi: number, integer = false): number | null => {
  if (!/^-?\d*\.?\d+(e-?\d+)?$/i.test(raw.trim())) return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= lo && n <= hi && (!integer || Number.isInteger(n)) ? n : null;
};
const R = CONTROL_RANGES;
const inRange = (raw: string, r: { min: number; max: number }) => numberIn(raw, r.min, r.max);
const tileSize = (raw: string): number | null => {
  const n = numberIn(raw, 1, 128, true);
  return n !== null && (R.tileSizes as readonly number[]).includes(n) ? n : null;
};
const oneOf = <T extends string>(raw: string, list: readonly T[]): T | null =>
  (list as readonly string[]).includes(raw) ? (raw as T) : null;
const text = (raw: string): string | null => (/^[\w.:-]{0,64}$/.test(raw) ? raw : null);

function spec<T>(
  key: string,
  get: (s: AppState) => T & (string | number),
  parse: (raw: string) => T | null,
  put: (s: AppState, v: T) => void,
): Spec {
  return {
    key,
    get,
    set: (s, raw) => {
      const v = parse(raw);
      if (v === null) return false;
      put(s, v);
      return true;
    },
  };
}

const SPECS: Spec[] = [
  spec(
    'model',
    (s) => s.model,
    (r) => (r ? text(r) : null),
    (s, v) => (s.model = v),
  ),
  spec(
    'pattern',
    (s) => s.pruning.pattern,
    (r) => oneOf(r, STATE_PATTERNS),
    (s, v) => (s.pruning.pattern = v),
  ),
  spec(
    'sparsity',
    (s) => s.pruning.sparsity,
    (r) => inRange(r, R.sparsity),
    (s, v) => (s.pruning.sparsity = v),
  ),
  spec(
    'split',
    (s) => s.pruning.split,
    (r) => inRange(r, R.split),
    (s, v) => (s.pruning.split = v),
  ),
  spec(
    'tr',
    (s) => s.pruning.tr,
    tileSize,
    (s, v) => (s.pruning.tr = v),
  ),
  spec(
    'tc',
    (s) => s.pruning.tc,
    tileSize,
    (s, v) => (s.pruning.tc = v),
  ),
  spec(
    'score',
    (s) => s.pruning.score,
    (r) => oneOf(r, STATE_SCORES),
    (s, v) => (s.pruning.score = v),
  ),
  spec<number | ''>(
    'attn',
    (s) => s.pruning.groupSparsity?.attention ?? '',
    (r) => inRange(r, R.sparsity),
    (s, v) => (s.pruning.groupSparsity = { ...s.pruning.groupSparsity, attention: v as number }),
  ),
  spec<number | ''>(
    'ffn',
    (s) => s.pruning.groupSparsity?.ffn ?? '',
    (r) => inRange(r, R.sparsity),
    (s, v) => (s.pruning.groupSparsity = { ...s.pruning.groupSparsity, ffn: v as number }),
  ),
  spec(
    'batch',
    (s) => s.workload.batch,
    (r) => numberIn(r, R.batch.min, R.batch.max, true),
    (s, v) => (s.workload.batch = v),
  ),
  spec(
    'seq',
    (s) => s.workload.seq,
    (r) => numberIn(r, R.seq.min, R.seq.max, true),
    (s, v) => (s.workload.seq = v),
  ),
  spec(
    'lc',
    (s) => s.constraints.lcMs,
    (r) => numberIn(r, 1e-6, 1e7),
    (s, v) => (s.constraints.lcMs = v),
  ),
  spec(
    'ac',
    (s) => s.constraints.acKind,
    (r) => oneOf(r, AC_KINDS),
    (s, v) => (s.constraints.acKind = v),
  ),
  spec(
    'acv',
    (s) => s.constraints.acValue,
    (r) => numberIn(r, 0, 1),
    (s, v) => (s.constraints.acValue = v),
  ),
  spec(
    'obj',
    (s) => s.constraints.objective,
    (r) => oneOf(r, ['price', 'power', 'class'] as const),
    (s, v) => (s.constraints.objective = v),
  ),
  spec(
    'panel',
    (s) => s.view.panel,
    text,
    (s, v) => (s.view.panel = v),
  ),
  spec(
    'dev',
    (s) => s.view.device,
    text,
    (s, v) => (s.view.device = v),
  ),
];

export const STATE_KEYS = SPECS.map((s) => s.key);

export function cloneState(s: AppState): AppState {
  return {
    model: s.model,
    pruning: { ...s.pruning, ...(s.pruning.groupSparsity ? { groupSparsity: { ...s.pruning.groupSparsity } } : {}) },
    workload: { ...s.workload },
    constraints: { ...s.constraints },
    view: { ...s.view },
  };
}

/** Only the fields that differ from the defaults; numbers without float noise. */
export function encodeState(state: AppState): URLSearchParams {
  const params = new URLSearchParams();
  for (const s of SPECS) {
    const v = s.get(state);
    if (v === s.get(DEFAULT_STATE)) continue;
    params.set(s.key, typeof v === 'number' ? String(Number(v.toPrecision(6))) : v);
  }
  return params;
}

export interface DecodedState {
  state: AppState;
  /** Keys present in the URL but rejected (garbage, out of range): they took their default. */
  rejected: string[];
}

export function decodeState(params: URLSearchParams | string): DecodedState {
  const p = typeof params === 'string' ? new URLSearchParams(params) : params;
  const state = cloneState(DEFAULT_STATE);
  const rejected: string[] = [];
  for (const s of SPECS) {
    const raw = p.get(s.key);
    if (raw === null) continue;
    if (!s.set(state, raw)) rejected.push(s.key);
  }
  return { state, rejected };
}
