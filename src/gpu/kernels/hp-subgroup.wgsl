// HP-sparse Y = X·Wᵀ + b (optionally GELU) for few tokens, with subgroups (the counterpart of
// dense-subgroup.wgsl; buffers as in hp-linear.wgsl). One subgroup computes TT tokens x one
// quad of a tile-row's outputs: its lanes split the tile-row's Q = m*k kept columns, each
// reading the quad's four stored values of its column (one vec4) and X at that input column for
// the TT tokens, and subgroupAdd sums the lanes. A workgroup covers QUADS consecutive quads
// (several tile-rows when Tr < 4 * QUADS) for TT tokens.

struct Params { tokens: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> params: Params;
// [out, in, tr, tc, m, k, tileRows, tilesPerRow]
@group(0) @binding(1) var<storage, read> header: array<u32>;
@group(0) @binding(2) var<storage, read> tileCol: array<u32>;
@group(0) @binding(3) var<storage, read> colOff: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

const TR = {{TR}}u;
const WG = {{WG}}u;
const QUADS = {{QUADS}}u;
const TT = {{TT}}u;
const QU = {{QU}}u;

@compute @workgroup_size({{WG}}, 1, 1)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) sgSize: u32,
) {
  let M = params.tokens;
  let nOut = header[0];
  let nIn = header[1];
  let Q = header[4] * header[5];
  let tileRows = header[6];
  let slot = claimSubgroupSlot(li); // subgroup-common.wgsl
  let subgroups = (WG + sgSize - 1u) / sgSize;
  let t0 = wid.y * TT;

  for (var quad = slot; quad < QUADS; quad += subgroups) {
    let globalQuad = wid.x * QUADS + quad;
    let tileRow = globalQuad / (TR / 4u);
    if (tileRow >= tileRows) { break; }
    let o0 = globalQuad * 4u; // = tileRow * TR + 4 * (quad within the tile-row)
//#unroll T {{TT}}
    let xrow{{T}} = min(t0 + {{T}}u, M - 1u) * nIn;
    var acc{{T}} = vec4<f32>(0.0);
//#end
    // QU kept columns per lane per trip, their index and value loads issued before any X load:
    // at few tokens this kernel is latency-bound, and independent loads overlap.
    for (var q0 = lane; q0 < Q; q0 += QU * sgSize) {
//#unroll U {{QU}}
      let col{{U}} = keptColumn(tileRow, q0 + {{U}}u * sgSize);
      var v{{U}} = vec4<f32>(0.0);
      if (col{{U}} < nIn) {
        v{{U}} = toQuad(values[(tileRow * Q + q0 + {{U}}u * sgSize) * (TR / 4u) + globalQuad % (TR / 4u)]);
      }
      let c{{U}} = min(col{{U}}, nIn - 1u); // v is 0 past the last kept column
//#end
//#unroll T {{TT}}
//#unroll U {{QU}}
      acc{{T}} = fma(vec4<f32>(x[xrow{{T}} + c{{U}}]), v{{U}}, acc{{T}});
//#end
//#end
    }
//#unroll T {{TT}}
    {
      let sum = subgroupAdd(acc{{T}});
      let t = t0 + {{T}}u;
      if (lane == 0u && t < M) {
//#unroll C 4
        if (o0 + {{C}}u < nOut) { y[t * nOut + o0 + {{C}}u] = hp_epilogue(sum[{{C}}], o0 + {{C}}u); }
//#end
      }
    }
//#end
  }
}
