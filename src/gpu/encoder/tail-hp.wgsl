// The last layer's HP output linears on the [CLS] rows (clsTail) in one dispatch: the attention
// output, its residual + LayerNorm, FFN-in + GELU and FFN-out, where the split tail takes four
// (attn-out K splits, LayerNorm, FFN-in, FFN-out K splits), each a few microseconds of latency for
// little work. Workgroup (s, b) takes row b and slice s of FFN's intermediate (tile-rows
// [s * FS, s * FS + FS) of FFN-in): it runs the whole attention output and LayerNorm (the same in
// every slice: 1/10 of the weights at H = 312), its slice of FFN-in, and FFN-out on the kept columns
// that slice holds (each FFN-out tile-row's columns in a range: ranges), writing FFN-out's partial
// sums as slice s of `a` (rows x H, the bias in slice 0), which the head adds with the residual
// (h, the LayerNorm's output, written by slice 0) before the last LayerNorm (pooler-classifier.wgsl
// LN). Why slices: one workgroup a row would read every weight through one SM (~37 GB/s there on
// the H200, head.ts), S a row each read about 1/S of FFN's. The engine's rowsBlock runs the same on
// every token row of an earlier layer (rows = tokens, h the other x buffer), the residual +
// LayerNorm after it adding the slices in place on h.
// Each linear is HP on columns as hp-columns.wgsl holds it: for tile-row r and kept column q
// (e = r * Q + q), idx[colAt + e] is its input column and w[valAt + e * TR4 ..] its TR weights.
// A phase's thread t takes unit u = t % U (4 outputs of a tile-row) and part t / U of that tile-row's
// kept columns, summing into part[t]; the parts are then added per output.
// Prepended: consts H, FF, WG, PER (= ceil(H / WG)), TR, TR4, S, FS, VIN, PART, UN, the linears'
// tile-rows (TA, TF, TO), kept columns a tile-row (QA, QF, QO), parts (PA, PF, PO), offsets (CF, CO
// in idx; WF, WO in w; G1, B1, BF, BO in vecs), row-norm.wgsl and epilogue.wgsl (hp_gelu).

/** rows: the rows (the [CLS] rows, or every token's; a's block height); eps: the LayerNorm's. */
struct Params { rows: u32, _a: u32, eps: f32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
/** The attention's context and x (the residual) of the [CLS] rows, rows x H each. */
@group(0) @binding(1) var<storage, read> ctx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
/** The three linears' input columns: attn-out's at 0, FFN-in's at CF, FFN-out's at CO. */
@group(0) @binding(3) var<storage, read> idx: array<u32>;
/** Their weights: attn-out's at 0, FFN-in's at WF, FFN-out's at WO (vec4s). */
@group(0) @binding(4) var<storage, read> w: array<vec4<f32>>;
/** attn-out's bias (H), the LayerNorm's gamma (at G1) and beta (B1), FFN-in's bias (BF), FFN-out's (BO). */
@group(0) @binding(5) var<storage, read> vecs: array<f32>;
/** FFN-out tile-row r's kept columns in slice s: [ranges[2 * (r * S + s)], ranges[2 * (r * S + s) + 1]). */
@group(0) @binding(6) var<storage, read> ranges: array<u32>;
/** LayerNorm(attn-out + x) of each row (slice 0 writes it). */
@group(0) @binding(7) var<storage, read_write> h: array<f32>;
/** FFN-out's partial sums: S blocks of rows x H. */
@group(0) @binding(8) var<storage, read_write> a: array<f32>;

/** The running phase's input: the context, then LayerNorm's output, then the slice's FFN-in outputs. */
var<workgroup> vin: array<f32, VIN>;
var<workgroup> part: array<vec4<f32>, PART>;

const WHOLE = 0xffffffffu;

/** Partial sums of `rn` tile-rows from r0 (q kept columns each) into part[0 .. rn * TR4 * np): np
 *  parts of each tile-row's kept columns, [0, q) or (slice != WHOLE) its range for that slice.
 *  Inputs are vin[column - inBase]. */
fn partial_sums(lid: u32, r0: u32, rn: u32, q: u32, np: u32, colAt: u32, valAt: u32, inBase: u32, slice: u32) {
  let units = rn * TR4;
  for (var t = lid; t < units * np; t += WG) {
    let u = t % units;
    let r = r0 + u / TR4;
    var lo = 0u;
    var hi = q;
    if (slice != WHOLE) {
      lo = ranges[2u * (r * S + slice)];
      hi = ranges[2u * (r * S + slice) + 1u];
    }
    let per = (hi - lo + np - 1u) / np;
    let k0 = min(lo + (t / units) * per, hi);
    let k1 = min(k0 + per, hi);
    let lane4 = u % TR4;
    var acc = vec4<f32>(0.0);
    // UN kept columns a step, their indices and weights loaded before any is used: one wait on
    // memory a step, not one a column.
    var k = k0;
    for (; k + UN <= k1; k += UN) {
      let e = r * q + k;
      var c: array<u32, UN>;
      var wv: array<vec4<f32>, UN>;
//#unroll J UN
      c[{{J}}] = idx[colAt + e + {{J}}u];
      wv[{{J}}] = w[valAt + (e + {{J}}u) * TR4 + lane4];
//#end
//#unroll J UN
      acc += wv[{{J}}] * vin[c[{{J}}] - inBase];
//#end
    }
    for (; k < k1; k++) {
      let e = r * q + k;
      acc += w[valAt + e * TR4 + lane4] * vin[idx[colAt + e] - inBase];
    }
    part[t] = acc;
  }
}

/** Output o (counted from the phase's first tile-row) added over its np parts. */
fn summed(o: u32, units: u32, np: u32) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < np; k++) { s += part[k * units + o / 4u][o % 4u]; }
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = wid.x;
  let b = wid.y;
  // The attention output, its residual and LayerNorm (every slice alike).
  for (var i = lid; i < VIN; i += WG) { vin[i] = select(0.0, ctx[b * H + min(i, H - 1u)], i < H); }
  workgroupBarrier();
  partial_sums(lid, 0u, TA, QA, PA, 0u, 0u, 0u, WHOLE);
  workgroupBarrier();
  var v: array<f32, PER>;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { v[j] = summed(i, TA * TR4, PA) + vecs[i] + x[b * H + i]; }
  }
  let n = normalize_row(v, lid, p.eps);
  // Past normalize_row's barriers nobody reads the context: vin takes the LayerNorm's output
  // (its padding past H stays 0).
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      let y = n[j] * vecs[G1 + i] + vecs[B1 + i];
      vin[i] = y;
      if (s == 0u) { h[b * H + i] = y; }
    }
  }
  workgroupBarrier();
  // FFN-in + GELU on this slice's tile-rows.
  let r0 = min(s * FS, TF);
  let rn = min(FS, TF - r0);
  partial_sums(lid, r0, rn, QF, PF, CF, WF, 0u, WHOLE);
  workgroupBarrier();
  for (var o = lid; o < VIN; o += WG) {
    let c = r0 * TR + o;
    var y = 0.0;
    if (o < rn * TR && c < FF) { y = hp_gelu(summed(o, rn * TR4, PF) + vecs[BF + c]); }
    vin[o] = y;
  }
  workgroupBarrier();
  // FFN-out on the kept columns this slice holds.
  partial_sums(lid, 0u, TO, QO, PO, CO, WO, r0 * TR, s);
  workgroupBarrier();
  for (var o = lid; o < H; o += WG) {
    var y = summed(o, TO * TR4, PO);
    if (s == 0u) { y += vecs[BO + o]; }
    a[(s * p.rows + b) * H + o] = y;
  }
}
