// The classification head on [CLS] (token 0 of each sequence): pooled = tanh(Wp h + bp) when
// the model has a pooler (else pooled = h), logits = Wc pooled + bc. One workgroup a sequence.
// Prepended: consts H, WG, LABELS, HAS_POOLER and row-norm.wgsl (for wg_sum).

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let x0 = b * p.seq * H;
  for (var i = lid; i < H; i += WG) { cls[i] = x[x0 + i]; }
  workgroupBarrier();
  for (var o = lid; o < H; o += WG) {
    if (HAS_POOLER) {
      var acc = pooler[H * H + o];
      for (var i = 0u; i < H; i++) { acc += pooler[i * H + o] * cls[i]; }
      pooled[o] = tanh(clamp(acc, -15.0, 15.0)); // clamp: some tanh lowerings overflow to NaN
    } else {
      pooled[o] = cls[o];
    }
  }
  workgroupBarrier();
  for (var c = 0u; c < LABELS; c++) {
    var part = 0.0;
    for (var i = lid; i < H; i += WG) { part += classifier[c * H + i] * pooled[i]; }
    let total = wg_sum(part, lid);
    if (lid == 0u) { logits[b * LABELS + c] = total + classifier[LABELS * H + c]; }
  }
}
