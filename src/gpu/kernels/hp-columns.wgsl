// HP-sparse Y = X·Wᵀ + b (optionally GELU) on X as columns: XT is in x P (P = tokens rounded up
// to 4), so the BT tokens of a kept column are BT/4 contiguous vec4 (hp-linear.wgsl gathers them
// one float a token from X's rows, reading three 128-byte lines a token for a tile-row's ~33 kept
// columns at 90 %). One workgroup computes BT tokens x one tile-row (TR outputs); `cols` holds
// the input column of each kept column (tileRows x Q, hp-columns.ts), `values` the tile-row's
// Q x TR block as in hp-linear.wgsl. Each K-step stages KC kept columns of X and their values with
// vec4 copies (the next step's prefetched into registers while this one is computed); each
// invocation accumulates (4*RT) tokens x (4*RO) outputs. Y is written as rows (tokens x out) or,
// with OUT_COLS, as columns (out x P: the next HP linear's XT). LIVE: only the tile-rows with an
// output some later kernel reads run (workgroup x takes tile-row rowMap[x * 2] with LIVE_MASK, else
// rowMap[x]); LIVE_MASK (TR <= 32): the word after it marks which of its TR outputs are read (bit
// k: output k of the tile-row), and the others are not stored. KS > 1 (split K, for few tokens: more
// workgroups a linear): workgroup z takes kept columns [z * QS, z * QS + QS) of its tile-row and writes
// its partial sums as rows to slice z of Y (tokens x out each; the bias in slice 0 alone), which the
// residual + LayerNorm after it adds. IN_ROWS: X as rows (tokens x KIN) instead of columns.

struct Params { tokens: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
//#if LIVE
@group(0) @binding(3) var<storage, read> rowMap: array<u32>;
//#endif
@group(0) @binding(4) var<storage, read> values: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
@group(0) @binding(5) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<vec4<f32>>;

const TR = {{TR}}u;
const NOUT = {{NOUT}}u;
const Q = {{Q}}u; // kept columns of a tile-row
const WX = {{WX}}u; // = TR / (4 * RO)
const WY = {{WY}}u;
const THREADS = {{WX}}u * {{WY}}u;
const BT4 = {{BT4}}u; // token quads a workgroup: WY * RT
const KC = {{KC}}u; // kept columns a K-step
const XV = KC * BT4; // vec4 of X a step
const VV = KC * TR / 4u; // vec4 of values a step
const KS = {{KS}}u; // K splits (workgroups along z)
const QS = {{QS}}u; // kept columns a split: ceil(Q / KS)
const KIN = {{KIN}}u; // inputs (IN_ROWS: the row pitch of X)

/** X's token quad j (of P4) at input column col: from columns, or gathered from rows. */
fn loadXQuad(col: u32, j: u32, M: u32, P4: u32) -> vec4<f32> {
//#if IN_ROWS
  var v = vec4<f32>(0.0);
  for (var u = 0u; u < 4u; u++) {
    let f = min(4u * j + u, M - 1u) * KIN + col;
    v[u] = x[f / 4u][f % 4u];
  }
  return v;
//#else
  return x[col * P4 + j];
//#endif
}

/** The bias of outputs o .. o + 3 (split K: slice 0 adds it). */
fn split_bias(o: u32) -> vec4<f32> {
  return vec4<f32>(hp_epilogue(0.0, o), hp_epilogue(0.0, o + 1u), hp_epilogue(0.0, o + 2u), hp_epilogue(0.0, o + 3u));
}

//#if LIVE_MASK
/** Whether output k (of TR) of a tile-row with read-output bits `bits` is read later. */
fn isLive(bits: u32, k: u32) -> bool {
  return ((bits >> k) & 1u) != 0u;
}
//#endif

var<workgroup> Xs: array<vec4<f32>, {{KC}} * {{BT4}}>;
var<workgroup> Vs: array<vec4<f32>, {{KC}} * {{TR}} / 4>;

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params.tokens;
  let P4 = (M + 3u) / 4u; // token quads of a column of XT (and of Y with OUT_COLS)
//#if LIVE_MASK
  let tileRow = rowMap[2u * wid.x];
  let liveBits = rowMap[2u * wid.x + 1u];
//#else
//#if LIVE
  let tileRow = rowMap[wid.x];
//#else
  let tileRow = wid.x;
//#endif
//#endif
  let tq0 = wid.y * BT4;
  // This split's kept columns [qa, qb) of the tile-row (all of them where KS = 1).
  let qa = wid.z * QS;
  let qb = min(Q, qa + QS);
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WX + tx;

//#unroll I {{RT}}
//#unroll II 4
//#unroll J {{RO}}
  var acc_{{I}}_{{II}}_{{J}} = vec4<f32>(0.0);
//#end
//#end
//#end
//#unroll L {{X_LOADS}}
  var rx{{L}} = vec4<f32>(0.0);
//#end
//#unroll L {{V_LOADS}}
  var rv{{L}} = {{WEIGHT_QUAD}}();
//#end

  // Step 0's loads; inside the loop, step s+1's are issued before step s is computed.
//#unroll L {{X_LOADS}}
  {
    let i = tid + {{L}}u * THREADS;
    let c = qa + i / BT4;
    let j = tq0 + i % BT4;
    rx{{L}} = vec4<f32>(0.0);
    if (i < XV && c < qb && j < P4) { rx{{L}} = loadXQuad(cols[tileRow * Q + c], j, M, P4); }
  }
//#end
//#unroll L {{V_LOADS}}
  {
    let i = tid + {{L}}u * THREADS;
    rv{{L}} = {{WEIGHT_QUAD}}();
    if (i < VV && qa + i / (TR / 4u) < qb) { rv{{L}} = values[(tileRow * Q + qa) * (TR / 4u) + i]; }
  }
//#end

  for (var q0 = qa; q0 < qb; q0 += KC) {
//#unroll L {{X_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < XV) { Xs[i] = rx{{L}}; }
    }
//#end
//#unroll L {{V_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < VV) { Vs[i] = toQuad(rv{{L}}); }
    }
//#end
    workgroupBarrier();

    let qn = q0 + KC;
    if (qn < qb) {
//#unroll L {{X_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let c = qn + i / BT4;
        let j = tq0 + i % BT4;
        rx{{L}} = vec4<f32>(0.0);
        if (i < XV && c < qb && j < P4) { rx{{L}} = loadXQuad(cols[tileRow * Q + c], j, M, P4); }
      }
//#end
//#unroll L {{V_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        rv{{L}} = {{WEIGHT_QUAD}}();
        if (i < VV && qn + i / (TR / 4u) < qb) { rv{{L}} = values[(tileRow * Q + qn) * (TR / 4u) + i]; }
      }
//#end
    }

//#unroll C {{KC}}
    {
//#unroll I {{RT}}
      let a{{I}} = Xs[{{C}}u * BT4 + {{I}}u * WY + ty];
//#end
//#unroll J {{RO}}
      let b{{J}} = Vs[{{C}}u * (TR / 4u) + {{J}}u * WX + tx];
//#end
//#unroll I {{RT}}
//#unroll II 4
//#unroll J {{RO}}
      acc_{{I}}_{{II}}_{{J}} = fma(vec4<f32>(a{{I}}[{{II}}]), b{{J}}, acc_{{I}}_{{II}}_{{J}});
//#end
//#end
//#end
    }
//#end
    workgroupBarrier();
  }

  // Epilogue: token quad tq0 + I*WY + ty (tokens 4*that + II), outputs tileRow*TR + J*4*WX + 4*tx + c.
//#unroll I {{RT}}
  {
    let tq = tq0 + {{I}}u * WY + ty;
//#unroll J {{RO}}
    {
      let o = tileRow * TR + {{J}}u * 4u * WX + 4u * tx;
//#if OUT_COLS
      if (tq < P4 && o < NOUT) {
//#unroll C 4
//#if LIVE_MASK
        if (isLive(liveBits, o % TR + {{C}}u)) {
//#else
        {
//#endif
          y[(o + {{C}}u) * P4 + tq] = vec4<f32>(hp_epilogue(acc_{{I}}_0_{{J}}[{{C}}], o + {{C}}u),
            hp_epilogue(acc_{{I}}_1_{{J}}[{{C}}], o + {{C}}u), hp_epilogue(acc_{{I}}_2_{{J}}[{{C}}], o + {{C}}u),
            hp_epilogue(acc_{{I}}_3_{{J}}[{{C}}], o + {{C}}u));
        }
//#end
      }
//#else
//#if LIVE_MASK
      let k = o % TR;
      let live = ((liveBits >> k) & 15u) != 0u;
      if (o < NOUT && live) {
//#else
      if (o < NOUT) {
//#endif
//#unroll II 4
        {
          let t = 4u * tq + {{II}}u;
          let v = acc_{{I}}_{{II}}_{{J}};
          if (t < M && KS > 1u) {
            // A split's partial sums (the bias once, in slice 0; no GELU with KS > 1).
            y[(wid.z * M * NOUT + t * NOUT + o) / 4u] = select(v, v + split_bias(o), wid.z == 0u);
          } else if (t < M) {
            y[(t * NOUT + o) / 4u] = vec4<f32>(hp_epilogue(v[0], o), hp_epilogue(v[1], o + 1u),
              hp_epilogue(v[2], o + 2u), hp_epilogue(v[3], o + 3u));
          }
        }
//#end
      }
//#endif
    }
//#end
  }
//#end
}
