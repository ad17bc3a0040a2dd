// f32 rows to columns: X (tokens x K, row-major) -> XT (K x P, P = tokens rounded up to 4), the
// input hp-columns.wgsl reads. A workgroup moves 32 columns x 64 tokens through workgroup memory,
// so the reads (32 consecutive floats of a row) and the writes (16 vec4 of a column) are both
// contiguous. Tokens past `tokens` in the last quad are written as 0.

struct Params { tokens: u32, k: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> xt: array<vec4<f32>>;

const TOK = 64u;
var<workgroup> tile: array<f32, 32u * 65u>; // [column][token], odd row stride

@compute @workgroup_size(32, 8, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c0 = wid.x * 32u;
  let t0 = wid.y * TOK;
  let M = params.tokens;
  let K = params.k;
  let c = c0 + lid.x;
  for (var r = lid.y; r < TOK; r += 8u) {
    let t = t0 + r;
    var v = 0.0;
    if (t < M && c < K) { v = x[t * K + c]; }
    tile[lid.x * 65u + r] = v;
  }
  workgroupBarrier();
  let P4 = (M + 3u) / 4u;
  let tid = lid.y * 32u + lid.x;
  for (var e = tid; e < 32u * (TOK / 4u); e += 256u) {
    let cc = e / (TOK / 4u);
    let g = e % (TOK / 4u);
    let q = t0 / 4u + g;
    let b = cc * 65u + 4u * g;
    if (c0 + cc < K && q < P4) {
      xt[(c0 + cc) * P4 + q] = vec4<f32>(tile[b], tile[b + 1u], tile[b + 2u], tile[b + 3u]);
    }
  }
}
