// Attention with K/V in key tiles of workgroup memory, one row a thread ('h<QPT>w<QW>s<S>c<KC>[t<KT>][v|r]'
// variants), generated with every per-thread loop written out. One workgroup a (block of QW
// queries, head, sequence); QW / QPT query slots x S key splits threads, thread (slot, split)
// holding QPT query rows (Q in registers) and taking the key chunks split, split + S, ... of KC keys
// of each tile:
//  - K and V of KT keys at a time (the whole sequence, rounded up to S x KC, without 't') as rows
//    of head quads in workgroup memory. Lane D of each key row holds its mask bias (0; -1e30 padding
//    or past the sequence), lane D of each value row 1 (0 past the sequence), so a score starts at
//    its bias and lane D of a row's value accumulator is the softmax's sum (no separate sum).
//  - Q pre-scaled by scale * log2(e), so the softmax is exp2; each chunk's scores are chains of
//    fma() over a key row read once for the thread's QPT rows (a broadcast: a subgroup's lanes are
//    consecutive slots of one split), then the chunk's maximum (online softmax across chunks),
//    P = exp2(score - max), the accumulators rescaled once a chunk, and P.V over the value rows.
//  - After the last tile, over its rows: splits 1 .. S-1 leave (max, accumulators) for split 0 to
//    merge, then split 0 leaves the normalised rows and every thread stores them, consecutive
//    threads consecutive floats of ctx (a thread storing its own row wrote 32 rows a store).
// Why tiles: on the H200 (Dawn/Vulkan) an SM held about 48 KiB of these workgroups' memory
// (BENCHMARKS.md, issue 19 twelfth pass: time against batch steps where the workgroups an SM
// overflow it), so the whole 128-key K/V (28 KiB) left one workgroup an SM and 64-key tiles
// (14 KiB) three. The merge and the output reuse the tile, so they cost no memory of their own.
// The read form ('v', 'r' after the name, given AttentionCall.valueDims): the value rows and
// accumulators hold only the value dims a later kernel reads (each head's in Params.dims, gathered
// through vmap), the sum in lane 0; only those context columns are stored ('r': a head's product
// skips the quads past its own read dims, a uniform branch).
// The pipeline depends on KT, the queries a workgroup (QW, or fewer for a short sequence) and the
// read form's NV: one per triple, compiled on first use. `ablate` (bench only, wrong results by
// design): ABLATIONS' loads, scores, values and exp.
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import loadPairsWgsl from './attention-load-pairs.wgsl?raw';
import { bindingLayout, compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { GpuLimitError } from '../limits';
import {
  ablated,
  attentionLayout,
  LANES,
  pairLoads,
  shapeFits,
  type AttentionEncode,
  type QkvRows,
} from './attention-tiled';
import { attentionEmitter, range } from './attention-unrolled';

/** Kept after the H200 runs (BENCHMARKS.md, issue 19 twelfth pass, helper 19g; µs a layer alone at
 *  B=32 L=128 / L=64, q1c16s2f 42.0 / 15.2): h1w128s2c16t64 38.9 / 12.9 ('auto' at B=32),
 *  h1w64s2c16t32 39.9 / 13.5 (and 21.0 / 36.0 at B=16 / 24 L=128, where q1c16s2f takes 22.5 /
 *  37.7). Tried there and not kept: the whole sequence staged at once (h1w128s2c16 52.6 with the
 *  rows stored a thread a row), two rows a thread (h2..: 166-705, spills likely), 8- and 32-key chunks,
 *  four splits, 32-query workgroups, Q staged through workgroup memory ('q': 41.0-43.0), a row's
 *  head over two lanes of a subgroup ('d': 45.1-125). The read form ('v': the value product over the
 *  read dims alone, a pipeline for the most a head of the layer reads; 'r': also each head's product
 *  over its own quads only; thirteenth pass, helper 19a), B=32 L=128 HP 90 %, 4 layers in the engine:
 *  'r' 0.1297-0.1311 ms against 0.1372-0.1379, but the forward 0.4751-0.4772 against 0.4649-0.469;
 *  'v' 0.1488, h1w128s2c8t64r 0.1427: kept as options, not 'auto'. Fifteenth pass (helper 19b), B=32
 *  L=128, µs alone at 6 / 9 / 11 / 12 live heads, h1w128s2c16t64 24.6 / 37.7 / 37.7 / 38.4 (2 an SM,
 *  registers, counted): one split a query, 128 invocations and 3 an SM (workgroup memory):
 *  h1w128s1c16t64 25.3 / 34.4 / 33.6 / 34.4 and h1w64s2c16t64 20.5 / 33.6 / 38.1 / 37.9 ('auto' now);
 *  more splits of fewer queries (finer workgroups, merged in halving steps) lost: h1w64s4c16t64 26.9
 *  / 36.0 / 42.0 / 41.0, h1w32s8c8t64 28.7 / 46.1 / 54.6 / 54.6; 8- and 4-key chunks (h1w128s2c8t64:
 *  41.0 at 9-12, still 2 an SM) too. */
export const WHOLE_ATTENTION_VARIANTS = [
  'h1w128s2c16t64',
  'h1w64s2c16t32',
  'h1w128s2c16t64v',
  'h1w128s2c16t64r',
  'h1w64s2c16t32v',
  'h1w64s2c16t32r',
  'h1w64s4c16t64',
  'h1w64s4c8t64',
  'h1w32s8c8t64',
  'h1w128s1c16t64',
  'h1w64s2c16t64',
  'h1w128s2c8t64',
  'h1w128s2c4t64',
] as const;

export function parseWholeVariant(
  name: string,
): { qpt: number; qw: number; s: number; kc: number; kt?: number; read: '' | 'v' | 'r' } | null {
  const m = /^h(\d+)w(\d+)s(\d+)c(\d+)(?:t(\d+))?([vr]?)$/.exec(name);
  if (!m) return null;
  const [qpt, qw, s, kc] = [m[1], m[2], m[3], m[4]].map(Number);
  return { qpt, qw, s, kc, ...(m[5] ? { kt: Number(m[5]) } : {}), read: m[6] as '' | 'v' | 'r' };
}

export interface WholeShape {
  qpt: number;
  /** Queries a workgroup at this sequence length (QW, or fewer for a short sequence). */
  qw: number;
  s: number;
  kc: number;
  /** Query slots (QW / QPT) and threads (slots x S). */
  qs: number;
  threads: number;
  /** Keys a tile (the whole sequence rounded up to S x KC where the name fixes none), quads a
   *  key row (lane D spare), rows of the K/V array (2 KT, or the merge's / output's rows where more). */
  kt: number;
  dp4: number;
  kvr: number;
  /** Merge rows (each split's max a query row): S - 1 a slot, or S / 2 with the tree merge. */
  mln: number;
  storageBytes: number;
  /** Value dims read ('read' form: at most NV of a head's D, listed per head in Params.dims; the
   *  value rows and accumulators hold those alone, the sum in lane 0), or undefined: all D. */
  nv?: number;
  /** 'r': the value product of a head skips the accumulator quads past its own read dims. */
  skip: boolean;
  /** The splits merged in halving steps (S > 2, a power of two), not one after another by split 0. */
  tree: boolean;
}

/** The variant's sizes at head size d over seq keys, or why not; `valueDims`: the most value dims a
 *  head reads ('v' and 'r' variants then take the read form; head sizes up to 32, the bits of a
 *  Params.dims word; ignored by the others). */
export function wholeShape(variant: string, d: number, seq: number, valueDims?: number): WholeShape | string {
  const v = parseWholeVariant(variant);
  if (!v) return `'${variant}' is not a whole-sequence attention variant`;
  const { qpt, s, kc } = v;
  if (qpt < 1 || s < 1 || kc < 1 || v.qw % (32 * qpt) !== 0) return `'${variant}' has an unusable block`;
  if (v.kt !== undefined && (v.kt < 1 || v.kt % (s * kc) !== 0)) return `'${variant}': KT is not a multiple of S x KC`;
  const nv = v.read && d <= 32 ? valueDims : undefined;
  if (nv !== undefined && (!Number.isInteger(nv) || nv < 0 || nv > d))
    return `'${variant}': ${nv} value dims read of a head of ${d}`;
  const unit = 32 * qpt;
  const qw = Math.min(v.qw, Math.max(unit, Math.ceil(seq / unit) * unit));
  const qs = qw / qpt;
  const whole = Math.max(1, Math.ceil(seq / (s * kc))) * s * kc;
  const kt = Math.min(v.kt ?? whole, whole);
  const dp4 = Math.floor(d / 4) + 1;
  // More than two splits, a power of two: merged in halving steps (S/2 rows a slot, not S-1).
  const tree = s > 2 && (s & (s - 1)) === 0;
  const mln = Math.max(1, (tree ? s / 2 : s - 1) * qw);
  const kvr = Math.max(2 * kt, mln, qw);
  const storageBytes = kvr * dp4 * 16 + mln * 4 + (nv === undefined ? 0 : 4 * d);
  const read = nv === undefined ? {} : { nv };
  const skip = v.read === 'r';
  return { qpt, qw, s, kc, qs, threads: qs * s, kt, dp4, kvr, mln, storageBytes, ...read, skip, tree };
}

export function wholeFits(device: GPUDevice, variant: string, d: number, seq: number): boolean {
  return shapeFits(device, wholeShape(variant, d, seq));
}

/** The kernel's WGSL body (after the constants and the load functions). `probe` (bench only): each
 *  workgroup counts itself in and out of binding 6 (as residency.wgsl: live now, the most live at
 *  once, finished), so the bench reads how many of this very kernel an SM holds. */
export function wholeAttentionWgsl(s: WholeShape, d: number, ablate = 0, probe = false): string {
  const { qpt, kc, nv } = s;
  const read = nv !== undefined;
  const { noLoads, noScores, noValues, noExp } = ablated(ablate);
  const exp2 = (x: string) => (noExp ? `(${x})` : `exp2(${x})`);
  const R = range(qpt);
  const N = range(kc);
  const d4 = Math.ceil(d / 4);
  const C = range(d4);
  const spare = Math.floor(d / 4);
  const sl = LANES[d % 4];
  // Value rows and accumulators: all D dims and the sum in lane D (VQ quads), or in the read form
  // the sum in lane 0 and the head's read dims in lanes 1 .. NV (VQ = NV / 4 + 1).
  const vq = read ? Math.floor(nv / 4) + 1 : spare + 1;
  const last = vq - 1;
  const P = range(vq);
  // The last quad's accumulator keeps its live lanes alone: AW lanes.
  const aw = read ? nv + 1 - 4 * last : (d % 4) + 1;
  const accType = (c: number) => (c < last || aw === 4 ? 'vec4<f32>' : aw === 1 ? 'f32' : `vec${aw}<f32>`);
  const part = (x: string, c: number) => (c < last || aw === 4 ? x : `${x}.${LANES.slice(0, aw).join('')}`);
  // An accumulator as a whole quad (the last one padded with zeros).
  const quad = (x: string, c: number) =>
    c < last || aw === 4
      ? x
      : `vec4<f32>(${x}, ${range(4 - aw)
          .map(() => '0.0')
          .join(', ')})`;
  const sum = (r: number) => (read ? (vq === 1 && aw === 1 ? `a${r}_0` : `a${r}_0.x`) : lane(`a${r}_${last}`, d % 4));
  const lane = (x: string, e: number) => (aw === 1 ? x : `${x}.${LANES[e]}`);
  const { lines, emit } = attentionEmitter(read ? ', dims: array<vec4<u32>, HQ>' : '');
  emit(0, 'var<workgroup> kv: array<array<vec4<f32>, DP4>, KVR>;');
  emit(0, 'var<workgroup> ml: array<f32, MLN>;');
  // The read form: vmap[i], the head's i-th read value dim.
  if (read) emit(0, 'var<workgroup> vmap: array<u32, D>;');
  if (probe) emit(0, '@group(0) @binding(6) var<storage, read_write> probe: array<atomic<u32>, 4>;');
  emit(0, '@compute @workgroup_size(T)');
  emit(0, 'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {');
  if (probe) emit(1, 'if (lid == 0u) { atomicMax(&probe[1], atomicAdd(&probe[0], 1u) + 1u); }');
  emit(1, 'let seq = p.seq;', 'let base = wid.z * seq;', 'let hd = live_head(wid.y);', 'let col = hd * D;');
  emit(1, 'let q0 = wid.x * QW;', 'let slot = lid % QS;', 'let split = lid / QS;');
  emit(1, 'let qscale = p.scale * 1.4426950408889634;');
  if (read) {
    // Rank of each read dim among the head's (set bits below it); more than NV read: the first NV.
    emit(1, 'let dm = p.dims[hd / 4u][hd % 4u];', 'let nr = min(countOneBits(dm), NV);');
    emit(1, 'if (lid < D && ((dm >> lid) & 1u) != 0u) {');
    emit(2, 'let rank = countOneBits(dm & ((1u << lid) - 1u));', 'if (rank < NV) { vmap[rank] = lid; }');
    emit(1, '}');
    if (s.skip) emit(1, 'let nq = (nr + 4u) / 4u; // quads with a read dim (lane 0: the sum)');
  }
  for (const r of R) {
    emit(1, `let qa${r} = (base + min(q0 + slot + ${r}u * QS, seq - 1u)) * STRIDE + QO + col;`);
    for (const c of C) emit(1, `let q${r}_${c} = quad_q(qa${r}, ${4 * c}u) * qscale;`);
    emit(1, `var m${r} = -3.0e38;`);
    for (const c of P) emit(1, `var a${r}_${c} = ${accType(c)}(0.0);`);
  }
  emit(1, 'for (var t0 = 0u; t0 < seq; t0 += KT) {');
  // The read form: the first tile waits for vmap.
  emit(
    2,
    read ? 'workgroupBarrier(); // the previous tile spent (the first: vmap)' : 'if (t0 > 0u) { workgroupBarrier(); }',
  );
  // K (lane D: the mask bias) and V (the sum's lane: 1) of keys t0 .. t0+KT-1.
  emit(2, 'for (var idx = lid; idx < KT * DP4; idx += T) {');
  emit(3, 'let jj = idx / DP4;', 'let j = t0 + jj;', 'let c = idx % DP4;');
  emit(3, 'var kq = vec4<f32>(0.0);', 'var vq = vec4<f32>(0.0);', 'if (j < seq) {');
  emit(4, 'let r = (base + j) * STRIDE + col;');
  if (!noLoads) emit(4, 'kq = quad_k(r + KO, 4u * c);');
  if (!noLoads && !read) emit(4, 'vq = quad_v(r + VO, 4u * c);');
  if (read) {
    // Compact lane e: the sum (e = 0) or read dim e - 1.
    // Lanes written out (no runtime index into vq: a local array the compiler may not keep in registers).
    emit(4, 'if (c < VQ) {');
    for (const l of range(4)) {
      const set = `vq.${LANES[l]} = one_v(r + VO + vmap[e - 1u]);`;
      emit(5, `{ let e = 4u * c + ${l}u;`);
      emit(
        5,
        noLoads
          ? `  if (e == 0u) { vq.x = 1.0; }`
          : l
            ? `  if (e <= nr) { ${set} }`
            : `  if (e == 0u) { vq.x = 1.0; } else if (e <= nr) { ${set} }`,
      );
      emit(5, '}');
    }
    emit(4, '}');
  }
  emit(4, `if (c == ${spare}u) {`);
  emit(5, `kq.${sl} = select(-1.0e30, 0.0, mask[base + j] != 0u);`);
  if (!read) emit(5, `vq.${sl} = 1.0;`);
  emit(4, '}');
  emit(3, `} else if (c == ${spare}u) {`, `  kq.${sl} = -1.0e30;`, '}');
  emit(3, 'kv[jj][c] = kq;', read ? 'if (c < VQ) { kv[KT + jj][c] = vq; }' : 'kv[KT + jj][c] = vq;');
  emit(2, '}');
  emit(2, 'workgroupBarrier();');
  emit(2, 'let kn = min(KT, seq - t0);');
  emit(2, 'for (var c0 = split * KC; c0 < kn; c0 += S * KC) {');
  for (const n of N) {
    emit(3, `let kr${n} = c0 + ${n}u;`);
    // The bias lane starts the score; then the head's lanes in order.
    emit(3, `let kb${n} = kv[kr${n}][${spare}u].${sl};`);
    for (const r of R) emit(3, `var s${r}_${n} = kb${n};`);
    for (const c of noScores ? [] : C) {
      emit(3, `{ let kk = kv[kr${n}][${c}u];`);
      for (const r of R) {
        const lanes = range(Math.min(4, d - 4 * c));
        const chain = lanes.reduce((acc, e) => `fma(q${r}_${c}.${LANES[e]}, kk.${LANES[e]}, ${acc})`, `s${r}_${n}`);
        emit(4, `s${r}_${n} = ${chain};`);
      }
      emit(3, '}');
    }
  }
  const tree = (xs: string[]): string =>
    xs.length === 1 ? xs[0] : `max(${tree(xs.slice(0, xs.length >> 1))}, ${tree(xs.slice(xs.length >> 1))})`;
  for (const r of R) {
    emit(3, `let mx${r} = max(m${r}, ${tree(N.map((n) => `s${r}_${n}`))});`);
    emit(3, `let sc${r} = ${exp2(`m${r} - mx${r}`)};`, `m${r} = mx${r};`);
    for (const n of N) emit(3, `s${r}_${n} = ${exp2(`s${r}_${n} - mx${r}`)};`);
  }
  const pv = (c: number, n: number, indent: number) => {
    emit(indent, `{ let vv = ${part(`kv[KT + kr${n}][${c}u]`, c)};`);
    for (const r of R) {
      const p = `${accType(c)}(s${r}_${n})`;
      emit(indent + 1, noValues ? `a${r}_${c} += ${p};` : `a${r}_${c} = fma(${p}, vv, a${r}_${c});`);
    }
    emit(indent, '}');
  };
  if (read && s.skip) {
    // A quad at a time, each past the first only where the head reads a dim of it (uniform).
    for (const c of P) {
      if (c > 0) emit(3, `if (${c}u < nq) {`);
      const i = c > 0 ? 4 : 3;
      for (const r of R) emit(i, `a${r}_${c} *= sc${r};`);
      for (const n of N) pv(c, n, i);
      if (c > 0) emit(3, '}');
    }
  } else {
    for (const r of R) for (const c of P) emit(3, `a${r}_${c} *= sc${r};`);
    for (const n of N) for (const c of P) pv(c, n, 3);
  }
  emit(2, '}');
  emit(1, '}');
  emit(1, 'workgroupBarrier(); // the last tile spent: its rows take the merge and the output');
  if (s.tree) {
    // Halving steps: splits h .. 2h-1 leave (max, accumulators), splits 0 .. h-1 merge their partner
    // h above; S/2 rows a slot at most (the sequential merge below holds S-1).
    for (let h = s.s / 2; h >= 1; h /= 2) {
      emit(1, `if (split >= ${h}u && split < ${2 * h}u) {`);
      for (const r of R) {
        emit(2, `{ let row = ((split - ${h}u) * QS + slot) * QPT + ${r}u;`, `  ml[row] = m${r};`);
        for (const c of P) emit(2, `  kv[row][${c}u] = ${quad(`a${r}_${c}`, c)};`);
        emit(2, '}');
      }
      emit(1, '}', 'workgroupBarrier();', `if (split < ${h}u) {`);
      for (const r of R) {
        emit(2, `{ let row = (split * QS + slot) * QPT + ${r}u;`, `  let mx = max(m${r}, ml[row]);`);
        emit(2, `  let f0 = exp2(m${r} - mx);`, '  let f = exp2(ml[row] - mx);', `  m${r} = mx;`);
        for (const c of P)
          emit(2, `  a${r}_${c} = fma(${accType(c)}(f), ${part(`kv[row][${c}u]`, c)}, a${r}_${c} * f0);`);
        emit(2, '}');
      }
      emit(1, '}', 'workgroupBarrier();');
    }
  } else if (s.s > 1) {
    // Splits 1 .. S-1 leave (max, accumulators); split 0 merges them.
    emit(1, 'if (split > 0u) {');
    for (const r of R) {
      emit(2, `{ let row = ((split - 1u) * QS + slot) * QPT + ${r}u;`, `  ml[row] = m${r};`);
      for (const c of P) emit(2, `  kv[row][${c}u] = ${quad(`a${r}_${c}`, c)};`);
      emit(2, '}');
    }
    emit(1, '}', 'workgroupBarrier();', 'if (split == 0u) {');
    for (const r of R) {
      emit(2, '{', `  var mx = m${r};`);
      emit(2, `  for (var s2 = 0u; s2 < S - 1u; s2++) { mx = max(mx, ml[(s2 * QS + slot) * QPT + ${r}u]); }`);
      emit(2, `  let f0 = exp2(m${r} - mx);`);
      for (const c of P) emit(2, `  a${r}_${c} *= f0;`);
      emit(2, '  for (var s2 = 0u; s2 < S - 1u; s2++) {', `    let row = (s2 * QS + slot) * QPT + ${r}u;`);
      emit(2, '    let f = exp2(ml[row] - mx);');
      for (const c of P) emit(2, `    a${r}_${c} = fma(${accType(c)}(f), ${part(`kv[row][${c}u]`, c)}, a${r}_${c});`);
      emit(2, '  }', '}');
    }
    emit(1, '}', 'workgroupBarrier();');
  }
  // Rows of the block, normalised, through workgroup memory; then stored by consecutive threads.
  emit(1, 'if (split == 0u) {');
  for (const r of R) {
    emit(2, `{ let inv = 1.0 / ${sum(r)};`);
    for (const c of P) {
      if (!read && c === last && aw === 1) continue; // the sum's quad holds no head dim
      emit(2, `  kv[slot + ${r}u * QS][${c}u] = ${quad(`a${r}_${c} * inv`, c)};`);
    }
    emit(2, '}');
  }
  emit(1, '}', 'workgroupBarrier();');
  if (read) {
    // Only the read dims (nothing reads the others' context columns).
    // Over NV a row (a constant divisor), the row's first nr stored.
    emit(1, 'for (var idx = lid; idx < QW * NV; idx += T) {', '  let qq = idx / NV;', '  let e = idx % NV + 1u;');
    emit(1, '  if (e <= nr && q0 + qq < seq) {');
    emit(1, '    ctx[(base + q0 + qq) * H + col + vmap[e - 1u]] = kv[qq][e / 4u][e % 4u];', '  }', '}');
  } else {
    emit(1, 'for (var idx = lid; idx < QW * D; idx += T) {', '  let qq = idx / D;', '  let e = idx % D;');
    emit(1, '  if (q0 + qq < seq) { ctx[(base + q0 + qq) * H + col + e] = kv[qq][e / 4u][e % 4u]; }', '}');
  }
  if (probe) emit(1, 'workgroupBarrier();', 'if (lid == 0u) { atomicSub(&probe[0], 1u); atomicAdd(&probe[2], 1u); }');
  emit(0, '}');
  return lines.join('\n');
}

export interface WholeAttention {
  layout: KernelLayout;
  queriesPerGroup(seq: number): number;
  encode: AttentionEncode;
}

export function createWholeAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  ablate = 0,
  probe = false,
): WholeAttention {
  const d = hidden / heads;
  const first = wholeShape(variant, d, 1);
  if (typeof first === 'string') throw new RangeError(first);
  const layout = probe
    ? bindingLayout(device, 'encoder.attention.probe', ['uniform', 'read', 'read', 'read', 'read', 'write', 'write'])
    : attentionLayout(device);
  const pipelines = new Map<string, GPUComputePipeline>();
  const shapeAt = (seq: number, valueDims?: number) => {
    const shape = wholeShape(variant, d, seq, valueDims);
    if (typeof shape === 'string') throw new RangeError(shape);
    return shape;
  };
  const pipelineFor = (shape: WholeShape, seq: number) => {
    const key = `${shape.kt}x${shape.qw}${shape.nv === undefined ? '' : ` read ${shape.nv}`}`;
    let pipeline = pipelines.get(key);
    if (pipeline) return pipeline;
    if (!shapeFits(device, shape))
      throw new GpuLimitError(
        `attention variant '${variant}' needs ${shape.storageBytes} bytes of workgroup memory at ${seq} keys; ` +
          `this device allows ${device.limits.maxComputeWorkgroupStorageSize}`,
      );
    const { qpt, qw, qs, threads, kt, dp4, kvr, kc, nv } = shape;
    const consts = {
      ...{ H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v, T: threads, QPT: qpt },
      ...{
        QW: qw,
        QS: qs,
        S: shape.s,
        KC: kc,
        KT: kt,
        DP4: dp4,
        KVR: kvr,
        MLN: shape.mln,
      },
      ...(nv === undefined ? {} : { NV: nv, VQ: Math.floor(nv / 4) + 1, HQ: Math.ceil(heads / 4) }),
    };
    const loads = pairLoads(d, qkv) ? loadPairsWgsl : loadF32Wgsl;
    const code = withConsts(consts, loads, liveHeadWgsl, wholeAttentionWgsl(shape, d, ablate, probe));
    const label = `encoder.attention ${variant} ${key}${ablate ? ` ablate=${ablate}` : ''}${probe ? ' probe' : ''}`;
    pipeline = compilePipeline(device, layout, label, code);
    pipelines.set(key, pipeline);
    return pipeline;
  };
  // The shape and pipeline of each (seq, value dims) seen: a forward encodes one a layer.
  const calls = new Map<string, { pipeline: GPUComputePipeline; qw: number }>();
  const callFor = (seq: number, valueDims?: number) => {
    const key = `${seq}/${valueDims}`;
    let call = calls.get(key);
    if (!call) {
      const shape = shapeAt(seq, valueDims);
      calls.set(key, (call = { pipeline: pipelineFor(shape, seq), qw: shape.qw }));
    }
    return call;
  };
  return {
    layout,
    queriesPerGroup: (seq) => shapeAt(seq).qw,
    encode(pass, bindGroup, batch, seq, liveHeads = heads, call) {
      const { pipeline, qw } = callFor(seq, call?.valueDims);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / qw), liveHeads, batch);
    },
  };
}
