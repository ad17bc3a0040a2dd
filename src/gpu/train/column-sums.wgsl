// Sums over tokens, for the bias gradient (out[c] = Σ_t a[t, c]) and LayerNorm's gamma and
// beta gradients (out[c] = Σ_t a[t, c] b[t, c], out[cols + c] = Σ_t a[t, c]). A workgroup
// owns 16 columns; 16 token stripes each sum a part, then workgroup memory adds them.
// Uniform: u0 = rows (tokens), u1 = cols, u2 = mode (0: bias, 1: gamma and beta).
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<vec2<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let rows = p.u0;
  let cols = p.u1;
  let c = wid.x * 16u + lid.x;
  var s = vec2<f32>(0.0);
  if (c < cols) {
    for (var t = lid.y; t < rows; t += 16u) {
      let v = a[t * cols + c];
      if (p.u2 == 1u) { s += vec2<f32>(v * b[t * cols + c], v); } else { s.x += v; }
    }
  }
  part[lid.y * 16u + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && c < cols) {
    var total = vec2<f32>(0.0);
    for (var i = 0u; i < 16u; i++) { total += part[i * 16u + lid.x]; }
    out[c] = total.x;
    if (p.u2 == 1u) { out[cols + c] = total.y; }
  }
}
