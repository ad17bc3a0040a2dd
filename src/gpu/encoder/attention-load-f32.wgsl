// Q, K and V for the attention kernels as f32 rows, and quad_q/k/v(at, e): the four head values
// from element e of the row starting at float `at` (zeros past D); one_v(at): the value at float `at`.
// Prepended: const D.

@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;

fn quad_q(at: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < D) { r[c] = q[at + e + c]; } }
  return r;
}

fn quad_k(at: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < D) { r[c] = k[at + e + c]; } }
  return r;
}

fn quad_v(at: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < D) { r[c] = v[at + e + c]; } }
  return r;
}

fn one_v(at: u32) -> f32 {
  return v[at];
}
