// What this machine measured (CPU kernels, GPU kernels, whole-model times) survives a reload,
// like the sweeps do: kept in localStorage (a few kB) and checked field by field when read
// back, so a stale or hand-edited entry is dropped instead of reaching the device models.
import type { CpuShapeMeasurement } from '../../workers/cpu.worker';
import type { LinearMeasurement } from '../../core/hardware/measured';
import type { MeasuredDevice } from '../../core/hardware/roofline';

export interface StoredMeasurements {
  cpu: CpuShapeMeasurement[] | null;
  cpuEncoder: MeasuredDevice['encoder'];
  gpu: LinearMeasurement[] | null;
  gpuEncoder: MeasuredDevice['encoder'];
  /** The adapter the GPU figures were measured on. */
  gpuLabel?: string;
  /** A software adapter's figures never carry efficiency to modelled GPUs. */
  gpuSoftware?: boolean;
  savedAt: number;
}

export const MEASURED_KEY = 'hp-lab-measured-v1';

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
const hasNumbers = (o: unknown, keys: string[]) =>
  typeof o === 'object' && o !== null && keys.every((k) => positive((o as Record<string, unknown>)[k]));
const LINEAR = ['tokens', 'in', 'out', 'density', 'denseGflops', 'hpGflops'];
const CPU = [...LINEAR, 'denseMs', 'hpMs', 'hpDenseEquivalentGflops', 'speedup', 'reps'];

function list<T>(x: unknown, keys: string[]): T[] | null {
  return Array.isArray(x) && x.length > 0 && x.every((m) => hasNumbers(m, keys)) ? (x as T[]) : null;
}
const encoder = (x: unknown): MeasuredDevice['encoder'] =>
  hasNumbers(x, ['batch', 'seq', 'ms']) ? (x as MeasuredDevice['encoder']) : undefined;

/** Parses what `encodeMeasurements` wrote; anything malformed is left out (null when nothing is usable). */
export function decodeMeasurements(text: string | null): StoredMeasurements | null {
  if (!text) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const out: StoredMeasurements = {
    cpu: list<CpuShapeMeasurement>(raw.cpu, CPU),
    cpuEncoder: encoder(raw.cpuEncoder),
    gpu: list<LinearMeasurement>(raw.gpu, LINEAR),
    gpuEncoder: encoder(raw.gpuEncoder),
    gpuLabel: typeof raw.gpuLabel === 'string' ? raw.gpuLabel.slice(0, 200) : undefined,
    gpuSoftware: typeof raw.gpuSoftware === 'boolean' ? raw.gpuSoftware : undefined,
    savedAt: positive(raw.savedAt) ? (raw.savedAt as number) : 0,
  };
  return out.cpu || out.gpu || out.cpuEncoder || out.gpuEncoder ? out : null;
}

export function encodeMeasurements(m: Omit<StoredMeasurements, 'savedAt'>, now = Date.now()): string {
  return JSON.stringify({ ...m, savedAt: now });
}

export function loadMeasurements(storage: Pick<Storage, 'getItem'> = localStorage): StoredMeasurements | null {
  try {
    return decodeMeasurements(storage.getItem(MEASURED_KEY));
  } catch {
    return null; // storage blocked (privacy mode): nothing restored
  }
}

export function saveMeasurements(
  m: Omit<StoredMeasurements, 'savedAt'>,
  storage: Pick<Storage, 'setItem'> = localStorage,
): void {
  try {
    storage.setItem(MEASURED_KEY, encodeMeasurements(m));
  } catch {
    /* storage full or blocked: the figures stay for this page only */
  }
}
