// Dense Y = X·Wᵀ + b (optionally GELU) for few tokens, with subgroups: the tiled kernel's
// 64-128 token blocks would leave most of a big GPU idle when a batch holds one sentence (or the
// pooler's one token per sentence). Here one subgroup computes TT tokens x 4 outputs: its lanes
// split K (vec4 steps, so W rows and X rows are read coalesced), each lane keeps TT partial
// vec4s, and subgroupAdd sums them across lanes. A workgroup covers QUADS output quads for TT
// tokens; its subgroups take quads in turn. Needs K % 4 == 0 (vec4 rows).

struct Params { tokens: u32, k: u32, n: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const WG = {{WG}}u;
const QUADS = {{QUADS}}u;
const TT = {{TT}}u;

@compute @workgroup_size({{WG}}, 1, 1)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) sgSize: u32,
) {
  let M = params.tokens;
  let K4 = params.k / 4u;
  let N = params.n;
  let slot = claimSubgroupSlot(li); // subgroup-common.wgsl
  let subgroups = (WG + sgSize - 1u) / sgSize;
  let t0 = wid.y * TT;

  for (var quad = slot; quad < QUADS; quad += subgroups) {
    let o0 = (wid.x * QUADS + quad) * 4u;
    if (o0 >= N) { break; }
    // Rows past N (and tokens past M) re-read the last valid one; their sums are not written.
//#unroll C 4
    let row{{C}} = min(o0 + {{C}}u, N - 1u) * K4;
//#end
//#unroll T {{TT}}
    let xrow{{T}} = min(t0 + {{T}}u, M - 1u) * K4;
    var acc{{T}} = vec4<f32>(0.0);
//#end
    for (var kv = lane; kv < K4; kv += sgSize) {
//#unroll C 4
      let w{{C}} = toQuad(w[row{{C}} + kv]);
//#end
//#unroll T {{TT}}
      {
        let xv = x[xrow{{T}} + kv];
        acc{{T}} += vec4<f32>(dot(xv, w0), dot(xv, w1), dot(xv, w2), dot(xv, w3));
      }
//#end
    }
//#unroll T {{TT}}
    {
      let sum = subgroupAdd(acc{{T}});
      let t = t0 + {{T}}u;
      if (lane == 0u && t < M) {
//#unroll C 4
        if (o0 + {{C}}u < N) { y[t * N + o0 + {{C}}u] = hp_epilogue(sum[{{C}}], o0 + {{C}}u); }
//#end
      }
    }
//#end
  }
}
