// Attention that stages nothing in workgroup memory ('n<QPT>w<QW>c<KC>[a]' variants), generated with
// every per-thread loop written out. One workgroup a (block of QW queries, head, sequence), QW / QPT
// threads, each holding QPT query rows (Q pre-scaled by scale * log2(e), so the softmax is exp2) and
// their accumulators in registers, walking every key of the sequence in chunks of KC:
//  - each key's K and V row read straight from the storage buffers at an address the same for every
//    lane (a broadcast from L1), once for the thread's QPT rows; no barrier anywhere;
//  - a score starts at the key's mask bias (0; -1e30 padding; -3e38 past the sequence, so the clamped
//    reads of a last partial chunk weigh exactly 0 once any key is seen), then chains of fma();
//  - online softmax over the chunks (the chunk's maximum, P = exp2(score - max), the accumulators and
//    the row sum rescaled once a chunk); the row sum is its own register, not a spare lane (nothing
//    is staged that could hold it);
//  - each thread stores its own normalised rows (float pairs where the head size is even).
// Why: every staged form (attention-whole.ts and older) is held to 2-3 workgroups an SM by the 48
// KiB of workgroup memory an SM gives WebGPU on the H200 (BENCHMARKS.md, issue 19 fifteenth pass);
// without it only registers bound the workgroups an SM, and L1 (what the carve-out leaves) serves
// the key rows every lane of a workgroup reads.
// 'a': the rows as aligned quads (array<vec4<f32>> bindings), where the Q/K/V row stride and offsets
// are multiples of 4 floats: a head at float col starts sh = col % 4 lanes into its first quad, so
// NQ = ceil((max sh + D) / 4) quads hold it (TinyBERT's 26: 7, the two spare lanes the neighbouring
// head's at the start or the end). Q's lanes outside the head are zero, so those K lanes add 0 x (a
// finite value of the neighbouring head or the row's padding) to the score; the accumulators carry
// the same layout and only the head's lanes are stored. Without that layout 'a' takes the
// per-quad loads (attention-load-pairs.wgsl / -f32.wgsl).
// 'x': two key splits a query on the two halves of a subgroup (twice the threads and warps for the
// same queries: more loads in flight), merged by subgroupShuffleXor (no workgroup memory but the
// subgroup-slot counter); needs subgroups of one fixed size. A load then has two addresses a subgroup.
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import loadPairsWgsl from './attention-load-pairs.wgsl?raw';
import subgroupCommonWgsl from '../kernels/subgroup-common.wgsl?raw';
import { compilePipeline, withConsts } from '../kernel';
import { hoistDirectives } from '../kernels/linear-common';
import { fixedSubgroupSize } from './attention-subgroup';
import { attentionLayout, LANES, pairLoads, type QkvRows } from './attention-tiled';
import { PROBE, type WholeAttention } from './attention-whole';
import { range } from './attention-unrolled';

/** Kept after the H200 runs (BENCHMARKS.md, issue 19 sixteenth pass, helper 16b; µs a layer alone,
 *  B=32 L=128 / L=64 / 6 live heads at L=128, against 'auto' h1w128s1c16t64 33.6-34.0, h1w128s2c16t64
 *  12.9 at L=64, h1w64s2c16t64 21.7 at 6 heads): n1w128c16 62.8 / 28.7 / 53.2 (the fastest direct form),
 *  n2w128c8x 249.0 / 24.6 / 45.1, n1w128c8a 229.4 / 47.1 / 92.2 (quads). Every form lost; in the forward
 *  (one process) dense 1.2714 -> 1.3908 ms with n1w128c16, HP 90 % 0.4239 -> 0.6922 with n1w128c8a.
 *  Tried and dropped: 4- and 8-key chunks (n1w128c4 135, n1w128c8 117), 32 and 64 (90, 603: 2 an SM,
 *  registers), two rows a thread (n2w128c8 74; c4, c16, c32 243-481), four (187-537), 32- and 64-query
 *  workgroups (n1w64c8 117, n1w32c8a 320), the other quad forms (192-437) and splits (250-384). */
export const DIRECT_ATTENTION_VARIANTS = ['n1w128c16', 'n1w128c8a', 'n2w128c8x'] as const;

export function parseDirectVariant(
  name: string,
): { qpt: number; qw: number; kc: number; quads: boolean; split: boolean } | null {
  const m = /^n(\d+)w(\d+)c(\d+)(a?)(x?)$/.exec(name);
  if (!m) return null;
  return { qpt: Number(m[1]), qw: Number(m[2]), kc: Number(m[3]), quads: m[4] === 'a', split: m[5] === 'x' };
}

export interface DirectShape {
  qpt: number;
  /** Queries a workgroup at this sequence length (QW, or fewer for a short sequence). */
  qw: number;
  kc: number;
  /** Threads a workgroup (QW / QPT, twice that with 'x'). */
  threads: number;
  /** 'x': two key splits on a subgroup's halves (subgroups of SG lanes). */
  sg?: number;
  /** Aligned quads ('a' where the layout allows). */
  quads: boolean;
  /** Quads a head row takes (NQ): ceil((the largest start lane + D) / 4), or ceil(D / 4). */
  nq: number;
  /** Nothing staged: the shape's workgroup memory, for shapeFits. */
  storageBytes: 0;
}

/** Whether Q/K/V rows of `qkv` read as aligned quads: the stride and offsets multiples of 4 floats. */
export const quadLayout = (qkv: QkvRows): boolean => [qkv.stride, qkv.q, qkv.k, qkv.v].every((x) => x % 4 === 0);

/** The variant's sizes at head size d (of `heads`) over seq keys in rows of `qkv`, or why not. */
export function directShape(
  variant: string,
  d: number,
  heads: number,
  seq: number,
  qkv: QkvRows,
  sg?: number,
): DirectShape | string {
  const v = parseDirectVariant(variant);
  if (!v) return `'${variant}' is not a direct attention variant`;
  const { qpt, kc } = v;
  if (qpt < 1 || kc < 1 || v.qw % (32 * qpt) !== 0) return `'${variant}' has an unusable block`;
  if (v.split && !(sg !== undefined && sg >= 2 && (sg & (sg - 1)) === 0 && 32 % sg === 0))
    return `'${variant}' needs subgroups of one fixed size (a power of two <= 32)`;
  const unit = 32 * qpt;
  const qw = Math.min(v.qw, Math.max(unit, Math.ceil(seq / unit) * unit));
  const quads = v.quads && quadLayout(qkv);
  const maxShift = Math.max(...range(heads).map((h) => (h * d) % 4));
  const nq = quads ? Math.ceil((maxShift + d) / 4) : Math.ceil(d / 4);
  const threads = (qw / qpt) * (v.split ? 2 : 1);
  return { qpt, qw, kc, threads, quads, nq, storageBytes: 0, ...(v.split ? { sg } : {}) };
}

/** The kernel's WGSL body (after the constants and, without quads, the load functions). `probe`
 *  (bench only): each workgroup counts itself in and out of binding 6, as attention-whole.ts's. */
export function directAttentionWgsl(s: DirectShape, d: number, probe = false): string {
  const { qpt, kc, quads, nq } = s;
  const split = s.sg !== undefined;
  const R = range(qpt);
  const N = range(kc);
  const C = range(nq);
  // Without quads: the last quad's live lanes (AW); the chains and accumulators skip the rest.
  const aw = quads ? 4 : d - 4 * (nq - 1);
  const width = (c: number) => (c < nq - 1 || aw === 4 ? 4 : aw);
  const accType = (c: number) => (width(c) === 4 ? 'vec4<f32>' : width(c) === 1 ? 'f32' : `vec${width(c)}<f32>`);
  const part = (x: string, c: number) => (width(c) === 4 ? x : `${x}.${LANES.slice(0, width(c)).join('')}`);
  const lane = (x: string, c: number, e: number) => (width(c) === 1 ? x : `${x}.${LANES[e]}`);
  const pairs = d % 2 === 0;
  const lines: string[] = [];
  const emit = (indent: number, ...ls: string[]) => ls.forEach((l) => lines.push('  '.repeat(indent) + l));
  emit(0, 'struct Params { seq: u32, scale: f32, heads: u32, _p1: u32 }');
  emit(0, '@group(0) @binding(0) var<uniform> p: Params;');
  if (quads) {
    emit(0, '@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;');
    emit(0, '@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;');
    emit(0, '@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;');
  }
  emit(0, '@group(0) @binding(4) var<storage, read> mask: array<u32>;');
  emit(0, `@group(0) @binding(5) var<storage, read_write> ctx: array<${pairs ? 'vec2<f32>' : 'f32'}>;`);
  if (probe) emit(0, PROBE.binding);
  emit(0, '@compute @workgroup_size(T)');
  const builtins = ['workgroup_id) wid: vec3u', 'local_invocation_index) li: u32'];
  if (split) builtins.push('subgroup_invocation_id) lane: u32');
  emit(0, `fn main(${builtins.map((b) => `@builtin(${b}`).join(', ')}) {`);
  if (split) {
    // Query slot: the subgroup's number (a counter: lanes need not be consecutive indices) times
    // SG / 2, plus the lane in its half; the half is the key split.
    emit(1, 'let lid = claimSubgroupSlot(li) * (SG / 2u) + lane % (SG / 2u);', 'let ks = lane / (SG / 2u);');
  } else emit(1, 'let lid = li;');
  if (probe) emit(1, PROBE.enter('li'));
  emit(1, 'let seq = p.seq;', 'let base = wid.z * seq;', 'let col = live_head(wid.y) * D;', 'let q0 = wid.x * QW;');
  emit(1, 'let qscale = p.scale * 1.4426950408889634;');
  // sh: the head's first lane in its first quad (0 without quads); hq: that quad in a row.
  emit(1, quads ? 'let sh = col % 4u;' : 'let sh = 0u;', 'let hq = col / 4u;');
  for (const r of R) {
    emit(1, `let qr${r} = min(q0 + lid + ${r}u * QS, seq - 1u);`);
    for (const c of C) {
      if (quads) {
        // Lanes outside the head zero: the neighbouring head's K lanes then add nothing.
        emit(1, `let q${r}_${c} = select(vec4<f32>(0.0), q[(base + qr${r}) * STRIDE4 + QO4 + hq + ${c}u] * qscale,`);
        emit(1, `  (vec4<u32>(${range(4).map((e) => `${4 * c + e}u`)}) >= vec4<u32>(sh)) &`);
        emit(1, `  (vec4<u32>(${range(4).map((e) => `${4 * c + e}u`)}) < vec4<u32>(sh + D)));`);
      } else emit(1, `let q${r}_${c} = quad_q((base + qr${r}) * STRIDE + QO + col, ${4 * c}u) * qscale;`);
      emit(1, `var a${r}_${c} = ${accType(c)}(0.0);`);
    }
    emit(1, `var m${r} = -3.0e38;`, `var l${r} = 0.0;`);
  }
  const kRow = (n: number, c: number) =>
    quads ? `k[t${n} * STRIDE4 + KO4 + hq + ${c}u]` : `quad_k(t${n} * STRIDE + KO + col, ${4 * c}u)`;
  const vRow = (n: number, c: number) =>
    quads ? `v[t${n} * STRIDE4 + VO4 + hq + ${c}u]` : `quad_v(t${n} * STRIDE + VO + col, ${4 * c}u)`;
  emit(1, split ? 'for (var jc = ks * KC; jc < seq; jc += 2u * KC) {' : 'for (var jc = 0u; jc < seq; jc += KC) {');
  for (const n of N) {
    // A key past the sequence reads the last one's rows (clamped) and weighs 0.
    emit(2, `let j${n} = jc + ${n}u;`, `let t${n} = base + min(j${n}, seq - 1u);`);
    emit(2, `let b${n} = select(-3.0e38, select(-1.0e30, 0.0, mask[t${n}] != 0u), j${n} < seq);`);
    for (const r of R) emit(2, `var s${r}_${n} = b${n};`);
    for (const c of C) {
      emit(2, `{ let kk = ${kRow(n, c)};`);
      for (const r of R) {
        const chain = range(width(c)).reduce(
          (acc, e) => `fma(q${r}_${c}.${LANES[e]}, kk.${LANES[e]}, ${acc})`,
          `s${r}_${n}`,
        );
        emit(3, `s${r}_${n} = ${chain};`);
      }
      emit(2, '}');
    }
  }
  const tree = (xs: string[], f: (a: string, b: string) => string): string =>
    xs.length === 1 ? xs[0] : f(tree(xs.slice(0, xs.length >> 1), f), tree(xs.slice(xs.length >> 1), f));
  for (const r of R) {
    emit(
      2,
      `let mx${r} = max(m${r}, ${tree(
        N.map((n) => `s${r}_${n}`),
        (a, b) => `max(${a}, ${b})`,
      )});`,
    );
    emit(2, `let sc${r} = exp2(m${r} - mx${r});`, `m${r} = mx${r};`);
    for (const n of N) emit(2, `s${r}_${n} = exp2(s${r}_${n} - mx${r});`);
    emit(
      2,
      `l${r} = fma(l${r}, sc${r}, ${tree(
        N.map((n) => `s${r}_${n}`),
        (a, b) => `(${a} + ${b})`,
      )});`,
    );
    for (const c of C) emit(2, `a${r}_${c} *= sc${r};`);
  }
  for (const n of N)
    for (const c of C) {
      emit(2, `{ let vv = ${part(vRow(n, c), c)};`);
      for (const r of R) emit(3, `a${r}_${c} = fma(${accType(c)}(s${r}_${n}), vv, a${r}_${c});`);
      emit(2, '}');
    }
  emit(1, '}');
  if (split)
    // The other half's (max, sum, accumulators), rescaled to the larger max (a half without a key:
    // max -3e38, weight 0).
    for (const r of R) {
      emit(1, `{ let mo = subgroupShuffleXor(m${r}, SG / 2u);`, `  let mx = max(m${r}, mo);`);
      emit(1, `  let f = exp2(m${r} - mx);`, `  l${r} *= f;`, `  l${r} += subgroupShuffleXor(l${r}, SG / 2u);`);
      for (const c of C) emit(1, `  a${r}_${c} *= f;`, `  a${r}_${c} += subgroupShuffleXor(a${r}_${c}, SG / 2u);`);
      emit(1, '}');
    }
  // Each thread its own rows: lane e of quad c is head dim 4c + e - sh.
  for (const r of R) {
    emit(1, `if (${split ? 'ks == 0u && ' : ''}q0 + lid + ${r}u * QS < seq) {`, `  let inv = 1.0 / l${r};`);
    emit(1, `  let o = (base + q0 + lid + ${r}u * QS) * H + col - sh;`);
    for (const c of C) {
      if (pairs) {
        for (const h of range(width(c) / 2)) {
          const at = 4 * c + 2 * h;
          const value = `vec2<f32>(${lane(`a${r}_${c}`, c, 2 * h)}, ${lane(`a${r}_${c}`, c, 2 * h + 1)}) * inv`;
          // Always inside the head where no start lane can put it outside (the 'a' edges test sh).
          const inside = at + 2 <= d && at >= (quads ? 4 * nq - d : 0);
          const store = `ctx[o / 2u + ${at / 2}u] = ${value};`;
          emit(2, inside ? store : `if (${at}u >= sh && ${at + 2}u <= sh + D) { ${store} }`);
        }
      } else
        for (const e of range(width(c))) {
          const at = 4 * c + e;
          const store = `ctx[o + ${at}u] = ${lane(`a${r}_${c}`, c, e)} * inv;`;
          emit(2, quads ? `if (${at}u >= sh && ${at}u < sh + D) { ${store} }` : store);
        }
    }
    emit(1, '}');
  }
  if (probe) emit(1, ...PROBE.leave('li'));
  emit(0, '}');
  return lines.join('\n');
}

/** The same surface as the whole-sequence kernel's. */
export type DirectAttention = WholeAttention;

export function createDirectAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  probe = false,
): DirectAttention {
  const d = hidden / heads;
  const sg = parseDirectVariant(variant)?.split ? fixedSubgroupSize(device) : undefined;
  const shapeAt = (seq: number) => {
    const shape = directShape(variant, d, heads, seq, qkv, sg);
    if (typeof shape === 'string') throw new RangeError(shape);
    return shape;
  };
  const first = shapeAt(1);
  if (first.threads > device.limits.maxComputeInvocationsPerWorkgroup)
    throw new RangeError(`attention variant '${variant}' needs more threads than this device has`);
  const layout = probe ? PROBE.layout(device) : attentionLayout(device);
  // One pipeline per queries a workgroup (a short sequence takes fewer), compiled on first use.
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (shape: DirectShape) => {
    let pipeline = pipelines.get(shape.qw);
    if (pipeline) return pipeline;
    const { qw, threads, qpt, kc, quads } = shape;
    const consts = {
      ...{ H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v, T: threads, QPT: qpt },
      ...{ QW: qw, QS: qw / qpt, KC: kc, ...(sg === undefined ? {} : { SG: sg }) },
      ...(quads ? { STRIDE4: qkv.stride / 4, QO4: qkv.q / 4, KO4: qkv.k / 4, VO4: qkv.v / 4 } : {}),
    };
    const loads = quads ? [] : [pairLoads(d, qkv) ? loadPairsWgsl : loadF32Wgsl];
    const common = sg === undefined ? [] : [subgroupCommonWgsl];
    const code = hoistDirectives(
      withConsts(consts, ...common, ...loads, liveHeadWgsl, directAttentionWgsl(shape, d, probe)),
    );
    const label = `encoder.attention ${variant} qw=${qw}${probe ? ' probe' : ''}`;
    pipeline = compilePipeline(device, layout, label, code);
    pipelines.set(qw, pipeline);
    return pipeline;
  };
  const bySeq = new Map<number, { pipeline: GPUComputePipeline; qw: number }>();
  return {
    layout,
    queriesPerGroup: (seq) => shapeAt(seq).qw,
    encode(pass, bindGroup, batch, seq, liveHeads = heads) {
      let call = bySeq.get(seq);
      if (!call) {
        const shape = shapeAt(seq);
        bySeq.set(seq, (call = { pipeline: pipelineFor(shape), qw: shape.qw }));
      }
      pass.setPipeline(call.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / call.qw), liveHeads, batch);
    },
  };
}
