// One matrix, one pattern: scores -> selection -> mask (+ HPMatrix for HP-structured patterns).
import { tileGrid, validateShape } from '../formats/hp';
import { pruneNM, pruneRowBalanced, pruneUnstructured } from './baselines';
import { hpScores, pruneHP } from './hp-prune';
import { checkSparsity, planHP, planHPDirect, type HPPlan } from './hp-plan';
import { elementScores } from './scores';
import { isHPStructured, PATTERNS, type MatrixInput, type MatrixPruneResult, type PruneConfig } from './types';

/** Default N:M group size when N follows the sparsity: M = 20 hits 50/70/80/90/95 % exactly. */
export const DEFAULT_NM_M = 20;

export function validateConfig(c: PruneConfig): void {
  if (!PATTERNS.includes(c.pattern))
    throw new RangeError(`unknown pattern '${c.pattern}' (one of ${PATTERNS.join(', ')})`);
  checkSparsity(c.sparsity);
  for (const v of Object.values(c.groupSparsity ?? {})) checkSparsity(v as number);
  if (isHPStructured(c.pattern)) {
    if (!Number.isInteger(c.tr) || c.tr < 1) throw new RangeError(`tile rows must be a positive integer, got ${c.tr}`);
    if (!Number.isInteger(c.tc) || c.tc < 1 || c.tc > 256)
      throw new RangeError(`tile columns must be an integer in [1, 256] (u8 offsets), got ${c.tc}`);
    if (!(c.split >= 0 && c.split <= 1)) throw new RangeError(`split must be in [0, 1], got ${c.split}`);
  }
}

/** The (m, k) a config gives for a matrix with `tilesPerRow` tiles per tile-row. */
export function planFor(c: PruneConfig, tilesPerRow: number, sparsity: number): HPPlan {
  if (c.pattern === 'tile') return planHP(tilesPerRow, c.tc, sparsity, 1);
  if (c.pattern === 'vector') return planHP(tilesPerRow, c.tc, sparsity, 0);
  if (c.keep) return planHPDirect(tilesPerRow, c.tc, c.keep.tile, c.keep.vector);
  return planHP(tilesPerRow, c.tc, sparsity, c.split);
}

export function targetSparsity(c: PruneConfig, group: MatrixInput['group']): number {
  return (group && c.groupSparsity?.[group]) ?? c.sparsity;
}

export function pruneMatrix(input: MatrixInput, c: PruneConfig): MatrixPruneResult {
  validateConfig(c);
  const { name, out, in: nIn, weight } = input;
  const scores = elementScores(weight, out, nIn, c.score, input.inputNorms);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new RangeError(`${name}: weight or input norm at index ${i} is not finite`);
  }
  const target = targetSparsity(c, input.group);
  const density = 1 - target;
  const total = out * nIn;
  const done = (
    mask: Uint8Array,
    params: Record<string, number>,
    kept = countOnes(mask),
    hp?: MatrixPruneResult['hp'],
  ): MatrixPruneResult => ({
    name,
    out,
    in: nIn,
    mask,
    hp,
    targetSparsity: target,
    achievedSparsity: 1 - kept / total,
    kept,
    params,
  });
  switch (c.pattern) {
    case 'hp':
    case 'tile':
    case 'vector': {
      const { tilesPerRow } = tileGrid({ out, in: nIn, tr: c.tr, tc: c.tc });
      const plan = planFor(c, tilesPerRow, target);
      const shape = { out, in: nIn, tr: c.tr, tc: c.tc, m: plan.m, k: plan.k };
      validateShape(shape);
      const sel = pruneHP(weight, scores, shape, hpScores(scores, out, nIn, c.tr, c.tc));
      return done(sel.mask, { m: plan.m, k: plan.k, tilesPerRow, tr: c.tr, tc: c.tc }, sel.kept, sel.hp);
    }
    case 'unstructured': {
      const { mask, keep } = pruneUnstructured(scores, density);
      return done(mask, { keep }, keep);
    }
    case 'row-balanced': {
      const { mask, perRow } = pruneRowBalanced(scores, out, nIn, density);
      return done(mask, { perRow }, perRow * out);
    }
    case 'nm': {
      const groupM = c.nmM ?? DEFAULT_NM_M;
      const n = c.nmN ?? Math.round(groupM * density);
      return done(pruneNM(scores, out, nIn, n, groupM), { n, m: groupM });
    }
  }
}

export function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

/** W with the pruned weights set to zero (a new array). */
export function applyMask(weight: Float32Array, mask: Uint8Array): Float32Array {
  if (weight.length !== mask.length) throw new RangeError(`mask has ${mask.length} entries, weight ${weight.length}`);
  const w = new Float32Array(weight.length);
  for (let i = 0; i < w.length; i++) if (mask[i]) w[i] = weight[i];
  return w;
}
