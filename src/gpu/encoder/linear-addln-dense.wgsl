// Fused linear + bias + residual + LayerNorm, dense W (linear-addln.wgsl has the rest): the
// rows' inputs stream through workgroup memory BK4 vec4s (4*BK4 inputs) at a time; W is stored
// transposed ([K, H]) so the threads' weight reads are consecutive. Prepended: consts BK4 and
// linear-addln.wgsl.

@group(0) @binding(5) var<storage, read> wt: array<f32>;

var<workgroup> at: array<vec4<f32>, TM * BK4>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t0 = (wid.y * nwg.x + wid.x) * TM;
  if (t0 >= p.tokens) { return; } // uniform per workgroup
  var acc: array<f32, TM * PER>;
  for (var k0 = 0u; k0 < K; k0 += 4u * BK4) {
    for (var idx = lid; idx < TM * BK4; idx += WG) {
      let t = t0 + idx / BK4;
      let c = k0 + (idx % BK4) * 4u;
      var v = vec4<f32>(0.0);
      if (t < p.tokens) {
        for (var e = 0u; e < 4u; e++) { if (c + e < K) { v[e] = a[t * K + c + e]; } }
      }
      at[idx] = v;
    }
    workgroupBarrier();
    for (var q = 0u; q < BK4; q++) {
      let kb = k0 + 4u * q;
      for (var j = 0u; j < PER; j++) {
        let col = lid + j * WG;
        var w = vec4<f32>(0.0);
        if (col < H) {
          for (var e = 0u; e < 4u; e++) { if (kb + e < K) { w[e] = wt[(kb + e) * H + col]; } }
        }
        for (var r = 0u; r < TM; r++) { acc[r * PER + j] += dot(at[r * BK4 + q], w); }
      }
    }
    workgroupBarrier(); // the next chunk overwrites `at`
  }

  add_ln_store(acc, t0, lid);
}
