// Element-wise activations and their derivatives: GELU (erf-exact, as BERT's FFN) and tanh
// (the pooler). Prepended: epilogue.wgsl of the linear kernels, for hp_gelu / hp_erfc_abs.
// Uniform: u0 = n, u1 = mode: 0 out = gelu(a); 1 out = b · gelu'(a); 2 out = tanh(a);
// 3 out = b · (1 - a²) with a = tanh's output.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

/** d/dx x·Phi(x) = Phi(x) + x·phi(x). */
fn gelu_grad(x: f32) -> f32 {
  let half_erfc = 0.5 * hp_erfc_abs(abs(x) * 0.70710678118654752);
  let cdf = select(half_erfc, 1.0 - half_erfc, x >= 0.0);
  return cdf + x * exp(-0.5 * x * x) * 0.3989422804014327;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 64u);
  if (i >= p.u0) { return; }
  let v = a[i];
  switch (p.u1) {
    case 0u: { out[i] = hp_gelu(v); }
    case 1u: { out[i] = b[i] * gelu_grad(v); }
    case 2u: { out[i] = tanh(clamp(v, -15.0, 15.0)); } // clamp: some tanh lowerings overflow to NaN
    default: { out[i] = b[i] * (1.0 - v * v); }
  }
}
