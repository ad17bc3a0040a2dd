// Attention for the [CLS] query alone: ctx row b * seq (token 0 of sequence b) =
// softmax(q_cls Kᵀ * scale + mask) V per head, every key of the sequence. Where the engine runs
// the last layer on the [CLS] rows (clsTail), the head reads no other row of that layer, so the
// other queries' attention is computed for nothing: this kernel is 1/seq of the work.
// One workgroup a (live head, sequence), WG threads: each scores keys lid, lid + WG, ... into
// workgroup memory (with STAGE_V also copying those keys' values there, their loads issued with the
// key's), the workgroup takes their maximum and the exponentials' sum, then thread (chunk c, dim d)
// sums p_j v_j[d] over keys c, c + CH, ..., and the CH chunks are added. Staged, that sum reads
// workgroup memory instead of waiting on storage once a key (H200 B=32 L=128: 13.1 -> 11.4 us; a
// whole layer's attention takes 34). The same sums in the same order either way.
// Prepended: consts H, D, STRIDE, QO, KO, VO, WG (a power of two), NK >= seq (keys held),
// CH = floor(WG / D), STAGE_V and VS (NK * D staged values, or 1), then attention-load-f32.wgsl
// (q, k, v), attention-live-head.wgsl and where the context goes: attention-cls-store.wgsl (ctx row
// b * seq) or attention-cls-compact.wgsl (row b of compact rows, the [CLS] row of x copied beside it:
// no gather after it).

struct Params { seq: u32, scale: f32, heads: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;

var<workgroup> qs: array<f32, D>;
/** The scores, then their exponentials. */
var<workgroup> sc: array<f32, NK>;
var<workgroup> red: array<f32, WG>;
var<workgroup> part: array<f32, CH * D>;
/** STAGE_V: key j's values at vs[j * D ..]. */
var<workgroup> vs: array<f32, VS>;

/** Value d of key j (row `at` of the head's values): staged (STAGE_V) or from storage. */
fn value_at(j: u32, at: u32, d: u32) -> f32 {
  if (STAGE_V) { return vs[min(j * D + d, VS - 1u)]; }
  return one_v(at + d);
}

/** The workgroup's maximum (take_max) or sum of v. */
fn wg_reduce(v: f32, lid: u32, take_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), take_max); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier(); // nobody overwrites red before everyone has read r
  return r;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let seq = p.seq;
  let b = wid.y;
  let col = live_head(wid.x) * D;
  let cls = b * seq;
  copy_x(b, cls, wid.x, nwg.x, lid);
  if (lid < D) { qs[lid] = q[cls * STRIDE + QO + col + lid] * p.scale; }
  workgroupBarrier();
  // -1e30 for padding: its exponential is exactly 0 (every sequence attends to at least one key).
  var top = -1e30;
  for (var j = lid; j < seq; j += WG) {
    var s = -1e30;
    if (mask[cls + j] != 0u) {
      let at = (cls + j) * STRIDE + KO + col;
      var dot = 0.0;
      for (var d = 0u; d < D; d++) { dot = fma(qs[d], k[at + d], dot); }
      s = dot;
    }
    if (STAGE_V) {
      let vat = (cls + j) * STRIDE + VO + col;
      for (var d = 0u; d < D; d++) { vs[min(j * D + d, VS - 1u)] = v[vat + d]; }
    }
    sc[j] = s;
    top = max(top, s);
  }
  top = wg_reduce(top, lid, true);
  var sum = 0.0;
  for (var j = lid; j < seq; j += WG) {
    let e = exp(sc[j] - top);
    sc[j] = e;
    sum += e;
  }
  sum = wg_reduce(sum, lid, false); // its barriers also publish every thread's sc
  if (lid < CH * D) {
    let d = lid % D;
    var acc = 0.0;
    for (var j = lid / D; j < seq; j += CH) { acc = fma(sc[j], value_at(j, (cls + j) * STRIDE + VO + col, d), acc); }
    part[lid] = acc;
  }
  workgroupBarrier();
  if (lid < D) {
    var total = 0.0;
    for (var c = 0u; c < CH; c++) { total += part[c * D + lid]; }
    store_ctx(b, cls, col + lid, total / sum);
  }
}
