// Integer Y = X·Wᵀ + b (optionally GELU) on int8 codes, bit for bit core/quant/int-linear.ts:
// exact i32 sums of int8 products, four per dot4I8Packed, then the f32 epilogue
// y = f32(f32(acc) * f32(xScale[t] * wScale[o])) + b[o]. X arrives as packed codes (tokens x
// XW words, int8-quantize.wgsl) with one scale per token; W as packed codes with one scale per
// output row (core/quant/gpu-layout.ts).
// Dense: B row o is W's row o (KW = XW words). HP: one workgroup column per tile-row (BN = Tr);
// its K operand is the tile-row's Q kept columns: X is gathered at them on the way into
// workgroup memory (four bytes of four columns into one word), B is the tile-row's packed
// Q x Tr block. HPX (HP on transposed codes, int8-transpose.wgsl: binding 1 holds X as columns
// of TW = params.xw words, four tokens a word): word kk of four tokens is four 4-byte loads, one
// per kept column, and one 4 x 4 byte transpose (transpose4), instead of 16 byte loads.
// Each invocation keeps TM tokens x TN outputs in i32 registers (UNROLL: as TM x TN
// scalars with every loop over them written out, so that no driver can leave them in an indexed
// local array; VEC, with HPX: its TM tokens and TN outputs adjacent, so that each K step reads
// them from workgroup memory as TM / 4 + TN / 4 vec4 loads instead of TM + TN words).

struct Params { tokens: u32, n: u32, xw: u32, kw: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xq: array<u32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> wq: array<u32>;
@group(0) @binding(4) var<storage, read> ws: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
// HP: tileRows x (4 KW) input columns (LIVE: then the live tile-rows' indices, from LIVE_OFF)
@group(0) @binding(6) var<storage, read> cols: array<u32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

const WX = {{WX}}u;
const WY = {{WY}}u;
const THREADS = {{WX}}u * {{WY}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const BM = {{WY}}u * {{TM}}u;
const BN = {{WX}}u * {{TN}}u;
const BK = {{BK}}u; // words (4 k each) per step

//#if VEC
// VEC: an invocation's TM tokens (TN outputs) are adjacent, read as vec4 words (TM, TN multiples of 4).
var<workgroup> As: array<vec4<u32>, {{BK}} * {{WY}} * {{TM}} / 4>; // k-major: As[(kk * BM + m) / 4]
var<workgroup> Bs: array<vec4<u32>, {{BK}} * {{WX}} * {{TN}} / 4>;
//#else
var<workgroup> As: array<u32, {{BK}} * {{WY}} * {{TM}}>; // k-major: As[kk * BM + m]
var<workgroup> Bs: array<u32, {{BK}} * {{WX}} * {{TN}}>; // k-major: Bs[kk * BN + n]
//#endif

/** Token (output) of accumulator row i (column j) of invocation (ty, tx) in the block. */
fn rowOf(ty: u32, i: u32) -> u32 {
//#if VEC
  return ty * TM + i;
//#else
  return ty + i * WY;
//#endif
}
fn colOf(tx: u32, j: u32) -> u32 {
//#if VEC
  return tx * TN + j;
//#else
  return tx + j * WX;
//#endif
}

//#if HP
/** Packed codes of X row `t` at the tile-row's kept columns 4g..4g+3. */
fn gatherWord(t: u32, colBase: u32, g: u32) -> u32 {
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let col = cols[colBase + g * 4u + j];
    if (col != 0xffffffffu) {
      let b = (xq[t * params.xw + col / 4u] >> (8u * (col % 4u))) & 0xffu;
      word = word | (b << (8u * j));
    }
  }
  return word;
}
//#endif

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params.tokens;
  let N = params.n;
  let KW = params.kw;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WX + tx;
  let m0 = wid.y * BM;
//#if LIVE
  let bx = cols[{{LIVE_OFF}}u + wid.x]; // LIVE: the x-th tile-row some later kernel reads
//#else
  let bx = wid.x;
//#endif
  let n0 = bx * BN;
//#if HP
  let colBase = bx * KW * 4u;
  let bBase = bx * KW * BN;
//#endif

//#if UNROLL
//#unroll I {{TM}}
//#unroll J {{TN}}
  var acc{{I}}_{{J}} = 0i;
//#end
//#end
//#else
  var acc: array<array<i32, {{TN}}>, {{TM}}>;
//#endif
  var k0 = 0u;
  loop {
    if (k0 >= KW) { break; }
//#if HPX
    for (var i = tid; i < (BM / 4u) * BK; i += THREADS) {
      let kk = i / (BM / 4u);
      let q = i % (BM / 4u); // tokens m0 + 4q .. + 3
      let g = m0 / 4u + q;
      var v = vec4<u32>();
      if (k0 + kk < KW && g < params.xw) {
        for (var j = 0u; j < 4u; j++) {
          let col = cols[colBase + (k0 + kk) * 4u + j];
          if (col != 0xffffffffu) { v[j] = xq[col * params.xw + g]; }
        }
      }
      let o = transpose4(v[0], v[1], v[2], v[3]);
//#if VEC
      As[(kk * BM) / 4u + q] = o;
//#else
      for (var r = 0u; r < 4u; r++) { As[kk * BM + 4u * q + r] = o[r]; }
//#endif
    }
//#else
    for (var i = tid; i < BM * BK; i += THREADS) {
      let r = i / BK;
      let kk = i % BK;
      var v = 0u;
      if (m0 + r < M && k0 + kk < KW) {
//#if HP
        v = gatherWord(m0 + r, colBase, k0 + kk);
//#else
        v = xq[(m0 + r) * KW + k0 + kk];
//#endif
      }
      As[kk * BM + r] = v;
    }
//#endif
//#if VEC
    for (var i = tid; i < (BN / 4u) * BK; i += THREADS) {
      let kk = i / (BN / 4u);
      let w = bBase + (k0 + kk) * BN + 4u * (i % (BN / 4u));
      var v = vec4<u32>();
      if (k0 + kk < KW) { v = vec4<u32>(wq[w], wq[w + 1u], wq[w + 2u], wq[w + 3u]); }
      Bs[i] = v;
    }
//#else
    for (var i = tid; i < BN * BK; i += THREADS) {
//#if HP
      let kk = i / BN;
      let c = i % BN;
      var v = 0u;
      if (k0 + kk < KW) { v = wq[bBase + (k0 + kk) * BN + c]; }
//#else
      let c = i / BK;
      let kk = i % BK;
      var v = 0u;
      if (n0 + c < N && k0 + kk < KW) { v = wq[(n0 + c) * KW + k0 + kk]; }
//#endif
      Bs[kk * BN + c] = v;
    }
//#endif
    workgroupBarrier();
//#if VEC
    for (var kk = 0u; kk < BK; kk++) {
      let av = array<vec4<u32>, {{TM4}}>(
//#unroll I {{TM4}}
        As[(kk * BM) / 4u + ty * {{TM4}}u + {{I}}u],
//#end
      );
      let bv = array<vec4<u32>, {{TN4}}>(
//#unroll J {{TN4}}
        Bs[(kk * BN) / 4u + tx * {{TN4}}u + {{J}}u],
//#end
      );
//#unroll I {{TM}}
//#unroll J {{TN}}
      acc{{I}}_{{J}} += dot4I8Packed(av[{{I}}u / 4u][{{I}}u % 4u], bv[{{J}}u / 4u][{{J}}u % 4u]);
//#end
//#end
    }
//#else
//#if UNROLL
    for (var kk = 0u; kk < BK; kk++) {
//#unroll I {{TM}}
      let a{{I}} = As[kk * BM + ty + {{I}}u * WY];
//#end
//#unroll J {{TN}}
      let b{{J}} = Bs[kk * BN + tx + {{J}}u * WX];
//#end
//#unroll I {{TM}}
//#unroll J {{TN}}
      acc{{I}}_{{J}} += dot4I8Packed(a{{I}}, b{{J}});
//#end
//#end
    }
//#else
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<u32, {{TM}}>;
      var b: array<u32, {{TN}}>;
      for (var i = 0u; i < TM; i++) { a[i] = As[kk * BM + ty + i * WY]; }
      for (var j = 0u; j < TN; j++) { b[j] = Bs[kk * BN + tx + j * WX]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i][j] += dot4I8Packed(a[i], b[j]); }
      }
    }
//#endif
//#endif
    workgroupBarrier();
    k0 += BK;
  }

//#if UNROLL
//#unroll I {{TM}}
  {
    let row = m0 + rowOf(ty, {{I}}u);
    if (row < M) {
      let sx = xs[row];
//#unroll J {{TN}}
      {
        let col = n0 + colOf(tx, {{J}}u);
        if (col < N) { y[row * N + col] = hp_epilogue(rounded(exactF32(acc{{I}}_{{J}}) * (sx * ws[col])), col); }
      }
//#end
    }
  }
//#end
//#else
  for (var i = 0u; i < TM; i++) {
    let row = m0 + ty + i * WY;
    if (row >= M) { continue; }
    let sx = xs[row];
    for (var j = 0u; j < TN; j++) {
      let col = n0 + tx + j * WX;
      if (col < N) { y[row * N + col] = hp_epilogue(rounded(exactF32(acc[i][j]) * (sx * ws[col])), col); }
    }
  }
//#endif
}
