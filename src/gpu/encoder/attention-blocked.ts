// Register-blocked attention as two outer products ('r<QB>q<QM>k<KM>t<KT>' variants), generated
// with every per-thread loop written out (named registers, no arrays a loop indexes):
// one workgroup a (block of QB queries, head, sequence), keys and values KT at a time.
//  - Q (pre-scaled by scale * log2(e), so the softmax is exp2) and each key tile sit in workgroup
//    memory transposed, qt[d][query quad] and kt[d][key quad]: thread (qg, kg) computes a QM x KM
//    block of scores (queries qg*QM .., key quads kg, kg + KG, ...) as D steps of QM/4 + KM/4 vec4
//    reads feeding QM * KM multiply-adds (4 x 8: 3 reads for 32; the q1c16s2v kernel it replaces
//    reads one quad a key for 4). The key's mask bias (0, -1e30 padding, -3e38 past the sequence)
//    starts each score.
//  - Row maxima: each thread's partial maxima go through workgroup memory, one thread a row keeps the
//    running maximum (online softmax across key tiles) and alpha = exp2(old - new).
//  - P = exp2(score - max) is written transposed, P^T[key][query quad], over the spent key tile;
//    then thread (split ps, query octet pg, head quad pc) adds P^T[j][pg's two quads] * V[j][pc]
//    over its split's keys into 8 accumulators: 2 + 1 reads for 32 multiply-adds. Lane D of every
//    value is 1, so lane D of the accumulator is the softmax's sum.
//  - The splits' accumulators meet in workgroup memory; each output is divided by its row's sum.
// All K/V/Q global loads of a tile are issued before any of its stores (registers kq_i / vq_i).
// `ablate` (bench only, wrong results by design): ABLATIONS' bits, each leaving a stage out.
import { ablated, blockAttention, LANES, shapeFits, type BlockAttention, type QkvRows } from './attention-tiled';
import { attentionEmitter, range } from './attention-unrolled';

/** Kept variants (BENCHMARKS.md, issue 19 ninth pass). */
export const BLOCKED_ATTENTION_VARIANTS = [
  'r32q4k8t128',
  'r32q4k4t128',
  'r16q4k4t128',
  'r64q4k8t64',
  'r64q4k4t64',
  'r32q4k8t64',
  'r64q4k8t64p',
  'r32q4k8t64p',
  'r128q4k8t32p',
] as const;

/** Queries a thread of the value product. */
const QP = 8;
/** At most this many key splits of the value product (their merge shares the P^T buffer). */
const MAX_KS = 4;

export interface BlockedShape {
  /** The next key tile's loads issued during this one's ('p'). */
  prefetch: boolean;
  qb: number;
  qm: number;
  km: number;
  kt: number;
  threads: number;
  qg: number;
  kg: number;
  dp4: number;
  /** Query octets of the value product, its key splits and keys a split. */
  qgp: number;
  ks: number;
  kps: number;
  /** P^T's row pitch in quads. */
  ps: number;
  /** Quads of the K^T / P^T / merge buffer. */
  kp: number;
  storageBytes: number;
}

export function parseBlockedVariant(
  name: string,
): { qb: number; qm: number; km: number; kt: number; prefetch: boolean } | null {
  const m = /^r(\d+)q(\d+)k(\d+)t(\d+)(p?)$/.exec(name);
  return m ? { qb: Number(m[1]), qm: Number(m[2]), km: Number(m[3]), kt: Number(m[4]), prefetch: m[5] === 'p' } : null;
}

/** The variant's sizes at head size d, or why it cannot run. */
export function blockedShape(variant: string, d: number): BlockedShape | string {
  const v = parseBlockedVariant(variant);
  if (!v) return `'${variant}' is not a blocked attention variant`;
  const { qb, qm, km, kt, prefetch } = v;
  if (qm % 4 || km % 4 || qb % qm || qb % QP || kt % km || kt % 4) return `'${variant}' has an unusable tile`;
  const qg = qb / qm;
  const kg = kt / km;
  const threads = qg * kg;
  const dp4 = Math.floor(d / 4) + 1;
  const qgp = qb / QP;
  if (qgp * dp4 > threads) return `head size ${d} needs more threads than '${variant}' has`;
  let ks = 1;
  while (ks < MAX_KS && 2 * ks * qgp * dp4 <= threads && kt % (2 * ks) === 0) ks *= 2;
  const ps = qb / 4 + 1;
  const kp = Math.max(d * (kt / 4), kt * ps, ks * qb * dp4);
  const quads = (d * qb) / 4 + kp + kt / 4 + kt * dp4 + 2 * (qb / 4);
  const storageBytes = 16 * quads + 4 * kg * qb;
  return { prefetch, qb, qm, km, kt, threads, qg, kg, dp4, qgp, ks, kps: kt / ks, ps, kp, storageBytes };
}

export function blockedFits(device: GPUDevice, variant: string, d: number): boolean {
  return shapeFits(device, blockedShape(variant, d));
}

/** The kernel's WGSL body (after the constants and the Q/K/V load functions). */
export function blockedAttentionWgsl(s: BlockedShape, d: number, ablate = 0): string {
  const { qm, km, threads, kt, dp4 } = s;
  const QM4 = range(qm / 4);
  const KM4 = range(km / 4);
  const R = range(qm);
  const PR = range(QP);
  const { noLoads, noScores, noValues, noExp } = ablated(ablate);
  const exp2 = (x: string) => (noExp ? `(${x})` : `exp2(${x})`);
  const { lines, emit } = attentionEmitter();
  emit(0, 'var<workgroup> qt: array<vec4<f32>, D * QB4>;');
  emit(0, 'var<workgroup> kp: array<vec4<f32>, KP>;');
  emit(0, 'var<workgroup> kb: array<vec4<f32>, KT4>;');
  emit(0, 'var<workgroup> vs: array<array<vec4<f32>, DP4>, KT>;');
  emit(0, 'var<workgroup> red: array<vec4<f32>, KG * QB4>;');
  emit(0, 'var<workgroup> mrow: array<vec4<f32>, QB4>;');
  emit(0, 'var<workgroup> alpha: array<vec4<f32>, QB4>;');
  emit(0, '@compute @workgroup_size(T)');
  emit(0, 'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {');
  emit(1, 'let seq = p.seq;', 'let base = wid.z * seq;', 'let col = live_head(wid.y) * D;', 'let q0 = wid.x * QB;');
  emit(1, 'let qscale = p.scale * 1.4426950408889634;');
  // Stores to workgroup memory are whole vec4s with constant lanes (no index into a vector that
  // is not a constant): a thread loads a 4 x 4 block (4 rows, one quad of the head each) and writes
  // it transposed. Queries first; rows past the end duplicate the last row (never stored).
  const quadsOf = (name: string) => range(4).map((u) => `${name}${u}`);
  const transposed = (indent: number, dst: (l: number) => string, c: string, names: string[], scale = '') => {
    for (const l of range(4)) {
      const v = `vec4<f32>(${names.map((x) => `${x}.${LANES[l]}`).join(', ')})${scale}`;
      emit(indent, `if (4u * ${c} + ${l}u < D) { ${dst(l)} = ${v}; }`);
    }
  };
  emit(1, 'for (var idx = lid; idx < QB4 * DP4; idx += T) {');
  emit(2, 'let rq = idx % QB4;', 'let c = idx / QB4;');
  for (const u of range(4)) {
    const at = `(base + min(q0 + 4u * rq + ${u}u, seq - 1u)) * STRIDE + QO + col`;
    emit(2, noLoads ? `let x${u} = vec4<f32>(1.0);` : `let x${u} = quad_q(${at}, 4u * c);`);
  }
  transposed(2, (l) => `qt[(4u * c + ${l}u) * QB4 + rq]`, 'c', quadsOf('x'), ' * qscale');
  emit(1, '}');
  emit(1, 'for (var r = lid; r < QB4; r += T) { mrow[r] = vec4<f32>(-3.0e38); }');
  emit(1, 'let kg = lid % KG;', 'let qg = lid / KG;');
  emit(1, 'let pc = lid % DP4;', 'let pg = (lid / DP4) % QGP;', 'let ps = lid / (DP4 * QGP);');
  for (const r of PR) emit(1, `var a${r} = vec4<f32>(0.0);`);
  // The key and value tile: item (key quad jq, head quad c) = 4 keys' quads of K and of V; every
  // item's loads are issued before any store. With prefetch ('p'), the next tile's loads are issued
  // right after this tile's stores, into the same registers, and waited for only at the next
  // tile's stores.
  const load = (indent: number, t0: string) => {
    for (const i of range(nit)) {
      for (const u of range(4)) {
        emit(indent, `{ let j = ${t0} + 4u * jq${i} + ${u}u;`);
        if (!noLoads) {
          emit(indent + 1, `if (i${i} < KT4 * DP4 && j < seq) {`, `  let at = (base + j) * STRIDE + col;`);
          emit(
            indent + 1,
            `  k${i}_${u} = quad_k(at + KO, 4u * c${i});`,
            `  v${i}_${u} = quad_v(at + VO, 4u * c${i});`,
          );
          emit(indent + 1, '} else {', `  k${i}_${u} = vec4<f32>(0.0);`, `  v${i}_${u} = vec4<f32>(0.0);`, '}');
        }
        emit(indent, '}');
      }
    }
  };
  const nit = Math.ceil(((kt / 4) * dp4) / threads);
  for (const i of range(nit)) {
    emit(1, `let i${i} = lid + ${i * threads}u;`, `let jq${i} = i${i} % KT4;`, `let c${i} = i${i} / KT4;`);
    emit(1, `let spare${i} = 4u * c${i} + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(D);`);
    for (const u of range(4)) emit(1, `var k${i}_${u} = vec4<f32>(0.0);`, `var v${i}_${u} = vec4<f32>(0.0);`);
  }
  if (s.prefetch) load(1, '0u');
  emit(1, 'for (var t0 = 0u; t0 < seq; t0 += KT) {');
  if (!s.prefetch) load(2, 't0');
  for (const i of range(nit)) {
    emit(2, `if (i${i} < KT4 * DP4) {`);
    transposed(3, (l) => `kp[(4u * c${i} + ${l}u) * KT4 + jq${i}]`, `c${i}`, quadsOf(`k${i}_`));
    for (const u of range(4))
      emit(3, `vs[4u * jq${i} + ${u}u][c${i}] = select(v${i}_${u}, vec4<f32>(1.0), spare${i});`);
    emit(2, '}');
  }
  if (s.prefetch) {
    emit(2, 'if (t0 + KT < seq) {');
    load(3, 't0 + KT');
    emit(2, '}');
  }
  emit(2, 'for (var jq = lid; jq < KT4; jq += T) {');
  emit(3, 'var bias = vec4<f32>(-3.0e38);');
  for (const u of range(4)) {
    emit(3, `{ let j = t0 + 4u * jq + ${u}u;`);
    emit(3, `  if (j < seq) { bias.${LANES[u]} = select(-1.0e30, 0.0, mask[base + j] != 0u); } }`);
  }
  emit(3, 'kb[jq] = bias;');
  emit(2, '}');
  emit(2, 'workgroupBarrier();');
  // Scores: QM rows x KM/4 key quads, each a vec4 over 4 keys.
  for (const n of KM4) for (const r of R) emit(2, `var s${r}_${n} = kb[kg + ${n * s.kg}u];`);
  if (!noScores) {
    for (const e of range(d)) {
      for (const i of QM4) emit(2, `let q${e}_${i} = qt[${e}u * QB4 + qg * ${qm / 4}u + ${i}u];`);
      for (const n of KM4) emit(2, `let k${e}_${n} = kp[${e}u * KT4 + kg + ${n * s.kg}u];`);
      for (const r of R)
        for (const n of KM4)
          emit(2, `s${r}_${n} = fma(vec4<f32>(q${e}_${r >> 2}.${LANES[r & 3]}), k${e}_${n}, s${r}_${n});`);
    }
  }
  // Partial row maxima, then the running maximum and alpha, one thread a query quad.
  const rowMax = (r: number) =>
    KM4.map((n) => `max(max(s${r}_${n}.x, s${r}_${n}.y), max(s${r}_${n}.z, s${r}_${n}.w))`).reduce(
      (x, y) => `max(${x}, ${y})`,
    );
  for (const i of QM4) {
    const quad = range(4).map((ii) => rowMax(4 * i + ii));
    emit(2, `red[kg * QB4 + qg * ${qm / 4}u + ${i}u] = vec4<f32>(${quad.join(', ')});`);
  }
  emit(2, 'workgroupBarrier(); // also: every read of K^T is done, P^T may overwrite it');
  emit(2, 'for (var rq = lid; rq < QB4; rq += T) {');
  emit(3, 'var mx = red[rq];', 'for (var g = 1u; g < KG; g++) { mx = max(mx, red[g * QB4 + rq]); }');
  emit(3, 'let mo = mrow[rq];', 'let mn = max(mo, mx);');
  emit(3, `alpha[rq] = ${exp2('mo - mn')};`, 'mrow[rq] = mn;');
  emit(2, '}');
  emit(2, 'workgroupBarrier();');
  for (const i of QM4) emit(2, `let m${i} = mrow[qg * ${qm / 4}u + ${i}u];`);
  for (const r of R)
    for (const n of KM4) emit(2, `let p${r}_${n} = ${exp2(`s${r}_${n} - vec4<f32>(m${r >> 2}.${LANES[r & 3]})`)};`);
  for (const n of KM4)
    for (const jj of range(4))
      for (const i of QM4) {
        const quad = range(4).map((ii) => `p${4 * i + ii}_${n}.${LANES[jj]}`);
        emit(
          2,
          `kp[(4u * (kg + ${n * s.kg}u) + ${jj}u) * PS + qg * ${qm / 4}u + ${i}u] = vec4<f32>(${quad.join(', ')});`,
        );
      }
  emit(2, 'workgroupBarrier();');
  // Values: this split's keys of the tile (keys past the sequence have P = 0 and V = 0).
  emit(2, 'if (lid < KS * QGP * DP4) {');
  for (const i of range(QP / 4)) emit(3, `let al${i} = alpha[pg * ${QP / 4}u + ${i}u];`);
  for (const r of PR) emit(3, `a${r} *= al${r >> 2}.${LANES[r & 3]};`);
  emit(3, 'let j1 = min(ps * KPS + KPS, seq - t0);');
  emit(3, 'for (var j = ps * KPS; j < j1; j++) {');
  emit(4, 'let vv = vs[j][pc];');
  for (const i of range(QP / 4)) emit(4, `let pp${i} = kp[j * PS + pg * ${QP / 4}u + ${i}u];`);
  if (!noValues) for (const r of PR) emit(4, `a${r} = fma(vec4<f32>(pp${r >> 2}.${LANES[r & 3]}), vv, a${r});`);
  else for (const r of PR) emit(4, `a${r} += pp${r >> 2}.${LANES[r & 3]};`);
  emit(3, '}');
  emit(2, '}');
  emit(2, 'workgroupBarrier(); // the next tile (or the merge) overwrites kp and vs');
  emit(1, '}');
  // The splits meet in kp; each output divided by its row's sum (lane D).
  emit(1, 'if (lid < KS * QGP * DP4) {');
  for (const r of PR) emit(2, `kp[(ps * QB + pg * ${QP}u + ${r}u) * DP4 + pc] = a${r};`);
  emit(1, '}');
  emit(1, 'workgroupBarrier();');
  // Thread (row, head quad): the splits' sums, divided by the row's (lane D of the spare quad).
  emit(1, 'for (var idx = lid; idx < QB * DP4; idx += T) {');
  emit(2, 'let c = idx % DP4;', 'let r = idx / DP4;', 'let i = q0 + r;');
  emit(2, 'if (i < seq && 4u * c < D) {', '  var o = vec4<f32>(0.0);', '  var l = 0.0;');
  emit(2, '  for (var x = 0u; x < KS; x++) {', '    let at = (x * QB + r) * DP4;');
  emit(2, '    o += kp[at + c];', `    l += kp[at + ${Math.floor(d / 4)}u].${LANES[d % 4]};`, '  }');
  emit(2, '  let y = o / l;', '  let at = (base + i) * H + col + 4u * c;');
  for (const l of range(4)) emit(2, `  if (4u * c + ${l}u < D) { ctx[at + ${l}u] = y.${LANES[l]}; }`);
  emit(2, '}');
  emit(1, '}');
  emit(0, '}');
  return lines.join('\n');
}

export function createBlockedAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  ablate = 0,
): BlockAttention<BlockedShape> {
  return blockAttention(device, hidden, heads, qkv, variant, ablate, {
    shape: blockedShape,
    fits: blockedFits,
    source: (shape, d) => {
      const { qb, kt, threads, qg, kg, dp4, qgp, ks, kps, ps, kp } = shape;
      return {
        consts: {
          ...{ DP4: dp4, QB: qb, QB4: qb / 4, KT: kt, KT4: kt / 4, T: threads, QG: qg, KG: kg },
          ...{ QGP: qgp, KS: ks, KPS: kps, PS: ps, KP: kp },
        },
        body: blockedAttentionWgsl(shape, d, ablate),
      };
    },
  });
}
