// The paper's claims, each beside this project's own figure, whether that figure is measured or
// modelled, the baseline it is against, and a verdict. Qi et al. (ICCAD'21) report 37x over a
// CPU, 1.9x over a GPU, 1.7x over a prior FPGA design, higher sparsity than other patterns at
// equal accuracy, and a framework whose choice of device moves with LC and AC.
import type { BertConfig } from '../model/bert-types';
import { DENSE, TINYBERT_4L_312D, type SparsityConfig } from '../hardware/workload';
import { DeviceEvaluator, type EvaluatorOptions } from './devices';
import { DEFAULT_PAPER_HP, paperView, PAPER_HEADLINE, type PaperRow } from './paper-view';
import { select } from './select';
import { accuracyStandardError, withDensePoint, type Sweep, type SweepPoint } from './sweep';
import { FPGA_CALIBRATION } from '../hardware/fpga-calibration';

export type Verdict = 'reproduced' | 'partly' | 'not reproduced' | 'not testable here';

export interface PaperClaim {
  id: 'cpu' | 'gpu' | 'fpga' | 'sparsity' | 'sparsity-retrained' | 'choice';
  claim: string;
  paper: string;
  ours: string;
  /** How our figure was obtained. */
  basis: 'modelled' | 'measured' | 'measured accuracy, modelled latency';
  baseline: string;
  verdict: Verdict;
  why: string;
}

export interface PaperClaimsInput extends Pick<EvaluatorOptions, 'measured' | 'catalog'> {
  /** Measured accuracy sweep (hp and tile series at least) for the sparsity and AC claims. */
  sweep?: Sweep | null;
  hp?: SparsityConfig;
  config?: BertConfig;
  batch?: number;
  seq?: number;
  /** Precomputed paper view rows (the panel has them already). */
  rows?: PaperRow[];
  /** Points retrained on a GPU (the retraining study's sweep): the sparsity claim as the paper
   *  makes it, with retraining, beside the one-shot one. */
  retrained?: Sweep | null;
}

const x = (v: number) => (Number.isFinite(v) ? `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x` : '—');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Within 1.5x of the paper's factor: reproduced; a gain beyond 5% (the models' resolution,
 *  not noise-free): partly; else not reproduced. */
export function speedupVerdict(ours: number, paper: number): Verdict {
  if (!Number.isFinite(ours)) return 'not testable here';
  if (ours >= paper / 1.5) return 'reproduced';
  return ours > 1.05 ? 'partly' : 'not reproduced';
}

/** The sparsest point of a series whose accuracy reaches `target`. */
export function sparsestAt(
  points: SweepPoint[],
  pattern: SweepPoint['pattern'],
  target: number,
  label?: string,
): SweepPoint | null {
  const ok = points.filter(
    (p) => p.pattern === pattern && (!label || p.label === label) && p.accuracy >= target - 1e-12,
  );
  return ok.sort((a, b) => b.sparsity - a.sparsity)[0] ?? null;
}

/** HP vs tile-only at accuracy targets 1, 3, 5 and 10 points below dense (measured). */
export function sparsityAtEqualAccuracy(sweep: Sweep): {
  targets: Array<{ drop: number; hp: number | null; tile: number | null }>;
  noise: number | null;
  dense: number;
} | null {
  const { points, dense } = withDensePoint(sweep);
  if (!dense || !points.some((p) => p.pattern === 'hp') || !points.some((p) => p.pattern === 'tile')) return null;
  const targets = [0.01, 0.03, 0.05, 0.1].map((drop) => ({
    drop,
    hp: sparsestAt(points, 'hp', dense.accuracy - drop)?.sparsity ?? null,
    tile: sparsestAt(points, 'tile', dense.accuracy - drop)?.sparsity ?? null,
  }));
  return { targets, noise: accuracyStandardError(dense.accuracy, dense.n ?? sweep.sentences), dense: dense.accuracy };
}

export function paperClaims(input: PaperClaimsInput = {}): PaperClaim[] {
  const hp = input.hp ?? DEFAULT_PAPER_HP;
  const rows = input.rows ?? paperView({ hp, measured: input.measured, catalog: input.catalog, sweep: input.sweep });
  const tiny = rows[0];
  const setting =
    `HP ${pct(1 - hp.density)} ${hp.tr}x${hp.tc}, ` +
    `${tiny.shape.label} batch ${tiny.shape.batch} x ${tiny.shape.seq}, ` +
    `best board ${tiny.board} (int16/fp16)`;
  const claims: PaperClaim[] = [
    {
      id: 'cpu',
      claim: 'HP accelerator vs CPU',
      paper: `${PAPER_HEADLINE.cpu}x`,
      ours: x(tiny.cpu.speedup),
      basis: 'modelled',
      baseline: `${tiny.cpu.against}, fp32 roofline (${setting})`,
      verdict: speedupVerdict(tiny.cpu.speedup, PAPER_HEADLINE.cpu),
      why: `modelled latencies, ${tiny.cpu.note}; BERT-base: ${x(rows[1]?.cpu.speedup ?? NaN)}`,
    },
    {
      id: 'gpu',
      claim: 'HP accelerator vs GPU',
      paper: `${PAPER_HEADLINE.gpu}x`,
      ours: x(tiny.gpu.speedup),
      basis: 'modelled',
      baseline: `${tiny.gpu.against}, fp32 CUDA cores (${setting})`,
      verdict: speedupVerdict(tiny.gpu.speedup, PAPER_HEADLINE.gpu),
      why:
        'a small model at batch 1 leaves a GPU launch-bound and costs the FPGA ' +
        `${FPGA_CALIBRATION.opOverheadCycles.toLocaleString('en-US')} cycles per operator ` +
        `(fitted on published designs); BERT-base: ${x(rows[1]?.gpu.speedup ?? NaN)}`,
    },
  ];
  claims.push({
    id: 'fpga',
    claim: 'HP accelerator vs a prior FPGA design (tile-only)',
    paper: `${PAPER_HEADLINE.tile}x`,
    ours:
      `${x(tiny.tile.speedup)} unbalanced / ${x(tiny.tileBalanced.speedup)} balanced` +
      `${tiny.tileEqualAccuracy ? ` / ${x(tiny.tileEqualAccuracy.speedup)} at equal accuracy` : ''}`,
    basis: tiny.tileEqualAccuracy ? 'measured accuracy, modelled latency' : 'modelled',
    baseline: `tile-only design on the same board, same density (${setting})`,
    // Like with like: the balanced tile design has HP's load balance, so it decides the verdict.
    verdict: speedupVerdict(tiny.tileEqualAccuracy?.speedup ?? tiny.tileBalanced.speedup, PAPER_HEADLINE.tile),
    why:
      'at equal density a balanced tile design runs as fast as HP (same MACs, no imbalance): ' +
      "HP's gap must come from accuracy, i.e. tile-only needing a lower sparsity for the same accuracy (next row)",
  });

  const eq = input.sweep ? sparsityAtEqualAccuracy(input.sweep) : null;
  if (!eq) {
    claims.push({
      id: 'sparsity',
      claim: 'higher sparsity than tile-only at equal accuracy',
      paper: 'yes (with retraining)',
      ours: '—',
      basis: 'measured',
      baseline: 'tile-only (row-balanced blocks), same tiles, one-shot magnitude pruning',
      verdict: 'not testable here',
      why: 'needs a measured sweep with hp and tile series (Sweep panel or hp-lab sweep)',
    });
  } else {
    claims.push(
      sparsityClaim(
        eq,
        'higher sparsity than tile-only at equal accuracy',
        'tile-only (row-balanced blocks), same tiles and scores, one-shot (no retraining)',
      ),
    );
  }
  const retrained = input.retrained ? sparsityAtEqualAccuracy(input.retrained) : null;
  if (retrained) {
    claims.push(
      sparsityClaim(
        retrained,
        'higher sparsity than tile-only at equal accuracy, retrained',
        'tile-only, same tiles and scores, both retrained on a GPU by the same recipes ' +
          '(gradual pruning + distillation; least-squares recovery + distillation at 80/90%; ' +
          "mean of the study's seeds, every point counts)",
        'sparsity-retrained',
      ),
    );
  }

  claims.push(choiceClaim(input));
  return claims;
}

/** The retraining study's points retrained alike (gradual pruning, or least-squares recovery, then
 *  distillation: both run for every pattern): its group-lasso runs and the engine's fine-tuned HP 90% are
 *  HP-only recipes, so they leave HP vs tile-only out of like-with-like. */
export function retrainedAlike(study: Sweep): Sweep {
  return { ...study, points: study.points.filter((p) => !/group lasso|fine-tuned/.test(p.label ?? '')) };
}

/** The sparsity claim's row from HP vs tile-only at 1/3/5/10 points below dense. */
function sparsityClaim(
  eq: NonNullable<ReturnType<typeof sparsityAtEqualAccuracy>>,
  claim: string,
  baseline: string,
  id: PaperClaim['id'] = 'sparsity',
): PaperClaim {
  const reached = eq.targets.filter((t) => t.hp !== null || t.tile !== null);
  const wins = reached.filter((t) => (t.hp ?? 0) > (t.tile ?? 0) + 1e-9).length;
  const losses = reached.filter((t) => (t.tile ?? 0) > (t.hp ?? 0) + 1e-9).length;
  const cell = (v: number | null) => (v === null ? 'none' : pct(v));
  return {
    id,
    claim,
    paper: 'yes (with retraining)',
    ours: eq.targets
      .map((t) => `-${(t.drop * 100).toFixed(0)} pt: HP ${cell(t.hp)} vs tile ${cell(t.tile)}`)
      .join('; '),
    basis: 'measured',
    baseline,
    verdict:
      reached.length === 0
        ? 'not reproduced'
        : wins > 0 && losses === 0
          ? 'reproduced'
          : wins > 0
            ? 'partly'
            : 'not reproduced',
    why:
      `sparsest point within each drop of the dense ${pct(eq.dense)}` +
      `${eq.noise ? ` (±${pct(eq.noise)} standard error: closer accuracies are noise)` : ''}`,
  };
}

/** Does the framework's choice move with LC and AC? Runs the selection over a grid. */
function choiceClaim(input: PaperClaimsInput): PaperClaim {
  const config = input.config ?? TINYBERT_4L_312D;
  const batch = input.batch ?? 1;
  const seq = input.seq ?? 128;
  const ev = new DeviceEvaluator(config, batch, seq, { measured: input.measured, catalog: input.catalog });
  const hp = input.hp ?? DEFAULT_PAPER_HP;
  const lcs = [100, 30, 10, 3, 1, 0.3];
  const base = {
    config,
    batch,
    seq,
    objective: 'price' as const,
    sweep: input.sweep ?? null,
    configs: input.sweep ? undefined : [DENSE, hp],
  };
  const byLc = lcs.map(
    (lcMs) => select({ ...base, lcMs, ac: input.sweep ? { kind: 'drop', value: 0.05 } : { kind: 'none' } }, ev).choice,
  );
  const devices = new Set(byLc.filter(Boolean).map((c) => c!.deviceId));
  const lcText = lcs
    .map((lc, i) => `${lc} ms: ${byLc[i] ? `${byLc[i]!.deviceId} (${byLc[i]!.config})` : 'none'}`)
    .join('; ');
  let acText = '';
  let configs = 0;
  if (input.sweep) {
    const byAc = [0.01, 0.05, 0.1, 0.2].map((drop) => ({
      drop,
      c: select({ ...base, lcMs: 1000, ac: { kind: 'drop', value: drop } }, ev).choice,
    }));
    configs = new Set(byAc.filter((a) => a.c).map((a) => a.c!.config)).size;
    acText =
      ' | LC 1 s, AC drop ' +
      byAc.map((a) => `${(a.drop * 100).toFixed(0)} pt: ${a.c ? a.c.config : 'none'}`).join('; ');
  }
  const moves = devices.size >= 2 && (!input.sweep || configs >= 2);
  return {
    id: 'choice',
    claim: 'the best device (and pruning) moves with LC and AC',
    paper: 'yes',
    ours: `LC ${lcText}${acText}`,
    basis: input.sweep ? 'measured accuracy, modelled latency' : 'modelled',
    baseline:
      `the cheapest feasible device, ${config.layers}-layer model at ${batch} x ${seq}` +
      `${input.sweep ? ', AC drop 5 points' : ', latency only (no sweep)'}`,
    verdict: moves ? 'reproduced' : devices.size >= 2 ? 'partly' : 'not reproduced',
    why:
      `${devices.size} devices chosen over ${lcs.length} LCs` +
      `${input.sweep ? `, ${configs} configurations over 4 ACs` : ''}`,
  };
}
