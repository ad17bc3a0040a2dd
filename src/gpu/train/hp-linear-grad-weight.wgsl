// The weight gradient of an HP linear at its kept positions only: the sampled product
// dV[e] = Σ_t dY[t, row(e)] · X[t, col(e)], one invocation per stored value, in the values'
// own layout (so AdamW updates them in place). Padding slots of ragged edge tiles get 0.
// Uniform: u0 = tokens, u1 = stored values.
@group(0) @binding(1) var<storage, read> header: array<u32>;
@group(0) @binding(2) var<storage, read> tileCol: array<u32>;
@group(0) @binding(3) var<storage, read> colOff: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tokens = p.u0;
  let e = flat_index(gid, nwg, 64u);
  if (e >= p.u1) { return; }
  let nOut = header[0];
  let nIn = header[1];
  let tr = header[2];
  let k = header[5];
  let r = e % tr;
  let c = (e / tr) % k;
  let tile = e / (tr * k);
  let row = (tile / header[4]) * tr + r;
  let ci = tile * k + c;
  let col = unpack16(tileCol[tile / 2u], tile) * header[3] + unpack8(colOff[ci / 4u], ci);
  var s = 0.0;
  if (row < nOut && col < nIn) {
    for (var t = 0u; t < tokens; t++) { s += dy[t * nOut + row] * x[t * nIn + col]; }
  }
  dv[e] = s;
}
