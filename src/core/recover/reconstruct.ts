// Layer-wise reconstruction of one pruned linear layer y = x Wᵀ with its mask kept exactly:
// the kept weights W' minimise ||X Wᵀ - X W'ᵀ||² + λ ||W - W'||² over the calibration inputs X,
// given only H = Xᵀ X. λ = damp · mean(diag H) pulls W' toward W where the data says little
// (a huge damp gives back the one-shot weights).
//
// Two solvers, chosen per matrix by their operation counts:
//  - grouped (exact): consecutive rows with the same kept set S share one Cholesky factor of
//    H_SS + λI and solve for all their rows at once: w'_S = (H_SS + λI)⁻¹ (H + λI)_S: w. In HP
//    (and tile-only, vector-only) every row of a tile-row keeps the same m·k columns, so one
//    factorisation serves Tr rows; for per-row patterns at high sparsity the per-row systems are
//    small enough to solve exactly too.
//  - sweep (SparseGPT's column sweep with the mask fixed): one upper Cholesky factor U of
//    (H + λI)⁻¹; column by column, each pruned weight is zeroed and its error spread over the
//    row's later columns. Not the exact optimum (earlier kept weights are not revisited), but
//    O(in³ + out·in²) whatever the masks, which suits unstructured, N:M and row-balanced rows.
import { choleskyInPlace, choleskySolveInPlace, lowerInverseTransposed } from './cholesky';
import { WasmSolver } from './wasm-solve';

export const RECOVER_METHODS = ['auto', 'grouped', 'sweep'] as const;
export type RecoverMethod = (typeof RECOVER_METHODS)[number];

/** SparseGPT's default: 1 % of the mean input energy. */
export const DEFAULT_DAMP = 0.01;

export interface ReconstructInput {
  /** W, row-major out x in (dense: the weights before pruning). */
  weight: Float32Array;
  out: number;
  in: number;
  /** 1 = kept, out x in. */
  mask: Uint8Array;
  /** H = Xᵀ X, in x in, symmetric (not modified). */
  gram: Float64Array;
  /**
   * Optional targets other than X Wᵀ: Xᵀ Y (in x out, row-major) for outputs Y, e.g. the dense
   * model's outputs on its own inputs. Then W' minimises ||X W'ᵀ - Y||² + λ ||W - W'||².
   */
  cross?: Float64Array;
  /**
   * Optional: fit the bias too (an intercept column: the input gets a constant 1, W gets the
   * bias as its last column, always kept). When the inputs are not centred, the bias can take
   * up the mean of what the pruned weights contributed: b' = b + (W - W') mean(x) at the least.
   */
  intercept?: Intercept;
}

export interface Intercept {
  /** The dense bias (out). */
  bias: Float32Array;
  /** Σ_t x_t over the calibration tokens (in). */
  inputSum: Float64Array;
  tokens: number;
  /** With `cross`: Σ_t (y_t - bias) of the targets (out). */
  targetSum?: Float64Array;
}

export interface ReconstructOptions {
  damp?: number;
  method?: RecoverMethod;
  /**
   * Grouped solver only: solve just the row groups that start in [start, end) (the rest of W'
   * stays 0), so that threads can share one matrix's solves: each group is solved the same way
   * whoever solves it, so the parts put together are the whole solution, bit for bit.
   */
  rows?: readonly [number, number];
}

export interface ReconstructResult {
  /** W' row-major out x in: zero wherever the mask is zero. */
  weight: Float32Array;
  method: Exclude<RecoverMethod, 'auto'>;
  /** Row groups that shared one factorisation (grouped), or 1 (sweep). */
  factorisations: number;
  /** The fitted bias (out), with `intercept`. */
  bias?: Float32Array;
}

export function reconstructLinear(input: ReconstructInput, options: ReconstructOptions = {}): ReconstructResult {
  const { weight, out, in: n, mask, gram } = input;
  const damp = options.damp ?? DEFAULT_DAMP;
  if (weight.length !== out * n) throw new RangeError(`weight has ${weight.length} values, expected ${out} x ${n}`);
  if (mask.length !== out * n) throw new RangeError(`mask has ${mask.length} entries, expected ${out} x ${n}`);
  if (gram.length !== n * n) throw new RangeError(`Gram matrix has ${gram.length} entries, expected ${n} x ${n}`);
  if (!(damp >= 0) || !Number.isFinite(damp)) throw new RangeError(`damping must be a finite number >= 0, got ${damp}`);
  const { cross } = input;
  if (cross && cross.length !== n * out)
    throw new RangeError(`cross term has ${cross.length} entries, expected ${n} x ${out}`);
  if (input.intercept) return withIntercept(input, input.intercept, damp, options);
  return solve(weight, out, n, mask, gram, dampedGram(gram, n, damp), cross, options.method ?? 'auto', options.rows);
}

/** W' for the damped H (`h`); `gram` undamped (the damping on the diagonal is h - gram). */
function solve(
  weight: Float32Array,
  out: number,
  n: number,
  mask: Uint8Array,
  gram: Float64Array,
  h: Float64Array,
  cross: Float64Array | undefined,
  requested: RecoverMethod,
  rows?: readonly [number, number],
): ReconstructResult {
  const all = rowGroups(mask, out, n);
  const method = requested === 'auto' ? chooseMethod(mask, out, n, cross !== undefined, all) : requested;
  const groups = rows ? all.filter(([start]) => start >= rows[0] && start < rows[1]) : all;
  const rhs = cross && { cross, out, diag: diagonalDifference(h, gram, n) };
  const w =
    method === 'grouped'
      ? solveGroups(weight, n, mask, h, groups, rhs)
      : sweepColumns(cross ? targetWeights(weight, out, n, h, rhs!) : weight, out, n, mask, h);
  return { weight: w, method, factorisations: method === 'grouped' ? groups.length : 1 };
}

/** H + λI with λ = damp · mean(diag H) (or the given λ); an input that never fires (H_jj = 0)
 *  gets 1 on the diagonal, so its weight stays as it was instead of making H singular. */
export function dampedGram(
  gram: Float64Array,
  n: number,
  damp: number,
  lambda = dampingOf(gram, n, damp),
): Float64Array {
  const h = gram.slice();
  for (let j = 0; j < n; j++) h[j * n + j] = (gram[j * n + j] === 0 ? 1 : gram[j * n + j]) + lambda;
  return h;
}

/** λ = damp · mean(diag H). */
function dampingOf(gram: Float64Array, n: number, damp: number): number {
  let mean = 0;
  for (let j = 0; j < n; j++) mean += gram[j * n + j];
  mean /= n || 1;
  return damp * (mean > 0 ? mean : 1);
}

/** The problem with the input extended by a constant 1 and W by its bias (kept in every row),
 *  solved as any other; λ is the inputs' own (the intercept is damped towards the dense bias
 *  with the same weight). */
function withIntercept(
  input: ReconstructInput,
  c: Intercept,
  damp: number,
  options: ReconstructOptions,
): ReconstructResult {
  const { weight, out, in: n, mask, gram, cross } = input;
  if (c.bias.length !== out || c.inputSum.length !== n || (cross && c.targetSum?.length !== out))
    throw new RangeError(`intercept: bias, input sum and target sum must have ${out}, ${n} and ${out} entries`);
  const m = n + 1;
  const gram1 = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    gram1.set(gram.subarray(i * n, i * n + n), i * m);
    gram1[i * m + n] = gram1[n * m + i] = c.inputSum[i];
  }
  gram1[n * m + n] = c.tokens;
  const weight1 = new Float32Array(out * m);
  const mask1 = new Uint8Array(out * m);
  for (let r = 0; r < out; r++) {
    weight1.set(weight.subarray(r * n, r * n + n), r * m);
    weight1[r * m + n] = c.bias[r];
    mask1.set(mask.subarray(r * n, r * n + n), r * m);
    mask1[r * m + n] = 1;
  }
  // Targets with the bias back in: X̃ᵀ Y = [Xᵀ (Y - b) + (Σ x) bᵀ ; Σ (y - b) + T bᵀ].
  let cross1: Float64Array | undefined;
  if (cross) {
    cross1 = new Float64Array(m * out);
    for (let i = 0; i < n; i++)
      for (let o = 0; o < out; o++) cross1[i * out + o] = cross[i * out + o] + c.inputSum[i] * c.bias[o];
    for (let o = 0; o < out; o++) cross1[n * out + o] = c.targetSum![o] + c.tokens * c.bias[o];
  }
  const h1 = dampedGram(gram1, m, damp, dampingOf(gram, n, damp));
  const r = solve(weight1, out, m, mask1, gram1, h1, cross1, options.method ?? 'auto', options.rows);
  const w = new Float32Array(out * n);
  const bias = new Float32Array(out);
  for (let row = 0; row < out; row++) {
    w.set(r.weight.subarray(row * m, row * m + n), row * n);
    bias[row] = r.weight[row * m + n];
  }
  return { ...r, weight: w, bias };
}

/** The solver 'auto' picks: the one with fewer operations (`cross`: targets given as Xᵀ Y). */
export function chooseMethod(
  mask: Uint8Array,
  out: number,
  n: number,
  cross: boolean,
  groups = rowGroups(mask, out, n),
): Exclude<RecoverMethod, 'auto'> {
  const extra = cross ? n ** 3 / 3 + 2 * n * n * out : 0; // the sweep's unconstrained solve for the targets
  return groupedCost(groups, mask, n) <= sweepCost(mask, out, n) + extra ? 'grouped' : 'sweep';
}

/** rowGroups' answers per mask (a run asks for each mask's groups from every solve, linear and plan,
 *  on every thread: ~0.15 s a thread of row comparisons in a CPU profile, for the same answer). */
const knownGroups = new WeakMap<Uint8Array, { out: number; n: number; groups: Array<[number, number]> }>();

/** [start, end) runs of consecutive rows with identical masks (a fresh array; the mask must not
 *  change while it is in use: its groups are remembered). */
export function rowGroups(mask: Uint8Array, out: number, n: number): Array<[number, number]> {
  const known = knownGroups.get(mask);
  if (known && known.out === out && known.n === n) return known.groups.slice();
  const groups = findRowGroups(mask, out, n);
  knownGroups.set(mask, { out, n, groups });
  return groups.slice();
}

function findRowGroups(mask: Uint8Array, out: number, n: number): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  let start = 0;
  for (let r = 1; r <= out; r++) {
    if (r < out && sameRow(mask, start * n, r * n, n)) continue;
    groups.push([start, r]);
    start = r;
  }
  return groups;
}

function sameRow(mask: Uint8Array, a: number, b: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (mask[a + j] !== mask[b + j]) return false;
  return true;
}

export function keptColumns(mask: Uint8Array, row: number, n: number): number[] {
  const cols: number[] = [];
  for (let j = 0; j < n; j++) if (mask[row * n + j]) cols.push(j);
  return cols;
}

/** Multiply-adds of the grouped solver: factorisation, right-hand sides, solves. */
export function groupedCost(groups: Array<[number, number]>, mask: Uint8Array, n: number): number {
  let cost = 0;
  for (const [start, end] of groups) {
    let s = 0;
    for (let j = 0; j < n; j++) s += mask[start * n + j];
    cost += s ** 3 / 3 + s * n * (end - start) + 2 * s * s * (end - start);
  }
  return cost;
}

/** Multiply-adds of the sweep: factor + triangular inverse, then one trailing axpy per pruned weight. */
function sweepCost(mask: Uint8Array, out: number, n: number): number {
  let pruned = 0;
  for (let i = 0; i < mask.length; i++) pruned += 1 - mask[i];
  return n ** 3 / 2 + pruned * (n / 2);
}

/** Targets given as Xᵀ Y: `diag` is the damping on H's diagonal (λ, or 1 + λ for a dead input). */
interface CrossTargets {
  cross: Float64Array;
  out: number;
  diag: Float64Array;
}

/** The unconstrained W~ with (H + λI) w~_r = (Xᵀ Y)_r + λ w_r: reconstructing W~ under the mask
 *  (H-weighted) is the same problem as fitting the targets Y. */
function targetWeights(weight: Float32Array, out: number, n: number, h: Float64Array, t: CrossTargets): Float32Array {
  const l = h.slice();
  choleskyInPlace(l, n);
  const b = new Float64Array(n * out);
  for (let j = 0; j < n; j++)
    for (let r = 0; r < out; r++) b[j * out + r] = t.cross[j * out + r] + t.diag[j] * weight[r * n + j];
  choleskySolveInPlace(l, n, b, out);
  const w = new Float32Array(out * n);
  for (let j = 0; j < n; j++) for (let r = 0; r < out; r++) w[r * n + j] = b[j * out + r];
  return w;
}

let solver: WasmSolver | undefined; // one per thread

function solveGroups(
  weight: Float32Array,
  n: number,
  mask: Uint8Array,
  h: Float64Array,
  groups: Array<[number, number]>,
  targets?: CrossTargets,
): Float32Array {
  const result = new Float32Array(weight.length);
  for (const [start, end] of groups) {
    const cols = keptColumns(mask, start, n);
    const s = cols.length;
    if (s === 0) continue; // the rows keep nothing: all zero
    const rows = end - start;
    const a = new Float64Array(s * s);
    for (let p = 0; p < s; p++) {
      const hp = cols[p] * n;
      for (let q = 0; q <= p; q++) a[p * s + q] = h[hp + cols[q]];
    }
    choleskyInPlace(a, s);
    // Right-hand sides b[p][r] = (H + λI)[S_p, :] · w_r: the kept inputs' correlation with the
    // dense row's output, pruned weights included (that is what the kept weights make up for).
    const b = new Float64Array(s * rows);
    if (targets) {
      // b[p][r] = (Xᵀ Y)[S_p][r] + λ w_r[S_p]: the kept inputs' correlation with the target outputs.
      const { cross, out, diag } = targets;
      for (let p = 0; p < s; p++) {
        const j = cols[p];
        for (let r = 0; r < rows; r++)
          b[p * rows + r] = cross[j * out + start + r] + diag[j] * weight[(start + r) * n + j];
      }
    }
    if (!targets) rowProducts(h, n, cols, Float64Array.from(weight.subarray(start * n, end * n)), rows, b);
    (solver ??= new WasmSolver()).choleskySolve(a, s, b, rows); // choleskySolveInPlace's bits
    for (let p = 0; p < s; p++) for (let r = 0; r < rows; r++) result[(start + r) * n + cols[p]] = b[p * rows + r];
  }
  return result;
}

/** b[p][r] = H[cols[p]] · w_r for the group's rows w (rows x n, float64): two rows of H by four
 *  weight rows at a time, so each loaded value serves several products. */
function rowProducts(h: Float64Array, n: number, cols: number[], w: Float64Array, rows: number, b: Float64Array) {
  const s = cols.length;
  for (let p = 0; p < s; p += 2) {
    const two = p + 1 < s;
    const h0 = cols[p] * n,
      h1 = two ? cols[p + 1] * n : h0;
    for (let r = 0; r < rows; r += 4) {
      const w0 = r * n,
        w1 = Math.min(r + 1, rows - 1) * n,
        w2 = Math.min(r + 2, rows - 1) * n,
        w3 = Math.min(r + 3, rows - 1) * n;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      for (let j = 0; j < n; j++) {
        const u = h[h0 + j],
          v = h[h1 + j];
        const x0 = w[w0 + j],
          x1 = w[w1 + j],
          x2 = w[w2 + j],
          x3 = w[w3 + j];
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
        c0 += v * x0;
        c1 += v * x1;
        c2 += v * x2;
        c3 += v * x3;
      }
      const sums = [a0, a1, a2, a3];
      const sums1 = [c0, c1, c2, c3];
      for (let q = 0; q < 4 && r + q < rows; q++) {
        b[p * rows + r + q] = sums[q];
        if (two) b[(p + 1) * rows + r + q] = sums1[q];
      }
    }
  }
}

function sweepColumns(weight: Float32Array, out: number, n: number, mask: Uint8Array, h: Float64Array): Float32Array {
  const u = upperCholeskyOfInverse(h, n);
  const w = Float64Array.from(weight);
  for (let i = 0; i < n; i++) {
    const ui = i * n;
    const inv = 1 / u[ui + i];
    for (let r = 0; r < out; r++) {
      const wr = r * n;
      if (mask[wr + i]) continue;
      const err = w[wr + i] * inv;
      if (err !== 0) for (let j = i + 1; j < n; j++) w[wr + j] -= err * u[ui + j];
      w[wr + i] = 0;
    }
  }
  return Float32Array.from(w);
}

/**
 * U upper triangular with U ᵀU = H⁻¹, without forming H⁻¹: if P reverses the index order and
 * P H P = M Mᵀ (Cholesky), then H⁻¹ = (P M⁻ᵀ P)(P M⁻¹ P), so U = P M⁻¹ P.
 */
export function upperCholeskyOfInverse(h: Float64Array, n: number): Float64Array {
  const rev = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) rev[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
  choleskyInPlace(rev, n);
  const mInvT = lowerInverseTransposed(rev, n); // mInvT[b][a] = M⁻¹[a][b]
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = mInvT[(n - 1 - j) * n + (n - 1 - i)];
  return u;
}

/** tr((W - W') H (W - W')ᵀ) = ||X Wᵀ - X W'ᵀ||²: how far W' is from reproducing W's outputs. */
export function reconstructionError(
  w: Float32Array,
  wNew: Float32Array,
  gram: Float64Array,
  out: number,
  n: number,
): number {
  const e = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < out; r++) {
    for (let j = 0; j < n; j++) e[j] = w[r * n + j] - wNew[r * n + j];
    for (let i = 0; i < n; i++) {
      if (e[i] === 0) continue;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += gram[i * n + j] * e[j];
      total += e[i] * acc;
    }
  }
  return total;
}

/** diag(h) - diag(gram) (n x n each). */
function diagonalDifference(h: Float64Array, gram: Float64Array, n: number): Float64Array {
  const diag = new Float64Array(n);
  for (let j = 0; j < n; j++) diag[j] = h[j * n + j] - gram[j * n + j];
  return diag;
}
