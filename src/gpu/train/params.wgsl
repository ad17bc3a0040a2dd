// The uniform every training kernel reads: eight u32 and eight f32 slots, named per kernel
// by a comment where it reads them (train-kernels.ts writes them with packParams).
struct Params {
  u0: u32, u1: u32, u2: u32, u3: u32, u4: u32, u5: u32, u6: u32, u7: u32,
  f0: f32, f1: f32, f2: f32, f3: f32, f4: f32, f5: f32, f6: f32, f7: f32,
}
@group(0) @binding(0) var<uniform> p: Params;

/** Flat invocation index of a 2-D grid of 1-D workgroups of size WGX (large counts spill into y). */
fn flat_index(gid: vec3u, nwg: vec3u, wgx: u32) -> u32 {
  return gid.y * nwg.x * wgx + gid.x;
}
