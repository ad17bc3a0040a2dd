// The weight gradient of an HP linear at its kept positions only: the sampled product
// dV[e] = Σ_t dY[t, row(e)] · X[t, col(e)], in the values' own layout (so AdamW updates them in
// place). A workgroup owns 32 consecutive stored values (consecutive rows of one kept column:
// coalesced dY reads, one broadcast X read) and splits the tokens over 8 stripes, summed in
// workgroup memory. Padding slots of ragged edge tiles get 0.
// Uniform: u0 = tokens, u1 = stored values.
@group(0) @binding(1) var<storage, read> header: array<u32>;
@group(0) @binding(2) var<storage, read> tileCol: array<u32>;
@group(0) @binding(3) var<storage, read> colOff: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> dv: array<f32>;

const VALUES = 32u;
const STRIPES = 8u;
var<workgroup> part: array<f32, 256>; // VALUES * STRIPES

@compute @workgroup_size(32, 8)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let tokens = p.u0;
  let e = (wid.y * nwg.x + wid.x) * VALUES + lid.x;
  let nOut = header[0];
  let nIn = header[1];
  let tr = header[2];
  let k = header[5];
  var s = 0.0;
  var inside = false;
  if (e < p.u1) {
    let r = e % tr;
    let c = (e / tr) % k;
    let tile = e / (tr * k);
    let row = (tile / header[4]) * tr + r;
    let ci = tile * k + c;
    let col = unpack16(tileCol[tile / 2u], tile) * header[3] + unpack8(colOff[ci / 4u], ci);
    if (row < nOut && col < nIn) {
      for (var t = lid.y; t < tokens; t += STRIPES) { s += dy[t * nOut + row] * x[t * nIn + col]; }
    }
  }
  part[lid.y * VALUES + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && e < p.u1) {
    var total = 0.0;
    for (var i = 0u; i < STRIPES; i++) { total += part[i * VALUES + lid.x]; }
    dv[e] = total;
  }
}
