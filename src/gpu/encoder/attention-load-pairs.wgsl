// Q, K and V for the attention kernels as rows of float pairs, where D, the row stride and the
// Q/K/V offsets are all even (every head starts 8-byte aligned): quad_q/k/v(at, e), the four head
// values from element e (even) of the row starting at float `at` (even), zeros past D, in two
// 8-byte loads instead of four 4-byte ones; one_v(at): the value at float `at`. Prepended: const D.

@group(0) @binding(1) var<storage, read> q: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec2<f32>>;

fn quad_q(at: u32, e: u32) -> vec4<f32> {
  let i = (at + e) / 2u;
  return vec4<f32>(select(vec2<f32>(0.0), q[i], e < D), select(vec2<f32>(0.0), q[i + 1u], e + 2u < D));
}

fn quad_k(at: u32, e: u32) -> vec4<f32> {
  let i = (at + e) / 2u;
  return vec4<f32>(select(vec2<f32>(0.0), k[i], e < D), select(vec2<f32>(0.0), k[i + 1u], e + 2u < D));
}

fn quad_v(at: u32, e: u32) -> vec4<f32> {
  let i = (at + e) / 2u;
  return vec4<f32>(select(vec2<f32>(0.0), v[i], e < D), select(vec2<f32>(0.0), v[i + 1u], e + 2u < D));
}

fn one_v(at: u32) -> f32 {
  return v[at / 2u][at % 2u];
}
