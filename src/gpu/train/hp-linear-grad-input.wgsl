// dX = dY·W for a linear whose W is in the HP layout, read column by column through a CSC
// index built once from the fixed mask (train-layout.ts): colStart[in + 1], and per column the
// indices of its stored values. Pruned weights have no entry, so the work is as sparse as W.
// Uniform: u0 = tokens, u1 = mode (0: dX = s, 1: dX += s, 2: dX = s + addend).
@group(0) @binding(1) var<storage, read> header: array<u32>;
@group(0) @binding(2) var<storage, read> colStart: array<u32>;
@group(0) @binding(3) var<storage, read> entries: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read> addend: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

const RT = 4u;

@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let tokens = p.u0;
  let mode = p.u1;
  let nOut = header[0];
  let nIn = header[1];
  let tr = header[2];
  let mk = header[4] * header[5];
  let col = gid.x;
  let t0 = gid.y * RT;
  if (col >= nIn || t0 >= tokens) { return; }
  var acc: array<f32, RT>;
  for (var e = colStart[col]; e < colStart[col + 1u]; e++) {
    let idx = entries[e];
    let w = values[idx];
    // Stored value idx = (keptTile*k + c)*tr + r, keptTile = tileRow*m + j.
    let row = (idx / tr / mk) * tr + idx % tr;
    for (var i = 0u; i < RT; i++) {
      let t = min(t0 + i, tokens - 1u);
      acc[i] += dy[t * nOut + row] * w;
    }
  }
  for (var i = 0u; i < RT; i++) {
    let t = t0 + i;
    if (t >= tokens) { break; }
    let o = t * nIn + col;
    if (mode == 1u) { dx[o] += acc[i]; } else if (mode == 2u) { dx[o] = acc[i] + addend[o]; } else { dx[o] = acc[i]; }
  }
}
