// AdamW over the packed trainable values (the HP-kept weights, biases, LayerNorm, head): bias-
// corrected moments, decoupled weight decay on indices below u1 (the weight matrices; biases
// and LayerNorm come after them and are not decayed). Pruned weights are not stored, so they
// stay exactly zero. Uniform: u0 = n, u1 = decay end, f0 = lr, f1 = beta1, f2 = beta2,
// f3 = eps, f4 = weight decay, f5 = 1 - beta1^step, f6 = 1 - beta2^step.
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 64u);
  if (i >= p.u0) { return; }
  let g = grad[i];
  let m = p.f1 * m1[i] + (1.0 - p.f1) * g;
  let v = p.f2 * m2[i] + (1.0 - p.f2) * g * g;
  m1[i] = m;
  m2[i] = v;
  let decay = select(0.0, p.f4, i < p.u1);
  param[i] -= p.f0 * ((m / p.f5) / (sqrt(v / p.f6) + p.f3) + decay * param[i]);
}
