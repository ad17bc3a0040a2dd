// Design-space search per board: the engine count P, columns per cycle V and bit width that
// fit the board's DSP, LUT and BRAM/URAM and minimise latency (ties: fewer DSPs, i.e. less
// power). Tile shape Tr x Tc comes from the pruning configuration (the engines are built for it).
import {
  BIT_WIDTHS,
  FPGA_CONSTANTS,
  archRuns,
  buildPlan,
  defaultSfuLanes,
  designResources,
  type BitWidth,
  type FpgaArch,
  type FpgaDesign,
} from './fpga-design';
import { estimatePlan, type FpgaEstimate } from './fpga-model';
import type { FpgaBoard } from './types';
import type { SparsityConfig, Workload } from './workload';

export interface SearchOptions {
  bitWidths?: readonly BitWidth[];
  /** Tile-only design: 'random' (default, the prior design) or 'balanced'. */
  tileBalance?: 'random' | 'balanced';
}

export type FpgaSearchResult =
  | { ok: true; board: FpgaBoard; arch: FpgaArch; design: FpgaDesign; estimate: FpgaEstimate; evaluated: number }
  | { ok: false; board: FpgaBoard; arch: FpgaArch; reason: string; evaluated: number };

/** Largest P whose DSPs and LUTs fit (BRAM is checked by the plan). */
export function maxEngines(
  board: FpgaBoard,
  arch: FpgaArch,
  tr: number,
  tc: number,
  V: number,
  bits: BitWidth,
): number {
  let lo = 0;
  let hi = Math.max(
    1,
    Math.floor(board.dsp.value / Math.max(1e-9, tr * V * FPGA_CONSTANTS.dspPerMac[board.dspFamily][bits])),
  );
  const fits = (P: number) => {
    const r = designResources(board, { arch, P, tr, tc, V, bits, sfuLanes: defaultSfuLanes(P, tr, V) });
    return (
      r.dsp <= board.dsp.value * FPGA_CONSTANTS.maxDspShare && r.lut <= board.lut.value * FPGA_CONSTANTS.maxLutShare
    );
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Candidate engine counts: every P up to 24, then a geometric ladder (x0.9) down from pMax.
 *  (Latency falls with P except where weights stop fitting on chip or chunks split tile-rows;
 *  the ladder samples both effects at ~10% resolution.) */
function engineCandidates(pMax: number): number[] {
  const set = new Set<number>();
  for (let p = 1; p <= Math.min(24, pMax); p++) set.add(p);
  for (let p = pMax; p > 24; p = Math.floor(p * 0.9)) set.add(p);
  return [...set].sort((a, b) => b - a);
}

/** Columns per cycle to try: powers of two up to Tc, and for HP engines also k, k/2 and k/3
 *  (rounded up), so a kept-column count like 18 of 32 is consumed without idle lanes. */
export function columnCandidates(arch: FpgaArch, s: SparsityConfig): number[] {
  const set = new Set<number>();
  for (let V = 1; V <= s.tc; V *= 2) set.add(V);
  if (arch === 'hp' && s.pattern !== 'dense') {
    const k = Math.min(s.tc, Math.max(1, Math.round(s.vectorDensity * s.tc)));
    for (const div of [1, 2, 3]) set.add(Math.ceil(k / div));
  }
  return [...set].sort((a, b) => a - b);
}

export function searchDesign(
  board: FpgaBoard,
  arch: FpgaArch,
  w: Workload,
  opts: SearchOptions = {},
): FpgaSearchResult {
  const s = w.sparsity;
  if (!archRuns(arch, s))
    return { ok: false, board, arch, reason: `the ${arch} design cannot run the '${s.pattern}' pattern`, evaluated: 0 };
  const { tr, tc } = s;
  let best: { design: FpgaDesign; estimate: FpgaEstimate } | null = null;
  let lastMisfit = 'no design fits';
  let evaluated = 0;
  for (const bits of opts.bitWidths ?? BIT_WIDTHS) {
    for (const V of columnCandidates(arch, s)) {
      const pMax = maxEngines(board, arch, tr, tc, V, bits);
      if (pMax < 1) {
        lastMisfit = `one engine of ${tr}x${V} ${bits} MACs does not fit ${board.dsp.value} DSPs`;
        continue;
      }
      for (const P of engineCandidates(pMax)) {
        const design: FpgaDesign = {
          arch,
          P,
          tr,
          tc,
          V,
          bits,
          sfuLanes: defaultSfuLanes(P, tr, V),
          ...(arch === 'tile' ? { tileBalance: opts.tileBalance ?? 'random' } : {}),
        };
        const plan = buildPlan(board, design, w);
        evaluated++;
        if (plan.misfit) {
          lastMisfit = plan.misfit;
          continue;
        }
        const estimate = estimatePlan(plan, w);
        if (
          !best ||
          estimate.latencyMs < best.estimate.latencyMs * (1 - 1e-9) ||
          (estimate.latencyMs <= best.estimate.latencyMs * (1 + 1e-9) &&
            estimate.plan.resources.dsp < best.estimate.plan.resources.dsp)
        ) {
          best = { design, estimate };
        }
      }
    }
  }
  if (!best) return { ok: false, board, arch, reason: lastMisfit, evaluated };
  return { ok: true, board, arch, ...best, evaluated };
}
