// Hidden-state distillation: adds the gradient of w · mean over real tokens and features of
// (x - t)² to a layer output's gradient, in place: dh[i] += c · (x[i] - t[i]) · mask[token],
// c = 2w / (real tokens · hidden). x: the student's layer output, t: the teacher's.
// Uniform: u0 = n (tokens · hidden), u1 = hidden, f0 = c.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> dh: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 64u);
  if (i >= p.u0) { return; }
  if (mask[i / p.u1] != 0u) { dh[i] += p.f0 * (x[i] - t[i]); }
}
