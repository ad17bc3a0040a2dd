// The framework's selection: for each pruning configuration of the sweep (accuracy measured)
// and each device (latency modelled or measured), keep the pairs that meet LC and AC; the best
// device is the cheapest feasible one by the objective, ties broken by latency slack. Says why
// every other device lost and, with nothing feasible, which constraint binds and by how much.
import type { BertConfig } from '../model/bert-types';
import { TIER_NAMES } from '../hardware/types';
import type { SparsityConfig } from '../hardware/workload';
import { DENSE } from '../hardware/workload';
import { DeviceEvaluator, type DeviceEval, type DeviceInfo, type EvaluatorOptions } from './devices';
import { paretoFront } from './pareto';
import {
  accuracyStandardError,
  describePoint,
  sparsityOf,
  withDensePoint,
  type DenseReference,
  type Sweep,
  type SweepPoint,
} from './sweep';
import { MEASURED_QUANT_ACCURACY, quantPenalty, type QuantAccuracyRecord } from '../quant/measured-accuracy';

export type Objective = 'price' | 'power' | 'class';
export const OBJECTIVES: readonly Objective[] = ['price', 'power', 'class'];

export type AccuracyConstraint =
  | { kind: 'none' }
  /** Accuracy at least `value` (0..1). */
  | { kind: 'min'; value: number }
  /** At most `value` (0..1, e.g. 0.01 = one point) below the dense model. */
  | { kind: 'drop'; value: number };

export interface SelectionInput extends EvaluatorOptions {
  config: BertConfig;
  batch: number;
  seq: number;
  /** Latency constraint: ms per batch of `batch` sequences of `seq` tokens. */
  lcMs: number;
  ac: AccuracyConstraint;
  objective: Objective;
  /** Measured accuracy sweep; null = accuracy unknown (then AC must be 'none'). */
  sweep: Sweep | null;
  /** Without a sweep: configurations to evaluate (default: dense only). */
  configs?: SparsityConfig[];
  /** Let the visitor's own (measured) devices win; default false (they are listed, not chosen). */
  includeOwn?: boolean;
  /** The dense model's accuracy as the rest of the page shows it (the whole dev split): the one
   *  AC uses and the dense candidate carries. Default: the sweep's own dense figure. */
  denseAccuracy?: DenseReference;
  /** Measurement noise: a pair meets AC only when accuracy - acMarginSe x its standard error
   *  reaches the threshold (0, the default: the measured value itself). */
  acMarginSe?: number;
  /** Measured integer-model accuracy (hp-lab eval --quant): an FPGA design computing in int8
   *  carries the largest measured int8 loss in its accuracy; without an int8 measurement such a
   *  design cannot meet AC. Default: the shipped model's records (core/quant/measured-accuracy). */
  quantAccuracy?: readonly QuantAccuracyRecord[];
}

export interface Candidate {
  deviceId: string;
  configIndex: number;
  config: string;
  point: SweepPoint | null;
  sparsity: SparsityConfig;
  accuracy: number | null;
  /** Standard error of `accuracy` (binomial, from the sentences it was measured on), if known. */
  accuracySe: number | null;
  /** int8 FPGA designs: the measured int8 loss already in `accuracy` (<= 0), or null when int8
   *  accuracy was never measured (then AC is not met). */
  int8Penalty?: number | null;
  latencyMs: number;
  powerW: number;
  /** The objective's value (USD, W, or tier) used to rank. */
  cost: number;
  lcOk: boolean;
  acOk: boolean;
  feasible: boolean;
  /** (LC - latency) / LC. */
  slack: number;
  eval: DeviceEval;
}

export interface DeviceVerdict {
  device: DeviceInfo;
  /** The device's best feasible pair, else its fastest pair that meets AC, else its fastest. */
  best: Candidate | null;
  feasible: boolean;
  chosen: boolean;
  reason: string;
}

export interface Binding {
  constraint: 'LC' | 'AC' | 'both';
  message: string;
  /** Smallest LC (ms) that makes something feasible at the given AC (null: AC unmet anywhere). */
  lcNeededMs: number | null;
  /** Best accuracy reachable within the given LC (null: nothing meets LC). */
  accuracyWithinLc: number | null;
  accuracyThreshold: number | null;
}

export interface SelectionResult {
  objective: Objective;
  lcMs: number;
  accuracyThreshold: number | null;
  denseAccuracy: number | null;
  /** Where the dense accuracy comes from and on how many sentences. */
  denseReference: DenseReference | null;
  acMarginSe: number;
  accuracyKnown: boolean;
  /** Things the visitor must know before trusting the choice (no AC at chance accuracy, ...). */
  warnings: string[];
  choice: Candidate | null;
  reasons: string[];
  verdicts: DeviceVerdict[];
  candidates: Candidate[];
  pareto: Candidate[];
  binding: Binding | null;
  devices: DeviceInfo[];
}

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const acc = (x: number) => `${(x * 100).toFixed(2)}%`;
export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3)) + ' ms';

function objectiveValue(o: Objective, d: DeviceInfo, e: DeviceEval): number {
  if (o === 'price') return d.priceUsd ?? 0;
  if (o === 'power') return e.powerW;
  return d.tier;
}

export function describeCost(o: Objective, c: number): string {
  if (o === 'price') return `$${Math.round(c).toLocaleString('en-US')}`;
  if (o === 'power') return `${c.toFixed(1)} W`;
  return `class ${c} (${TIER_NAMES[c as 1] ?? '?'})`;
}

export function accuracyThreshold(ac: AccuracyConstraint, dense: number | undefined): number | null {
  if (ac.kind === 'none') return null;
  if (ac.kind === 'min') return ac.value;
  if (dense === undefined)
    throw new SelectionError(
      'AC as a maximum drop needs the dense accuracy: the sweep has neither denseAccuracy ' +
        'nor a 0% point, and none was given',
    );
  return dense - ac.value;
}

export function validateInput(i: SelectionInput): void {
  if (!(i.lcMs > 0) || !Number.isFinite(i.lcMs))
    throw new SelectionError(`LC must be a positive number of ms, got ${i.lcMs}`);
  if (!OBJECTIVES.includes(i.objective)) throw new SelectionError(`objective must be one of ${OBJECTIVES.join(', ')}`);
  if (i.ac.kind !== 'none' && !(i.ac.value >= 0 && i.ac.value <= 1))
    throw new SelectionError(`AC must be in [0, 1] (a fraction), got ${i.ac.value}`);
  if (!i.sweep && i.ac.kind !== 'none')
    throw new SelectionError('an accuracy constraint needs a measured sweep (hp-lab sweep, or the Sweep panel)');
  if (i.acMarginSe !== undefined && !(i.acMarginSe >= 0 && i.acMarginSe <= 10))
    throw new SelectionError(`the AC margin must be 0-10 standard errors, got ${i.acMarginSe}`);
}

interface RankedPoint {
  point: SweepPoint | null;
  sparsity: SparsityConfig;
  label: string;
  se: number | null;
}

/** Whether a point's accuracy meets AC, allowing for noise. The dense point always meets a
 *  maximum-drop AC (it is the reference: its drop is zero by definition). */
function meetsAc(p: RankedPoint, ac: AccuracyConstraint, threshold: number | null, marginSe: number): boolean {
  if (threshold === null) return true;
  if (!p.point) return false;
  if (ac.kind === 'drop' && p.point.pattern === 'dense') return true;
  return p.point.accuracy - marginSe * (p.se ?? 0) >= threshold - 1e-12;
}

/** Orders candidates: lower cost, then more slack, then higher accuracy. */
function better(a: Candidate, b: Candidate): number {
  return a.cost - b.cost || b.slack - a.slack || (b.accuracy ?? 0) - (a.accuracy ?? 0);
}

export function select(input: SelectionInput, evaluator?: DeviceEvaluator): SelectionResult {
  validateInput(input);
  const ev = evaluator ?? new DeviceEvaluator(input.config, input.batch, input.seq, input);
  const ranked = input.sweep ? withDensePoint(input.sweep, input.denseAccuracy) : null;
  const dense = ranked?.dense?.accuracy;
  const threshold = accuracyThreshold(input.ac, dense);
  const marginSe = input.acMarginSe ?? 0;
  const sentences = input.sweep?.sentences;
  const points: RankedPoint[] = ranked
    ? ranked.points.map((p) => ({
        point: p,
        sparsity: sparsityOf(p),
        label: describePoint(p),
        se: accuracyStandardError(p.accuracy, p.n ?? sentences),
      }))
    : (input.configs ?? [DENSE]).map((s) => ({
        point: null,
        sparsity: s,
        label: s.pattern === 'dense' ? 'dense' : `${s.pattern} ${pct(1 - s.density)}`,
        se: null,
      }));

  const candidates: Candidate[] = [];
  for (const device of ev.devices) {
    points.forEach((p, configIndex) => {
      const e = ev.evaluate(device, p.sparsity);
      if (!e.ok) return;
      const lcOk = e.latencyMs <= input.lcMs;
      const int8 = e.design?.bits === 'int8';
      const penalty = int8
        ? (quantPenalty(input.quantAccuracy ?? MEASURED_QUANT_ACCURACY, 8)?.penalty ?? null)
        : undefined;
      // An int8 design computes a different model: its accuracy is the f32 one less the measured
      // int8 loss, checked against AC like any measured accuracy (the dense point included).
      const accuracy = p.point ? p.point.accuracy + (int8 ? (penalty ?? 0) : 0) : null;
      const acOk = !int8
        ? meetsAc(p, input.ac, threshold, marginSe)
        : threshold === null ||
          (penalty !== null && accuracy !== null && accuracy - marginSe * (p.se ?? 0) >= threshold - 1e-12);
      candidates.push({
        deviceId: device.id,
        configIndex,
        config: p.label,
        point: p.point,
        sparsity: p.sparsity,
        accuracy,
        accuracySe: p.se,
        ...(int8 ? { int8Penalty: penalty } : {}),
        latencyMs: e.latencyMs,
        powerW: e.powerW,
        cost: objectiveValue(input.objective, device, e),
        lcOk,
        acOk,
        feasible: lcOk && acOk,
        slack: (input.lcMs - e.latencyMs) / input.lcMs,
        eval: e,
      });
    });
  }

  // Per device: its best feasible pair (cost, slack, accuracy), else the closest miss.
  const verdicts: DeviceVerdict[] = ev.devices.map((device) => {
    const mine = candidates.filter((c) => c.deviceId === device.id);
    const feasible = mine.filter((c) => c.feasible).sort(better);
    if (feasible.length) return { device, best: feasible[0], feasible: true, chosen: false, reason: '' };
    const acMet = mine.filter((c) => c.acOk).sort((a, b) => a.latencyMs - b.latencyMs);
    const fastest = [...mine].sort((a, b) => a.latencyMs - b.latencyMs)[0] ?? null;
    return { device, best: acMet[0] ?? fastest, feasible: false, chosen: false, reason: '' };
  });

  const eligible = verdicts.filter((v) => v.feasible && (input.includeOwn || !v.device.own));
  eligible.sort((a, b) => better(a.best!, b.best!));
  const winner = eligible[0] ?? null;
  const choice = winner?.best ?? null;
  if (winner) winner.chosen = true;

  const anyAcConfig = points.some((p) => meetsAc(p, input.ac, threshold, marginSe));
  for (const v of verdicts) v.reason = verdictReason(v, choice, input, threshold, anyAcConfig, ev);

  const reasons = choice ? choiceReasons(choice, winner!.device, eligible.length, input, threshold, marginSe) : [];
  const binding = choice
    ? null
    : bindingOf(
        candidates.filter((c) => input.includeOwn || !ev.devices.find((d) => d.id === c.deviceId)?.own),
        input,
        threshold,
        points,
      );
  const pareto = paretoFront(candidates.filter((c) => threshold === null || c.acOk || c.accuracy !== null));
  return {
    objective: input.objective,
    lcMs: input.lcMs,
    accuracyThreshold: threshold,
    denseAccuracy: dense ?? null,
    denseReference: ranked?.dense ?? null,
    acMarginSe: marginSe,
    accuracyKnown: !!input.sweep,
    warnings: choice ? choiceWarnings(choice, input, threshold) : [],
    choice,
    reasons,
    verdicts,
    candidates,
    pareto,
    binding,
    devices: ev.devices,
  };
}

function verdictReason(
  v: DeviceVerdict,
  choice: Candidate | null,
  input: SelectionInput,
  threshold: number | null,
  anyAcConfig: boolean,
  ev: DeviceEvaluator,
): string {
  if (v.chosen) return 'chosen';
  const b = v.best;
  if (!b) {
    const e = ev.evaluate(v.device, DENSE);
    return `cannot run any configuration: ${e.reason ?? 'unsupported'}`;
  }
  if (v.feasible) {
    if (v.device.own && !input.includeOwn)
      return `feasible (${fmtMs(b.latencyMs)} at ${b.config}) — your own device, listed for reference`;
    if (!choice) return 'feasible';
    if (b.cost > choice.cost)
      return (
        `feasible (${fmtMs(b.latencyMs)} at ${b.config}), but costs more: ` +
        `${describeCost(input.objective, b.cost)} vs ${describeCost(input.objective, choice.cost)}`
      );
    return (
      `feasible and as cheap (${describeCost(input.objective, b.cost)}), ` +
      `but less latency slack: ${pct(b.slack)} vs ${pct(choice.slack)}`
    );
  }
  if (!anyAcConfig) return `no configuration in the sweep meets AC (needs ${acc(threshold!)})`;
  if (b.acOk)
    return (
      `too slow: ${fmtMs(b.latencyMs)} at its fastest AC-meeting configuration (${b.config}) ` +
      `> LC ${fmtMs(input.lcMs)} (${pct(b.latencyMs / input.lcMs - 1)} over)`
    );
  return `no configuration it can run meets AC; fastest ${fmtMs(b.latencyMs)} at ${b.config}`;
}

/** "74.50% ± 3.08%" (one standard error), or the bare figure when n is unknown. */
export function accuracyWithSe(a: number, se: number | null): string {
  return se === null ? acc(a) : `${acc(a)} ± ${acc(se)}`;
}

/** What could mislead in a choice: no AC with an unknown or chance-level accuracy, or an AC met
 *  by less than the measurement's own noise. */
export function choiceWarnings(c: Candidate, input: SelectionInput, threshold: number | null): string[] {
  const chance = 1 / Math.max(2, input.config.labels);
  const w: string[] = [];
  if (threshold === null) {
    if (c.accuracy === null)
      w.push(
        'No AC and no measured accuracy: this is the fastest-for-the-money device, ' +
          'but how accurate the pruned model is on it is unknown. ' +
          'Run a sweep and set an AC.',
      );
    else if (c.accuracy <= chance + Math.max(2 * (c.accuracySe ?? 0), 0.02)) {
      w.push(
        `No AC is set and the pick's accuracy, ${accuracyWithSe(c.accuracy, c.accuracySe)}, ` +
          `is at chance (${acc(chance)} for ${input.config.labels} classes): ` +
          `this configuration does not classify. Set an AC.`,
      );
    }
  } else if (
    c.accuracy !== null &&
    c.accuracySe !== null &&
    !(input.ac.kind === 'drop' && c.point?.pattern === 'dense')
  ) {
    if (c.accuracy - threshold < c.accuracySe) {
      w.push(
        `Meets AC by less than one standard error: ${accuracyWithSe(c.accuracy, c.accuracySe)} vs ${acc(threshold)}; ` +
          `a margin of 1-2 standard errors makes the choice robust to measurement noise.`,
      );
    }
  }
  return w;
}

function choiceReasons(
  c: Candidate,
  d: DeviceInfo,
  feasibleCount: number,
  input: SelectionInput,
  threshold: number | null,
  marginSe: number,
): string[] {
  const r = [
    `${feasibleCount === 1 ? 'the only feasible device' : `the cheapest of ${feasibleCount} feasible devices`}` +
      ` by ${input.objective}: ${describeCost(input.objective, c.cost)}`,
    `meets LC: ${fmtMs(c.latencyMs)} <= ${fmtMs(input.lcMs)} (slack ${pct(c.slack)})`,
    threshold === null
      ? c.accuracy === null
        ? 'accuracy not known (no sweep): latency-only selection'
        : `accuracy ${accuracyWithSe(c.accuracy, c.accuracySe)} (no AC set)`
      : input.ac.kind === 'drop' && c.point?.pattern === 'dense'
        ? `meets AC: the dense model itself (${acc(c.accuracy!)}), no accuracy lost`
        : `meets AC: accuracy ${accuracyWithSe(c.accuracy!, c.accuracySe)}` +
          `${marginSe > 0 ? ` less ${marginSe} standard error${marginSe === 1 ? '' : 's'}` : ''} >= ${acc(threshold)}`,
    `pruning configuration: ${c.config}`,
    `${c.eval.provenance}: ${c.eval.note}`,
  ];
  if (c.int8Penalty !== undefined && c.int8Penalty !== null)
    r.push(
      `int8 design: accuracy carries the largest measured W8A8 loss, ` +
        `${(c.int8Penalty * 100).toFixed(1)} pt (hp-lab eval --quant int8)`,
    );
  const u = c.eval.utilisation;
  if (u && d.kind === 'fpga')
    r.push(
      `utilisation: DSP ${pct(u.dsp ?? 0)}, LUT ${pct(u.lut ?? 0)}, BRAM ${pct(u.bram36 ?? 0)}, ` +
        `URAM ${pct(u.uram ?? 0)}, MAC array busy ${pct(u.mac ?? 0)}`,
    );
  else if (u?.peak !== undefined) r.push(`reaches ${pct(u.peak)} of its peak f32 throughput`);
  return r;
}

function bindingOf(
  candidates: Candidate[],
  input: SelectionInput,
  threshold: number | null,
  points: Array<{ point: SweepPoint | null }>,
): Binding {
  const acCands = candidates.filter((c) => c.acOk);
  const lcCands = candidates.filter((c) => c.lcOk);
  const lcNeeded = acCands.length ? Math.min(...acCands.map((c) => c.latencyMs)) : null;
  const accWithinLc =
    lcCands.length && lcCands.some((c) => c.accuracy !== null)
      ? Math.max(...lcCands.map((c) => c.accuracy ?? -Infinity))
      : null;
  if (candidates.length === 0) {
    return {
      constraint: 'both',
      message: 'no device can run any configuration (no FPGA design fits, no CPU/GPU in the catalog)',
      lcNeededMs: null,
      accuracyWithinLc: null,
      accuracyThreshold: threshold,
    };
  }
  if (threshold !== null && acCands.length === 0) {
    const best = Math.max(...points.map((p) => p.point?.accuracy ?? -Infinity));
    const parts = [
      `AC binds: the best accuracy in the sweep is ${acc(best)}, ${acc(threshold - best)} short of ${acc(threshold)}`,
    ];
    if (!lcCands.length)
      parts.push(`LC binds too: the fastest pair takes ${fmtMs(Math.min(...candidates.map((c) => c.latencyMs)))}`);
    return {
      constraint: lcCands.length ? 'AC' : 'both',
      message: parts.join('; '),
      lcNeededMs: null,
      accuracyWithinLc: accWithinLc,
      accuracyThreshold: threshold,
    };
  }
  const fastest = acCands.sort((a, b) => a.latencyMs - b.latencyMs)[0];
  let message =
    `LC binds: the fastest pair meeting AC is ${fastest.deviceId} at ${fastest.config}, ` +
    `${fmtMs(fastest.latencyMs)} — LC would have to be ${pct(fastest.latencyMs / input.lcMs - 1)} looser`;
  if (threshold !== null) {
    message +=
      accWithinLc !== null && Number.isFinite(accWithinLc)
        ? `; within LC the best accuracy is ${acc(accWithinLc)} (AC ${acc(threshold - accWithinLc)} lower would do)`
        : '; nothing at all meets LC';
  }
  return {
    constraint: 'LC',
    message,
    lcNeededMs: lcNeeded,
    accuracyWithinLc: accWithinLc !== null && Number.isFinite(accWithinLc) ? accWithinLc : null,
    accuracyThreshold: threshold,
  };
}
