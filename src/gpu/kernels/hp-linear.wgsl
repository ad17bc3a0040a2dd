// HP-sparse Y = X·Wᵀ + b (optionally GELU), W in the HP format of core/formats/hp.ts read
// straight from packHPForGPU's buffers (header, tileCol as u16 pairs, colOff as u8 quads,
// values). One workgroup computes BT tokens x one tile-row (TR outputs). A tile-row keeps
// Q = m*k columns in all; its values are one contiguous Q x TR block (kept column by kept
// column), i.e. the dense B operand of a tokens x Q x TR product whose A operand is X gathered
// at those Q columns. Each K-step stages KC kept columns: X is gathered on the way into
// workgroup memory (the k kept columns of a tile lie in one Tc-wide span of an X row, so a row
// of invocations reads one or two cache lines, and their distinct offsets mod Tc land in
// distinct banks of the padded, token-major Xs), then each invocation accumulates a
// (4*RT) tokens x (4*RO) outputs block with vec4 reads, as the dense kernel does.

struct Params { tokens: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> params: Params;
// [out, in, tr, tc, m, k, tileRows, tilesPerRow]
@group(0) @binding(1) var<storage, read> header: array<u32>;
@group(0) @binding(2) var<storage, read> tileCol: array<u32>;
@group(0) @binding(3) var<storage, read> colOff: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
//#if VEC_OUT
// out % 4 == 0: each thread's four adjacent outputs of a token are one vec4 store.
@group(0) @binding(7) var<storage, read_write> y: array<vec4<f32>>;
//#else
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
//#endif

const TR = {{TR}}u;
const WX = {{WX}}u; // = TR / (4 * RO)
const WY = {{WY}}u;
const THREADS = {{WX}}u * {{WY}}u;
const BT = {{BT}}u; // = WY * 4 * RT
const KC = {{KC}}u; // kept columns per K-step; divides THREADS
const XS_ROW = {{BT}}u / 4u + 1u; // vec4 per staged column, padded against bank conflicts

var<workgroup> Xs: array<vec4<f32>, {{KC}} * ({{BT}} / 4 + 1)>;
var<workgroup> Vs: array<vec4<f32>, {{KC}} * {{TR}} / 4>;

// keptColumn(): hp-format.wgsl.

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params.tokens;
  let nOut = header[0];
  let nIn = header[1];
  let tc = header[3];
  let m = header[4];
  let k = header[5];
  let Q = m * k;
  let tileRow = wid.x;
  let t0 = wid.y * BT;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WX + tx;
  // This invocation always stages kept column (tid % KC) of a step, for tokens tid / KC + L * (THREADS / KC).
  let myC = tid % KC;
  let myT = tid / KC;

//#unroll I {{RT}}
//#unroll II 4
//#unroll J {{RO}}
  var acc_{{I}}_{{II}}_{{J}} = vec4<f32>(0.0);
//#end
//#end
//#end
//#unroll L {{X_LOADS}}
  var rx{{L}} = 0.0;
//#end
//#unroll L {{V_LOADS}}
  var rv{{L}} = {{WEIGHT_QUAD}}(); // as loaded; unpacked when stored to Vs (see dense-linear.wgsl)
//#end

  var q0 = 0u;
  var first = true;
  loop {
    if (q0 >= Q) { break; }
    if (first) {
      first = false;
      // Gather: kept column q -> tile j = q / k of this tile-row, offset colOff[tile*k + q%k].
      let q = q0 + myC;
      let col = keptColumn(tileRow, q);
//#unroll L {{X_LOADS}}
      {
        let t = t0 + myT + {{L}}u * (THREADS / KC);
        rx{{L}} = 0.0;
        if (col < nIn && t < M) { rx{{L}} = x[t * nIn + col]; }
      }
//#end
//#unroll L {{V_LOADS}}
      {
        let i = tid + {{L}}u * THREADS; // vec4 index inside the KC x TR step block
        rv{{L}} = {{WEIGHT_QUAD}}();
        if (i < KC * TR / 4u && q0 + i / (TR / 4u) < Q) { rv{{L}} = values[(tileRow * Q + q0) * (TR / 4u) + i]; }
      }
//#end
    }

    // Registers -> workgroup memory: Xs[c][t] token-contiguous, Vs[c][r] as stored.
//#unroll L {{X_LOADS}}
    {
      let t = myT + {{L}}u * (THREADS / KC);
      Xs[myC * XS_ROW + t / 4u][t % 4u] = rx{{L}};
    }
//#end
//#unroll L {{V_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < KC * TR / 4u) { Vs[i] = toQuad(rv{{L}}); }
    }
//#end
    workgroupBarrier();

    // Prefetch the next step's columns while this one is computed.
    let qn = q0 + KC;
    if (qn < Q) {
      let q = qn + myC;
      let col = keptColumn(tileRow, q);
//#unroll L {{X_LOADS}}
      {
        let t = t0 + myT + {{L}}u * (THREADS / KC);
        rx{{L}} = 0.0;
        if (col < nIn && t < M) { rx{{L}} = x[t * nIn + col]; }
      }
//#end
//#unroll L {{V_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        rv{{L}} = {{WEIGHT_QUAD}}();
        if (i < KC * TR / 4u && qn + i / (TR / 4u) < Q) { rv{{L}} = values[(tileRow * Q + qn) * (TR / 4u) + i]; }
      }
//#end
    }

//#unroll C {{KC}}
    {
//#unroll I {{RT}}
      let a{{I}} = Xs[{{C}}u * XS_ROW + {{I}}u * WY + ty];
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
    q0 = qn;
  }

  // Epilogue: tokens t0 + I*4*WY + 4*ty + II, outputs tileRow*TR + J*4*WX + 4*tx + c.
//#unroll I {{RT}}
//#unroll II 4
  {
    let t = t0 + {{I}}u * 4u * WY + 4u * ty + {{II}}u;
    if (t < M) {
//#unroll J {{RO}}
      {
        let o = tileRow * TR + {{J}}u * 4u * WX + 4u * tx;
        let v = acc_{{I}}_{{II}}_{{J}};
//#if VEC_OUT
        if (o < nOut) {
          y[(t * nOut + o) / 4u] = vec4<f32>(hp_epilogue(v[0], o), hp_epilogue(v[1], o + 1u),
            hp_epilogue(v[2], o + 2u), hp_epilogue(v[3], o + 3u));
        }
//#else
//#unroll C 4
        if (o + {{C}}u < nOut) { y[t * nOut + o + {{C}}u] = hp_epilogue(v[{{C}}], o + {{C}}u); }
//#end
//#endif
      }
//#end
    }
  }
//#end
//#end
}
