// Training forward of one linear, Y = X·Wᵀ + b, with W in the HP layout (core/formats/hp.ts):
// the values live in the trainer's parameter buffer, so AdamW's updates are what the next step
// reads. A dense layer is the same layout with every tile and column kept. One invocation
// computes RT tokens of one output row o: the q-th kept column of o's tile-row holds
// values[(tileRow*Q + q)*tr + r]. Simple rather than tiled: the engine's tuned kernels own
// inference, this one has to follow the parameters as they change.
// Uniform: u0 = tokens.
@group(0) @binding(1) var<storage, read> header: array<u32>; // [out, in, tr, tc, m, k, tileRows, tilesPerRow]
@group(0) @binding(2) var<storage, read> tileCol: array<u32>;
@group(0) @binding(3) var<storage, read> colOff: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

const RT = 4u;

@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let tokens = p.u0;
  let nOut = header[0];
  let nIn = header[1];
  let tr = header[2];
  let Q = header[4] * header[5];
  let o = gid.x;
  let t0 = gid.y * RT;
  if (o >= nOut || t0 >= tokens) { return; }
  let tileRow = o / tr;
  let r = o % tr;
  var acc: array<f32, RT>;
  for (var i = 0u; i < RT; i++) { acc[i] = bias[o]; }
  for (var q = 0u; q < Q; q++) {
    let col = keptColumn(tileRow, q);
    if (col >= nIn) { continue; }
    let w = values[(tileRow * Q + q) * tr + r];
    for (var i = 0u; i < RT; i++) {
      let t = min(t0 + i, tokens - 1u);
      acc[i] += x[t * nIn + col] * w;
    }
  }
  for (var i = 0u; i < RT; i++) {
    if (t0 + i < tokens) { y[(t0 + i) * nOut + o] = acc[i]; }
  }
}
