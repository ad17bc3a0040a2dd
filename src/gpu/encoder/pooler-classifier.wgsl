// The classification head on [CLS] (token 0 of each sequence): pooled = tanh(Wp h + bp) when
// the model has a pooler (else pooled = h), logits = Wc pooled + bc. One workgroup a sequence:
// OL output lanes x SPLITS threads per output, each summing a 1/SPLITS slice of the inputs with
// four independent accumulators (a single chain of H dependent multiply-adds, each waiting for its
// load, made this one small dispatch take 17 us on the H200). Prepended: consts H, WG, OL,
// SPLITS (WG = OL * SPLITS), IPS = ceil(H / SPLITS), LABELS, HAS_POOLER and row-norm.wgsl (wg_sum).

struct Params { seq: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
/** Wpᵀ (in x out, so consecutive threads read consecutive words), then bp. */
@group(0) @binding(2) var<storage, read> pooler: array<f32>;
/** Wc (LABELS x H, row-major), then bc. */
@group(0) @binding(3) var<storage, read> classifier: array<f32>;
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;

var<workgroup> cls: array<f32, H>;
var<workgroup> pooled: array<f32, H>;
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let x0 = b * p.seq * H;
  for (var i = lid; i < H; i += WG) { cls[i] = x[x0 + i]; }
  workgroupBarrier();
  let lane = lid % OL;
  let split = lid / OL;
  for (var o0 = 0u; o0 < H; o0 += OL) {
    let o = o0 + lane;
    if (HAS_POOLER) {
      var a = vec4<f32>(0.0);
      if (o < H) {
        let i1 = min(H, (split + 1u) * IPS);
        var i = split * IPS;
        for (; i + 4u <= i1; i += 4u) {
          a += vec4<f32>(pooler[i * H + o], pooler[(i + 1u) * H + o], pooler[(i + 2u) * H + o],
            pooler[(i + 3u) * H + o]) * vec4<f32>(cls[i], cls[i + 1u], cls[i + 2u], cls[i + 3u]);
        }
        for (; i < i1; i++) { a.x += pooler[i * H + o] * cls[i]; }
      }
      part[lid] = (a.x + a.y) + (a.z + a.w);
      workgroupBarrier();
      if (split == 0u && o < H) {
        var acc = pooler[H * H + o];
        for (var s = 0u; s < SPLITS; s++) { acc += part[s * OL + lane]; }
        pooled[o] = tanh(clamp(acc, -15.0, 15.0)); // clamp: some tanh lowerings overflow to NaN
      }
      workgroupBarrier(); // `part` is rewritten next round
    } else if (split == 0u && o < H) {
      pooled[o] = cls[o];
    }
  }
  workgroupBarrier();
  for (var c = 0u; c < LABELS; c++) {
    var sum = 0.0;
    for (var i = lid; i < H; i += WG) { sum += classifier[c * H + i] * pooled[i]; }
    let total = wg_sum(sum, lid);
    if (lid == 0u) { logits[b * LABELS + c] = total + classifier[LABELS * H + c]; }
  }
}
