// HP-sparse linear fused with its bias, the residual and LayerNorm: x = LayerNorm(X·Wᵀ + b + x),
// for the encoder's attention-output and FFN-output linears (H outputs, all NT tile-rows of W in
// one workgroup, so the workgroup holds whole output rows and normalises them itself; the
// unfused path writes Y, then add-layernorm reads Y and x). One workgroup: BT tokens x all H
// outputs. Each K-step stages, for every tile-row, its next KC kept columns of X (from X as
// columns, XT in x P, or with IN_ROWS from X as rows, tokens x in) and their values, the next
// step's prefetched into registers as in hp-columns.wgsl (each tile-row's X a spare vec4 apart:
// XPAD); invocation (tx, r, ty) accumulates (4*RT) tokens x 4 outputs of tile-row r. K split
// (KS > 1, for few tokens: more invocations a workgroup): a K-step stages STEP = KS * KC kept
// columns a tile-row and split s of the invocations takes its KC of them; the splits' partial
// sums are added in workgroup memory, one split after the other, before the epilogue. DIRECT: the
// values are not staged (at few tokens a workgroup an invocation's weights serve only WY
// invocations): each invocation prefetches its own KC value quads of the next K-step into
// registers. Epilogue: Y + b + x staged in workgroup memory, one subgroup a token row normalises it
// (two passes, as the CPU reference) and writes x; with OUT_XT also x as columns (H x P, the next
// HP linear's XT). Prepended: subgroup-common.wgsl.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cols: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
//#if IN_ROWS
@group(0) @binding(3) var<storage, read> xin: array<f32>;
//#else
@group(0) @binding(3) var<storage, read> xin: array<vec4<f32>>;
//#endif
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
/** gamma (H) then beta (H), as vec4. */
@group(0) @binding(5) var<storage, read> gamma_beta: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> xt: array<vec4<f32>>;

const TR = {{TR}}u;
const NT = {{NT}}u; // tile-rows (NT * TR >= H)
const H = {{H}}u; // outputs (hidden), a multiple of 4
const H4 = {{H}}u / 4u;
const RP = H4 + 1u; // staged row pitch (vec4): rows 4 apart fall on other banks than at H4 = 78
const KIN = {{KIN}}u; // inputs
const Q = {{Q}}u; // kept columns of a tile-row
const KC = {{KC}}u; // kept columns a K-step of one split
const KS = {{KS}}u; // K splits
const STEP = KS * KC; // kept columns a K-step stages
const WO = {{TR}}u / 4u; // output quads of a tile-row
const WY = {{WY}}u;
const THREADS = {{WO}}u * {{NT}}u * {{WY}}u * {{KS}}u;
const BT4 = {{BT4}}u; // token quads a workgroup: WY * RT
const BT = 4u * {{BT4}}u;
const SG = {{SG}}u;
const NSG = THREADS / SG;
const PER4 = {{PER4}}u; // vec4 of a row a lane: ceil(H4 / SG)
const XV = NT * STEP * BT4; // vec4 of X a step
// Staged X: a tile-row's STEP x BT4 vec4, then XPAD spare vec4 (XR apart), so that the tile-rows a
// subgroup reads at once fall on other banks (without: STEP * BT4 vec4 apart, a multiple of 32
// words, the same banks); values after all NT of them, at XS.
const XSTEP = STEP * BT4;
const XR = XSTEP + {{XPAD}}u;
const XS = NT * XR;
//#if DIRECT
const VV = 0u; // values are not staged
//#else
const VV = NT * STEP * WO; // vec4 of values a step
//#endif

// K-steps: X at [0, XS), values at [XS, XS + VV); epilogue: the BT rows of H (BT * RP vec4).
var<workgroup> sm: array<vec4<f32>, {{SMEM}}>;

/** Where X's staged vec4 i (tile-row i / XSTEP) goes. */
fn xSlot(i: u32) -> u32 {
//#if XPAD
  return (i / XSTEP) * XR + i % XSTEP;
//#else
  return i;
//#endif
}

fn loadX(i: u32, q0: u32, tq0: u32, P4: u32, M: u32) -> vec4<f32> {
  let r = i / (STEP * BT4);
  let c = q0 + (i / BT4) % STEP;
  let j = tq0 + i % BT4;
  var v = vec4<f32>(0.0);
  if (i < XV && c < Q && j < P4) {
    let col = cols[r * Q + c];
//#if IN_ROWS
    let t = 4u * j;
    v = vec4<f32>(xin[min(t, M - 1u) * KIN + col], xin[min(t + 1u, M - 1u) * KIN + col],
      xin[min(t + 2u, M - 1u) * KIN + col], xin[min(t + 3u, M - 1u) * KIN + col]);
//#else
    v = xin[col * P4 + j];
//#endif
  }
  return v;
}

//#if DIRECT
/** The value quad of kept column c (of tile-row r, output quad tx): zero past Q. */
fn loadV(r: u32, c: u32, tx: u32) -> {{WEIGHT_QUAD}} {
  var v = {{WEIGHT_QUAD}}();
  if (c < Q) { v = values[(r * Q + c) * WO + tx]; }
  return v;
}
//#else
fn loadV(i: u32, q0: u32) -> {{WEIGHT_QUAD}} {
  let r = i / (STEP * WO);
  let c = q0 + (i / WO) % STEP;
  var v = {{WEIGHT_QUAD}}();
  if (i < VV && c < Q) { v = values[(r * Q + c) * WO + i % WO]; }
  return v;
}
//#endif

@compute @workgroup_size({{THREADS}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) tid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let slot = claimSubgroupSlot(tid);
  let M = params.tokens;
  let P4 = (M + 3u) / 4u;
  let block = wid.y * nwg.x + wid.x;
  let tq0 = block * BT4;
  if (tq0 >= P4) { return; } // uniform per workgroup
  let tx = tid % WO;
  let r = (tid / WO) % NT;
  let ty = (tid / (WO * NT)) % WY;
  let ks = tid / (WO * NT * WY); // K split
  let kc0 = ks * KC; // its first column of a K-step
  let o4 = r * WO + tx; // output quad

//#unroll I {{RT}}
//#unroll II 4
  var acc_{{I}}_{{II}} = vec4<f32>(0.0);
//#end
//#end
//#unroll L {{X_LOADS}}
  var rx{{L}} = loadX(tid + {{L}}u * THREADS, 0u, tq0, P4, M);
//#end
//#if DIRECT
//#unroll L {{V_LOADS}}
  var rv{{L}} = loadV(r, kc0 + {{L}}u, tx);
//#end
//#else
//#unroll L {{V_LOADS}}
  var rv{{L}} = loadV(tid + {{L}}u * THREADS, 0u);
//#end
//#endif

//#if NO_LOOP
  for (var q0 = Q; q0 < Q; q0 += STEP) {
//#else
  for (var q0 = 0u; q0 < Q; q0 += STEP) {
//#endif
//#unroll L {{X_LOADS}}
    if (tid + {{L}}u * THREADS < XV) { sm[xSlot(tid + {{L}}u * THREADS)] = rx{{L}}; }
//#end
//#if DIRECT
//#unroll L {{V_LOADS}}
    let b{{L}} = toQuad(rv{{L}});
//#end
//#else
//#unroll L {{V_LOADS}}
    if (tid + {{L}}u * THREADS < VV) { sm[XS + tid + {{L}}u * THREADS] = toQuad(rv{{L}}); }
//#end
//#endif
    workgroupBarrier();
    let qn = q0 + STEP;
    if (qn < Q) {
//#unroll L {{X_LOADS}}
      rx{{L}} = loadX(tid + {{L}}u * THREADS, qn, tq0, P4, M);
//#end
//#if DIRECT
//#unroll L {{V_LOADS}}
      rv{{L}} = loadV(r, qn + kc0 + {{L}}u, tx);
//#end
//#else
//#unroll L {{V_LOADS}}
      rv{{L}} = loadV(tid + {{L}}u * THREADS, qn);
//#end
//#endif
    }
//#unroll C {{KC}}
    {
//#unroll I {{RT}}
      let a{{I}} = sm[r * XR + (kc0 + {{C}}u) * BT4 + {{I}}u * WY + ty];
//#end
//#if DIRECT
      let b = b{{C}};
//#else
      let b = sm[XS + (r * STEP + kc0 + {{C}}u) * WO + tx];
//#endif
//#unroll I {{RT}}
//#unroll II 4
      acc_{{I}}_{{II}} = fma(vec4<f32>(a{{I}}[{{II}}]), b, acc_{{I}}_{{II}});
//#end
//#end
    }
//#end
    workgroupBarrier();
  }

  // Y + b + x into the staged rows (local token row k at sm[k * RP ..]): split 0 writes its sums
  // + b + x, the other splits add theirs in turn.
  for (var s = 0u; s < KS; s++) {
    if (ks == s && o4 < H4) {
      let b = bias[o4];
//#unroll I {{RT}}
//#unroll II 4
      {
        let k = 4u * ({{I}}u * WY + ty) + {{II}}u;
        if (s == 0u) {
          let t = min(4u * tq0 + k, M - 1u);
          sm[k * RP + o4] = acc_{{I}}_{{II}} + b + x[t * H4 + o4];
        } else {
//#if NO_RED
//#else
          sm[k * RP + o4] += acc_{{I}}_{{II}};
//#endif
        }
      }
//#end
//#end
    }
    workgroupBarrier();
  }
  // LayerNorm: subgroup `slot` takes local rows slot, slot + NSG, ...; lane holds quads lane + j*SG.
  // Rows past the last token normalise the last token's values (finite, only in spare columns).
  // Written out per quad (v0, v1, ...): an array indexed in loops may live in local memory.
//#if NO_LN
  for (var k = BT + slot; k < BT; k += NSG) {
//#else
  for (var k = slot; k < BT; k += NSG) {
//#endif
    var s = vec4<f32>(0.0);
//#unroll J {{PER4}}
    let i{{J}} = lane + {{J}}u * SG;
    var v{{J}} = vec4<f32>(0.0);
    if (i{{J}} < H4) { v{{J}} = sm[k * RP + i{{J}}]; }
    s += v{{J}};
//#end
    let mean = subgroupAdd(s.x + s.y + s.z + s.w) / f32(H);
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
