// Attention with a sequence's keys spread over a subgroup's lanes ('g<NSG>m<QM>b<NB>' variants),
// generated with every per-thread loop written out. One workgroup a (block of NSG x QM x NB
// queries, head, sequence), NSG subgroups of SG lanes (the adapter's one subgroup size); the
// whole key range is staged once, so every row's scores sit in the subgroup's registers at once
// (no online softmax) and every row reduction is a subgroup operation (no workgroup memory):
//  - K^T and V in workgroup memory once: lane l owns keys l + SG*j (j < KL = ceil(seq / SG)),
//    K^T as kt[e][group][l], a vector of KW of those keys (KL <= 4: one vector a lane and head
//    element), V as vs[key][head quad] with lane D of the spare quad 1 (the row sum comes out of
//    the value product). The keys' mask biases sit in registers.
//  - Per block of QM rows a subgroup: Q^T (pre-scaled by scale * log2(e), so the softmax is exp2)
//    staged in the subgroup's own slot; scores as D steps of QM/4 + NG broadcast/lane reads
//    feeding QM x KW x NG multiply-adds; each row's maximum a subgroupMax; P = exp2(score - max)
//    stored transposed in the subgroup's slot (P^T[row quad][key]), read back by lanes split into
//    (head quads, key splits): QM/4 + NQ reads feed QM x NQ x 4 multiply-adds; the key splits meet
//    through subgroupShuffleXor, each row's sum comes from the lane holding lane D of the spare quad.
//  - Two workgroup barriers a block (Q^T staged; P^T stored), none for the row reductions.
// The pipeline depends on KL (the sequence length's bucket): one per KL, compiled on first use.
// `ablate` (bench only, wrong results by design): ABLATIONS' loads, scores, values and exp.
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import loadPairsWgsl from './attention-load-pairs.wgsl?raw';
import subgroupCommonWgsl from '../kernels/subgroup-common.wgsl?raw';
import { compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { GpuLimitError } from '../limits';
import { hoistDirectives } from '../kernels/linear-common';
import { deviceHasSubgroups } from '../kernels/subgroup-variant';
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

/** Kept after the H200 runs (BENCHMARKS.md, issue 19 eleventh pass, µs a layer alone): the fastest
 *  of 12 at B=32 L=128 (g8m4b4 56.0; q1c16s2f 42.0), B=32 L=64 (g8m4b2 24.6; 15.2) and B=1 L=128
 *  (g4m4b1 9.1; b16k128n4 7.7). Never the best at a shape: an option, not in 'auto'. */
export const SUBGROUP_ATTENTION_VARIANTS = ['g8m4b4', 'g8m4b2', 'g4m4b1'] as const;

export function parseSubgroupVariant(name: string): { nsg: number; qm: number; nb: number } | null {
  const m = /^g(\d+)m(\d+)b(\d+)$/.exec(name);
  return m ? { nsg: Number(m[1]), qm: Number(m[2]), nb: Number(m[3]) } : null;
}

/** The adapter's one subgroup size, or undefined (no 'subgroups' feature, or a range of sizes). */
export function fixedSubgroupSize(device: GPUDevice): number | undefined {
  if (!deviceHasSubgroups(device)) return undefined;
  const info = (device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const sg = info?.subgroupMinSize;
  return sg && sg === info?.subgroupMaxSize ? sg : undefined;
}

export interface SubgroupShape {
  sg: number;
  nsg: number;
  qm: number;
  nb: number;
  /** Queries a workgroup. */
  qw: number;
  threads: number;
  /** Keys a lane, the width of a lane's key vector and how many vectors (KL <= KW x NG). */
  kl: number;
  kw: number;
  ng: number;
  /** Key slots (NG x KW x SG >= seq). */
  kp: number;
  dp4: number;
  d4: number;
  /** Value product: head-quad slots, quads a lane, key splits. */
  cs: number;
  nq: number;
  ks: number;
  storageBytes: number;
}

/** The variant's sizes at head size d, sequence length seq and subgroup size sg, or why not. */
export function subgroupShape(variant: string, d: number, seq: number, sg: number): SubgroupShape | string {
  const v = parseSubgroupVariant(variant);
  if (!v) return `'${variant}' is not a subgroup attention variant`;
  const { nsg, qm, nb } = v;
  if (qm % 4 || nsg < 1 || nb < 1) return `'${variant}' has an unusable block`;
  if (!(sg >= 4 && (sg & (sg - 1)) === 0)) return `subgroup size ${sg} is not a power of two >= 4`;
  const kl = Math.max(1, Math.ceil(seq / sg));
  const kw = Math.min(kl, 4);
  const ng = Math.ceil(kl / kw);
  const kp = ng * kw * sg;
  const dp4 = Math.floor(d / 4) + 1;
  const d4 = Math.ceil(d / 4);
  const cs = Math.min(8, sg / 2);
  const nq = Math.ceil(dp4 / cs);
  const ks = sg / cs;
  const vecBytes = kw === 1 ? 4 : kw === 2 ? 8 : 16;
  const storageBytes = d * ng * sg * vecBytes + kp * dp4 * 16 + nsg * (qm / 4) * (kp + d) * 16 + 4;
  return { sg, nsg, qm, nb, qw: nsg * qm * nb, threads: nsg * sg, kl, kw, ng, kp, dp4, d4, cs, nq, ks, storageBytes };
}

/** Whether the device runs the variant at head size d over seq keys. */
export function subgroupFits(device: GPUDevice, variant: string, d: number, seq: number): boolean {
  const sg = fixedSubgroupSize(device);
  if (!sg) return false;
  return shapeFits(device, subgroupShape(variant, d, seq, sg));
}

/** The kernel's WGSL body (after the constants, subgroup-common.wgsl and the load functions). */
export function subgroupAttentionWgsl(s: SubgroupShape, d: number, ablate = 0): string {
  const { qm, kw, ng, cs, nq, ks, sg } = s;
  const { noLoads, noScores, noValues, noExp } = ablated(ablate);
  const exp2 = (x: string) => (noExp ? `(${x})` : `exp2(${x})`);
  const R = range(qm);
  const RQ = range(qm / 4);
  const G = range(ng);
  const W = range(kw);
  const Q = range(nq);
  const kv = kw === 1 ? 'f32' : `vec${kw}<f32>`;
  const kvOf = (xs: string[]) => (kw === 1 ? xs[0] : `${kv}(${xs.join(', ')})`);
  const comp = (x: string, w: number) => (kw === 1 ? x : `${x}.${LANES[w]}`);
  const { lines, emit } = attentionEmitter();
  emit(0, `var<workgroup> kt: array<${kv}, D * NG * SG>;`);
  emit(0, 'var<workgroup> vs: array<array<vec4<f32>, DP4>, KP>;');
  emit(0, '/** Each subgroup: Q^T of its block (D x QM4 quads), then P^T (QM4 x KP quads). */');
  emit(0, 'var<workgroup> slot: array<vec4<f32>, NSG * QM4 * (KP + D)>;');
  emit(0, '@compute @workgroup_size(T)');
  emit(
    0,
    'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,',
    '        @builtin(subgroup_invocation_id) lane: u32) {',
  );
  emit(1, 'let sgi = claimSubgroupSlot(lid);');
  emit(1, 'let seq = p.seq;', 'let base = wid.z * seq;', 'let col = live_head(wid.y) * D;', 'let q0 = wid.x * QW;');
  emit(1, 'let qscale = p.scale * 1.4426950408889634;', 'let qts = sgi * QM4 * (KP + D);', 'let pts = qts + D * QM4;');
  // K^T: item (head quad c, group g, lane l) loads the quads of the group's KW keys and stores
  // them transposed, one lane-vector per head element.
  emit(1, 'for (var idx = lid; idx < D4 * NG * SG; idx += T) {');
  emit(2, 'let l = idx % SG;', 'let g = (idx / SG) % NG;', 'let c = idx / (SG * NG);');
  for (const w of W) {
    emit(2, `var x${w} = vec4<f32>(0.0);`, `{ let j = (g * KW + ${w}u) * SG + l;`);
    if (!noLoads) emit(2, `  if (j < seq) { x${w} = quad_k((base + j) * STRIDE + KO + col, 4u * c); }`);
    emit(2, '}');
  }
  for (const u of range(4)) {
    const val = kvOf(W.map((w) => `x${w}.${LANES[u]}`));
    emit(2, `if (4u * c + ${u}u < D) { kt[((4u * c + ${u}u) * NG + g) * SG + l] = ${val}; }`);
  }
  emit(1, '}');
  // V, with lane D of the spare quad 1; zeros past the sequence.
  emit(1, 'for (var idx = lid; idx < KP * DP4; idx += T) {');
  emit(2, 'let c = idx % DP4;', 'let j = idx / DP4;', 'var x = vec4<f32>(0.0);', 'if (j < seq) {');
  if (!noLoads) emit(3, 'x = quad_v((base + j) * STRIDE + VO + col, 4u * c);');
  emit(3, 'x = select(x, vec4<f32>(1.0), 4u * c + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(D));', '}');
  emit(2, 'vs[j][c] = x;');
  emit(1, '}');
  // This lane's keys' mask biases: 0, -1e30 (padding), -3e38 (past the sequence).
  for (const g of G) {
    for (const w of W) {
      emit(1, `var b${g}_${w} = -3.0e38;`, `{ let j = ${g * kw + w}u * SG + lane;`);
      emit(1, `  if (j < seq) { b${g}_${w} = select(-1.0e30, 0.0, mask[base + j] != 0u); } }`);
    }
    emit(1, `let kb${g} = ${kvOf(W.map((w) => `b${g}_${w}`))};`);
  }
  emit(1, 'let cl = lane % CS;', 'let ks = lane / CS;');
  // The value loop takes U keys a split a trip (keys past the sequence: P = 0, V = 0).
  const U = s.kp % (4 * ks) === 0 ? 4 : 1;
  emit(1, `let kend = (min(seq, KP) + ${U * ks - 1}u) / ${U * ks}u * ${U * ks}u;`);
  emit(1, 'for (var blk = 0u; blk < NB; blk++) {');
  emit(2, 'let r0 = q0 + (blk * NSG + sgi) * QM;');
  // Q^T of the block: item (row quad rq, head quad c), rows past the end duplicating the last.
  emit(2, 'workgroupBarrier(); // the previous block is done with this slot');
  emit(2, 'for (var idx = lane; idx < QM4 * D4; idx += SG) {');
  emit(3, 'let rq = idx % QM4;', 'let c = idx / QM4;');
  for (const u of range(4)) {
    const at = `(base + min(r0 + 4u * rq + ${u}u, seq - 1u)) * STRIDE + QO + col`;
    emit(3, noLoads ? `let x${u} = vec4<f32>(1.0);` : `let x${u} = quad_q(${at}, 4u * c);`);
  }
  for (const u of range(4)) {
    const val = `vec4<f32>(${range(4)
      .map((r) => `x${r}.${LANES[u]}`)
      .join(', ')}) * qscale`;
    emit(3, `if (4u * c + ${u}u < D) { slot[qts + (4u * c + ${u}u) * QM4 + rq] = ${val}; }`);
  }
  emit(2, '}');
  emit(2, 'workgroupBarrier();');
  // Scores: row r's keys of group g in s{r}_{g}, started at their biases.
  for (const r of R) for (const g of G) emit(2, `var s${r}_${g} = kb${g};`);
  if (!noScores) {
    for (const e of range(d)) {
      for (const rq of RQ) emit(2, `let q${e}_${rq} = slot[qts + ${e * (qm / 4) + rq}u];`);
      for (const g of G) emit(2, `let k${e}_${g} = kt[${e * ng + g}u * SG + lane];`);
      for (const r of R)
        for (const g of G) {
          const qv = `q${e}_${r >> 2}.${LANES[r & 3]}`;
          emit(2, `s${r}_${g} = fma(${kw === 1 ? qv : `${kv}(${qv})`}, k${e}_${g}, s${r}_${g});`);
        }
    }
  }
  // Row maxima over the subgroup, P = exp2(score - max), stored as P^T[row quad][key].
  const lmax = (r: number) => G.flatMap((g) => W.map((w) => comp(`s${r}_${g}`, w))).reduce((x, y) => `max(${x}, ${y})`);
  for (const r of R) emit(2, `let m${r} = subgroupMax(${lmax(r)});`);
  for (const r of R)
    for (const g of G) emit(2, `s${r}_${g} = ${exp2(`s${r}_${g} - ${kw === 1 ? `m${r}` : `${kv}(m${r})`}`)};`);
  for (const rq of RQ)
    for (const g of G)
      for (const w of W) {
        const val = `vec4<f32>(${range(4)
          .map((i) => comp(`s${4 * rq + i}_${g}`, w))
          .join(', ')})`;
        emit(2, `slot[pts + ${rq}u * KP + ${g * kw + w}u * SG + lane] = ${val};`);
      }
  emit(2, 'workgroupBarrier();');
  // Values: lane (head quads cl + CS * i, key split ks) over keys ks, ks + KS, ...
  for (const r of R) for (const i of Q) emit(2, `var a${r}_${i} = vec4<f32>(0.0);`);
  emit(2, `for (var t0 = 0u; t0 < kend; t0 += ${U}u * KS) {`);
  for (const u of range(U)) {
    emit(3, `let tk${u} = t0 + ${u}u * KS + ks;`);
    for (const rq of RQ) emit(3, `let pp${u}_${rq} = slot[pts + ${rq}u * KP + tk${u}];`);
    for (const i of Q) emit(3, `let vv${u}_${i} = vs[tk${u}][min(cl + ${cs * i}u, DP4 - 1u)];`);
  }
  for (const u of range(U))
    for (const r of R)
      for (const i of Q) {
        const pv = `vec4<f32>(pp${u}_${r >> 2}.${LANES[r & 3]})`;
        emit(3, noValues ? `a${r}_${i} += ${pv};` : `a${r}_${i} = fma(${pv}, vv${u}_${i}, a${r}_${i});`);
      }
  emit(2, '}');
  for (let off = cs; off < sg; off *= 2)
    for (const r of R) for (const i of Q) emit(2, `a${r}_${i} += subgroupShuffleXor(a${r}_${i}, ${off}u);`);
  // Each row's sum: lane D of the spare quad (quad floor(D / 4)), held by lane (that quad) % CS.
  const spare = Math.floor(d / 4);
  for (const r of R)
    emit(2, `let l${r} = subgroupShuffle(a${r}_${Math.floor(spare / cs)}.${LANES[d % 4]}, ${spare % cs}u);`);
  // Rows r with r % KS == ks are this lane's to store.
  for (const r of R) {
    emit(2, `if (ks == ${r % ks}u && r0 + ${r}u < seq) {`, `  let at = (base + r0 + ${r}u) * H + col;`);
    for (const i of Q) {
      emit(2, `  { let c = cl + ${cs * i}u;`, `    if (c < D4) {`, `      let y = a${r}_${i} / l${r};`);
      for (const u of range(4)) emit(2, `      if (4u * c + ${u}u < D) { ctx[at + 4u * c + ${u}u] = y.${LANES[u]}; }`);
      emit(2, '    }', '  }');
    }
    emit(2, '}');
  }
  emit(1, '}');
  emit(0, '}');
  return lines.join('\n');
}

export interface SubgroupAttention {
  layout: KernelLayout;
  qw: number;
  encode: AttentionEncode;
}

export function createSubgroupAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  ablate = 0,
): SubgroupAttention {
  const d = hidden / heads;
  const sg = fixedSubgroupSize(device);
  if (!sg) throw new RangeError(`attention variant '${variant}' needs subgroups of one fixed size`);
  const first = subgroupShape(variant, d, 1, sg);
  if (typeof first === 'string') throw new RangeError(first);
  const layout = attentionLayout(device);
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (seq: number) => {
    const shape = subgroupShape(variant, d, seq, sg);
    if (typeof shape === 'string') throw new RangeError(shape);
    let pipeline = pipelines.get(shape.kl);
    if (pipeline) return pipeline;
    if (!subgroupFits(device, variant, d, seq))
      throw new GpuLimitError(
        `attention variant '${variant}' needs ${shape.storageBytes} bytes of workgroup memory at ${seq} keys; ` +
          `this device allows ${device.limits.maxComputeWorkgroupStorageSize}`,
      );
    const { nsg, qm, nb, qw, threads, kl, kw, ng, kp, dp4, d4, cs, ks } = shape;
    const consts = {
      ...{ H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v, SG: sg, NSG: nsg, T: threads },
      ...{ QM: qm, QM4: qm / 4, NB: nb, QW: qw, KL: kl, KW: kw, NG: ng, KP: kp, DP4: dp4, D4: d4, CS: cs, KS: ks },
    };
    const code = hoistDirectives(
      withConsts(
        consts,
        subgroupCommonWgsl,
        pairLoads(d, qkv) ? loadPairsWgsl : loadF32Wgsl,
        liveHeadWgsl,
        subgroupAttentionWgsl(shape, d, ablate),
      ),
    );
    const label = `encoder.attention ${variant} kl=${kl}${ablate ? ` ablate=${ablate}` : ''}`;
    pipeline = compilePipeline(device, layout, label, code);
    pipelines.set(kl, pipeline);
    return pipeline;
  };
  return {
    layout,
    qw: first.qw,
    encode(pass, bindGroup, batch, seq, liveHeads = heads) {
      pass.setPipeline(pipelineFor(seq));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / first.qw), liveHeads, batch);
    },
  };
}
