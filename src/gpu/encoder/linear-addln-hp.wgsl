// Fused linear + bias + residual + LayerNorm, HP-sparse W (linear-addln.wgsl has the rest): the
// TM rows' whole inputs sit in workgroup memory; output o (tile-row o / TR, row o % TR of its
// tiles) sums its MK = m*k kept entries e of the tile-row: input cols[e], weight
// values[e * TR + o % TR] (HPMatrix.values' layout, so neighbouring outputs read neighbouring
// values). Prepended: consts TR, MK and linear-addln.wgsl.

/** Per kept entry of each tile-row: its input column, tileCol * tc + colOff. */
@group(0) @binding(5) var<storage, read> cols: array<u32>;
@group(0) @binding(6) var<storage, read> values: array<f32>;

var<workgroup> xs: array<f32, TM * K>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t0 = (wid.y * nwg.x + wid.x) * TM;
  if (t0 >= p.tokens) { return; } // uniform per workgroup
  for (var idx = lid; idx < TM * K; idx += WG) {
    let t = t0 + idx / K;
    var v = 0.0;
    if (t < p.tokens) { v = a[t * K + idx % K]; }
    xs[idx] = v;
  }
  workgroupBarrier();
  var acc: array<f32, TM * PER>;
  for (var j = 0u; j < PER; j++) {
    let o = lid + j * WG;
    if (o < H) {
      let base = (o / TR) * MK;
      let r = o % TR;
      for (var q = 0u; q < MK; q++) {
        let e = base + q;
        let c = cols[e];
        let w = values[e * TR + r];
        for (var rr = 0u; rr < TM; rr++) { acc[rr * PER + j] += xs[rr * K + c] * w; }
      }
    }
  }
  add_ln_store(acc, t0, lid);
}
