// HP-sparse integer Y = X·Wᵀ + b (optionally GELU) on X's int8 codes as columns, laid out as the
// f32 columns kernel (hp-columns.wgsl): one workgroup computes BT tokens x one tile-row (TR
// outputs), each invocation RT token quads x RO output quads (4 RT tokens x 4 RO outputs in i32).
// X as columns (int8-transpose.wgsl's layout: column c's tokens 4g .. 4g + 3 in word c * xw + g);
// each K-step stages KC kept words: four kept columns' words of a token quad, byte-transposed
// (transpose4) into the quad's four token words, one vec4; and the tile-row's W words of those
// kept columns (word (r * KW + kk) * TR + o, hpInt8Layout), a vec4 per output quad. A step's
// products: RT + RO vec4 reads of workgroup memory for 16 RT RO dot4I8Packed. Epilogue: int8-linear's,
// y = f32(f32(acc) * f32(xs[t] * ws[o])) + b, bit for bit; Y stored as vec4 rows (out % 4 == 0).
// Appended: int8-bytes.wgsl (exactF32, rounded, transpose4).

struct Params { tokens: u32, n: u32, xw: u32, kw: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xq: array<u32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> wq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> ws: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> cols: array<u32>; // tileRows x (4 KW) input columns
@group(0) @binding(7) var<storage, read_write> y: array<vec4<f32>>;

const TR4 = {{TR}}u / 4u;
const WX = {{WX}}u; // TR4 / RO
const WY = {{WY}}u;
const THREADS = {{WX}}u * {{WY}}u;
const BT4 = {{BT4}}u; // token quads a workgroup: WY * RT
const KC = {{KC}}u; // kept words a K-step
const AV = KC * BT4; // staged vec4 of X a step
const WV = KC * TR4; // staged vec4 of W a step
const NO_COLUMN = 0xffffffffu;

var<workgroup> As: array<vec4<u32>, {{KC}} * {{BT4}}>;
var<workgroup> Ws: array<vec4<u32>, {{KC}} * {{TR}} / 4>;

fn epi(acc: i32, sx: f32, o: u32) -> f32 {
  return hp_epilogue(rounded(exactF32(acc) * (sx * ws[o])), o);
}

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params.tokens;
  let N = params.n;
  let KW = params.kw;
  let TW = params.xw; // words of a column
  let tileRow = wid.x;
  let tq0 = wid.y * BT4;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WX + tx;
  let colBase = tileRow * KW * 4u;

//#unroll I {{RT}}
//#unroll II 4
//#unroll J {{RO}}
  var acc_{{I}}_{{II}}_{{J}} = vec4<i32>();
//#end
//#end
//#end

  for (var k0 = 0u; k0 < KW; k0 += KC) {
    for (var i = tid; i < AV; i += THREADS) {
      let kk = i / BT4;
      let g = tq0 + i % BT4;
      var v = vec4<u32>();
      if (k0 + kk < KW && g < TW) {
        for (var j = 0u; j < 4u; j++) {
          let col = cols[colBase + (k0 + kk) * 4u + j];
          if (col != NO_COLUMN) { v[j] = xq[col * TW + g]; }
        }
      }
      As[i] = transpose4(v[0], v[1], v[2], v[3]);
    }
    for (var i = tid; i < WV; i += THREADS) {
      let kk = i / TR4;
      var w = vec4<u32>();
      if (k0 + kk < KW) { w = wq[(tileRow * KW + k0 + kk) * TR4 + i % TR4]; }
      Ws[i] = w;
    }
    workgroupBarrier();
    let steps = min(KC, KW - k0);
    for (var kk = 0u; kk < steps; kk++) {
//#unroll I {{RT}}
      let a{{I}} = As[kk * BT4 + {{I}}u * WY + ty];
//#end
//#unroll J {{RO}}
      let b{{J}} = Ws[kk * TR4 + {{J}}u * WX + tx];
//#end
//#unroll I {{RT}}
//#unroll II 4
//#unroll J {{RO}}
      acc_{{I}}_{{II}}_{{J}} += vec4<i32>(dot4I8Packed(a{{I}}[{{II}}], b{{J}}.x),
        dot4I8Packed(a{{I}}[{{II}}], b{{J}}.y), dot4I8Packed(a{{I}}[{{II}}], b{{J}}.z),
        dot4I8Packed(a{{I}}[{{II}}], b{{J}}.w));
//#end
//#end
//#end
    }
    workgroupBarrier();
  }

  // Token 4 (tq0 + I WY + ty) + II, outputs tileRow TR + 4 (J WX + tx) + 0..3.
//#unroll I {{RT}}
//#unroll II 4
  {
    let t = 4u * (tq0 + {{I}}u * WY + ty) + {{II}}u;
    if (t < M) {
      let sx = xs[t];
//#unroll J {{RO}}
      {
        let o = tileRow * TR4 * 4u + 4u * ({{J}}u * WX + tx);
        let a = acc_{{I}}_{{II}}_{{J}};
        if (o < N) {
          y[(t * N + o) / 4u] = vec4<f32>(epi(a.x, sx, o), epi(a.y, sx, o + 1u), epi(a.z, sx, o + 2u),
            epi(a.w, sx, o + 3u));
        }
      }
//#end
    }
  }
//#end
//#end
}
