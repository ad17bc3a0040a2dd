// The whole HP feed-forward block of a layer in one workgroup of BT tokens:
//   x = LayerNorm(GELU(X·W1ᵀ + b1)·W2ᵀ + b2 + x)
// so FFN-in's output never leaves the multiprocessor (unfused, FFN-in writes it, 4096 x 1200 floats
// at B=32 L=128, and FFN-out reads it back). FFN-in's outputs that W2 reads get slots (hp-ffn-ln.ts),
// taken in chunks of at most CAP, whole tile-rows of W1 at a time ("run rows": those holding a slot).
// Per chunk, phase 1: FFN-in on X as columns (XT, H x P) for the chunk's run rows, each slot's
// value kept in workgroup memory (h: the chunk's slot s, token quad j at h[s * BT4 + j]); phase 2:
// invocation (r, tx, ty) adds 4 tokens x 4 outputs of W2's tile-row r over its kept columns that read
// the chunk's slots (W2's columns ordered by chunk, their indices rewritten to slots). Then, as
// hp-columns-ln.wgsl: Y + b2 + x staged as rows (over h), one subgroup a row normalises it (two
// passes, as the CPU reference) and writes x, and with OUT_XT x as columns for the next HP linear.
// Weights and X are read from storage (L1 holds a block's X: workgroup memory goes to h).
// Prepended: subgroup-common.wgsl.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
/** [W1's kept input columns by run row (NR1 x Q1)] [slot of each run row's output, or NONE
 *  (NR1 x TR)] [W2's kept columns as their chunk's slots, by chunk (NT2 x Q2)] [each chunk's first
 *  run row (NCH + 1)] [its first slot (NCH + 1)] [per W2 tile-row, each chunk's first kept column
 *  (NT2 x (NCH + 1))]. */
@group(0) @binding(1) var<storage, read> idx: array<u32>;
/** [b1 by run row (NR1 x TR)] [b2 (NT2 x TR)]. values2: W2's, its kept columns in idx's order. */
@group(0) @binding(2) var<storage, read> consts: array<f32>;
@group(0) @binding(3) var<storage, read> values1: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
@group(0) @binding(4) var<storage, read> values2: array<{{WEIGHT_QUAD}}>;
/** gamma (H) then beta (H), as vec4. */
@group(0) @binding(5) var<storage, read> gamma_beta: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> x: array<vec4<f32>>;
/** X as columns: read by phase 1 (this block's tokens), written by phase 3 (OUT_XT, the same tokens). */
@group(0) @binding(7) var<storage, read_write> xt: array<vec4<f32>>;

const TR = {{TR}}u;
const WO = {{TR}}u / 4u; // output quads of a tile-row
const NR1 = {{NR1}}u; // W1's run rows
const Q1 = {{Q1}}u; // kept columns of a W1 tile-row
const NT2 = {{NT2}}u; // W2's tile-rows (NT2 * TR >= H)
const Q2 = {{Q2}}u; // kept columns of a W2 tile-row
const H = {{H}}u; // hidden, a multiple of 4
const H4 = {{H}}u / 4u;
const RP = H4 + 1u; // staged row pitch (vec4), as hp-columns-ln.wgsl
const BT4 = {{BT4}}u; // token quads a workgroup
const RT1 = {{RT1}}u; // token quads a phase-1 unit
const G1 = BT4 / RT1;
const U1 = {{U1}}u; // kept columns loaded at once: phase 1
const U2 = {{U2}}u; // and phase 2
const NCH = {{NCH}}u; // chunks of slots
const BT = 4u * {{BT4}}u;
const THREADS = {{THREADS}}u; // NT2 * WO * BT4: phase 2's invocations
const SG = {{SG}}u;
const NSG = THREADS / SG;
const PER4 = {{PER4}}u; // vec4 of a row a lane: ceil(H4 / SG)
const SLOTS = NR1 * Q1; // idx: where the slots start
const COLS2 = SLOTS + NR1 * TR; // idx: where W2's slots start
const CH_ROWS = COLS2 + NT2 * Q2; // idx: the chunks' first run rows
const CH_SLOTS = CH_ROWS + NCH + 1u; // their first slots
const CH_COLS = CH_SLOTS + NCH + 1u; // per W2 tile-row, their first kept columns
const B2 = NR1 * TR; // consts: where b2 starts
const NONE = 0xffffffffu;

// Phases 1-2: h (a chunk's slots x BT4 vec4); phase 3: the BT rows of H (BT * RP vec4).
var<workgroup> sm: array<vec4<f32>, {{SMEM}}>;

@compute @workgroup_size({{THREADS}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) tid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let slot = claimSubgroupSlot(tid);
  let M = params.tokens;
  let P4 = (M + 3u) / 4u;
  let block = wid.y * nwg.x + wid.x;
  let tq0 = block * BT4;
  if (tq0 >= P4) { return; } // uniform per workgroup

  // Phase 2's invocation (r, tx, ty), ty fastest: a subgroup's lanes share r, so each kept column's
  // slot is one address (its token quads) and its weights consecutive quads.
  let ty = tid % BT4;
  let tx = (tid / BT4) % WO;
  let r = tid / (BT4 * WO);
  let o4 = r * WO + tx;
//#unroll II 4
  var acc_{{II}} = vec4<f32>(0.0);
//#end
  // The slots in chunks of at most CAP (run rows whole): per chunk, phase 1 fills h with the chunk's
  // slots and phase 2 adds the products of the kept columns that read them.
  for (var ch = 0u; ch < NCH; ch++) {
    let r0 = idx[CH_ROWS + ch];
    let r1 = idx[CH_ROWS + ch + 1u];
    let sBase = idx[CH_SLOTS + ch];
    // Phase 1: unit u = (run row i, output quad oq, token quads g * RT1 ..), g fastest. Token quads
    // past the last read its last quad again (finite; those tokens are never written).
    for (var u = tid; u < (r1 - r0) * WO * G1; u += THREADS) {
      let i = r0 + u / (WO * G1);
      let oq = (u / G1) % WO;
      let g = u % G1;
//#unroll J {{RT1}}
//#unroll II 4
      var acc1_{{J}}_{{II}} = vec4<f32>(0.0);
//#end
      let tq_{{J}} = min(tq0 + g * RT1 + {{J}}u, P4 - 1u);
//#end
      // U1 kept columns at a time, their loads issued before any product (the indices, then X and
      // the weights). Past Q1: the last column again with zero weights.
//#if NO_P1
      for (var c0 = Q1; c0 < Q1; c0 += U1) {
//#else
      for (var c0 = 0u; c0 < Q1; c0 += U1) {
//#endif
//#unroll K {{U1}}
        let c{{K}} = min(c0 + {{K}}u, Q1 - 1u);
        let col{{K}} = idx[i * Q1 + c{{K}}];
        let w{{K}} = select(vec4<f32>(0.0), toQuad(values1[(i * Q1 + c{{K}}) * WO + oq]), c0 + {{K}}u < Q1);
//#end
//#unroll K {{U1}}
//#unroll J {{RT1}}
//#if NO_XTREAD
        let a{{K}}_{{J}} = vec4<f32>(f32(col{{K}}), 1.0, 2.0, f32(tq_{{J}}));
//#else
        let a{{K}}_{{J}} = xt[col{{K}} * P4 + tq_{{J}}];
//#endif
//#end
//#end
//#unroll K {{U1}}
//#unroll J {{RT1}}
//#unroll II 4
        acc1_{{J}}_{{II}} = fma(vec4<f32>(a{{K}}_{{J}}[{{II}}]), w{{K}}, acc1_{{J}}_{{II}});
//#end
//#end
//#end
      }
      let o = i * TR + 4u * oq;
//#unroll C 4
      {
        let s = idx[SLOTS + o + {{C}}u];
//#if NO_P1S
        if (s == NONE - 1u) {
//#else
        if (s != NONE) {
//#endif
          let b = consts[o + {{C}}u];
//#unroll J {{RT1}}
          sm[(s - sBase) * BT4 + g * RT1 + {{J}}u] = vec4<f32>(hp_gelu(acc1_{{J}}_0[{{C}}] + b),
            hp_gelu(acc1_{{J}}_1[{{C}}] + b), hp_gelu(acc1_{{J}}_2[{{C}}] + b), hp_gelu(acc1_{{J}}_3[{{C}}] + b));
//#end
        }
      }
//#end
    }
    workgroupBarrier();

    // Phase 2: the kept columns of tile-row r whose slots are this chunk's ([k0, k1) in W2's order by
    // chunk; their slots stored relative to the chunk's first).
    let k0 = idx[CH_COLS + r * (NCH + 1u) + ch];
    let k1 = idx[CH_COLS + r * (NCH + 1u) + ch + 1u];
//#if NO_P2
    for (var c0 = k1; c0 < k1; c0 += U2) {
//#else
    for (var c0 = k0; c0 < k1; c0 += U2) {
//#endif
//#unroll K {{U2}}
      let c{{K}} = min(c0 + {{K}}u, k1 - 1u);
      let s{{K}} = idx[COLS2 + r * Q2 + c{{K}}];
      let w{{K}} = select(vec4<f32>(0.0), toQuad(values2[(r * Q2 + c{{K}}) * WO + tx]), c0 + {{K}}u < k1);
//#end
//#unroll K {{U2}}
      let a{{K}} = sm[s{{K}} * BT4 + ty];
//#end
//#unroll K {{U2}}
//#unroll II 4
      acc_{{II}} = fma(vec4<f32>(a{{K}}[{{II}}]), w{{K}}, acc_{{II}});
//#end
//#end
    }
    workgroupBarrier(); // h read: the next chunk's (or the rows) take its place
  }

  // Phase 3: Y + b2 + x into the staged rows (local token row k at sm[k * RP ..]).
  if (o4 < H4) {
    let b = vec4<f32>(consts[B2 + 4u * o4], consts[B2 + 4u * o4 + 1u], consts[B2 + 4u * o4 + 2u],
      consts[B2 + 4u * o4 + 3u]);
//#unroll II 4
    {
      let k = 4u * ty + {{II}}u;
      let t = min(4u * tq0 + k, M - 1u);
      sm[k * RP + o4] = acc_{{II}} + b + x[t * H4 + o4];
    }
//#end
  }
  workgroupBarrier();
  // LayerNorm: subgroup `slot` takes local rows slot, slot + NSG, ...; lane holds quads lane + j*SG.
//#if NO_LN
  for (var k = BT + slot; k < BT; k += NSG) {
//#else
  for (var k = slot; k < BT; k += NSG) {
//#endif
    var sum = vec4<f32>(0.0);
//#unroll J {{PER4}}
    let i{{J}} = lane + {{J}}u * SG;
    var v{{J}} = vec4<f32>(0.0);
    if (i{{J}} < H4) { v{{J}} = sm[k * RP + i{{J}}]; }
    sum += v{{J}};
//#end
    let mean = subgroupAdd(sum.x + sum.y + sum.z + sum.w) / f32(H);
    var d2 = 0.0;
//#unroll J {{PER4}}
    if (i{{J}} < H4) {
      let d = v{{J}} - vec4<f32>(mean);
      d2 += dot(d, d);
    }
//#end
    let inv = inverseSqrt(subgroupAdd(d2) / f32(H) + params.eps);
    let t = 4u * tq0 + k;
//#unroll J {{PER4}}
    if (i{{J}} < H4) {
      let n = (v{{J}} - vec4<f32>(mean)) * inv * gamma_beta[i{{J}}] + gamma_beta[H4 + i{{J}}];
      sm[k * RP + i{{J}}] = n;
      if (t < M) { x[t * H4 + i{{J}}] = n; }
    }
//#end
  }
//#if OUT_XT
  workgroupBarrier();
  // x as columns: column i's BT tokens are BT4 consecutive vec4 of xt.
  for (var e = tid; e < H * BT4; e += THREADS) {
    let i = e / BT4;
    let g = e % BT4;
    let q = tq0 + g;
    let base = 4u * g * RP + i / 4u;
    let c = i % 4u;
    if (q < P4) {
      xt[i * P4 + q] = vec4<f32>(sm[base][c], sm[base + RP][c], sm[base + 2u * RP][c], sm[base + 3u * RP][c]);
    }
  }
//#endif
}
