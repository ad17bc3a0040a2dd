// The classification head on [CLS] (token 0 of each sequence): pooled = tanh(Wp h + bp) when
// the model has a pooler (else pooled = h), logits = Wc pooled + bc. One workgroup a sequence.
// The pooler's H x H product is spread over the workgroup: thread (c, o4) sums inputs
// [c*IC, (c+1)*IC) for outputs 4*o4 .. 4*o4+3 (one vec4 of Wpᵀ a step, eight accumulators), then
// the C chunks' partial sums are added through workgroup memory. (One thread an output, as
// before, was a chain of H dependent loads: 17 us on the H200 at any batch.)
// Prepended: consts H, H4 = ceil(H / 4), C = chunks, IC = ceil(H / C), WG, LABELS, HAS_POOLER
// and row-norm.wgsl (for wg_sum); //#unroll blocks expanded by wgsl-template.ts.

struct Params { seq: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
/** Wpᵀ (H inputs x H4 vec4s of outputs, zero-padded), then bp (H4 vec4s). */
@group(0) @binding(2) var<storage, read> pooler: array<vec4<f32>>;
/** Wc (LABELS x H, row-major), then bc. */
@group(0) @binding(3) var<storage, read> classifier: array<f32>;
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;

var<workgroup> cls: array<f32, H>;
var<workgroup> part: array<vec4<f32>, C * H4>;
var<workgroup> pooled: array<f32, H>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let x0 = b * p.seq * H;
  for (var i = lid; i < H; i += WG) { cls[i] = x[x0 + i]; }
  workgroupBarrier();
  if (HAS_POOLER) {
    if (lid < C * H4) {
      let o4 = lid % H4;
      let i0 = (lid / H4) * IC;
      let i1 = min(H, i0 + IC);
      // Eight loads in flight a thread: one workgroup reads all of Wpᵀ from L2, so its time is
      // the bytes over what its loads in flight cover of L2's latency.
//#unroll U 8
      var a{{U}} = vec4<f32>(0.0);
//#end
      var i = i0;
      for (; i + 7u < i1; i += 8u) {
//#unroll U 8
        a{{U}} = fma(vec4<f32>(cls[i + {{U}}u]), pooler[(i + {{U}}u) * H4 + o4], a{{U}});
//#end
      }
      for (; i < i1; i++) { a0 = fma(vec4<f32>(cls[i]), pooler[i * H4 + o4], a0); }
      part[lid] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }
    workgroupBarrier();
    for (var o = lid; o < H; o += WG) {
      var acc = pooler[H * H4 + o / 4u][o % 4u];
      for (var c = 0u; c < C; c++) { acc += part[c * H4 + o / 4u][o % 4u]; }
      pooled[o] = tanh(clamp(acc, -15.0, 15.0)); // clamp: some tanh lowerings overflow to NaN
    }
  } else {
    for (var o = lid; o < H; o += WG) { pooled[o] = cls[o]; }
  }
  workgroupBarrier();
  for (var c = 0u; c < LABELS; c++) {
    var part = 0.0;
    for (var i = lid; i < H; i += WG) { part += classifier[c * H + i] * pooled[i]; }
    let total = wg_sum(part, lid);
    if (lid == 0u) { logits[b * LABELS + c] = total + classifier[LABELS * H + c]; }
  }
}
