// The [CLS] rows of the last layer: the head reads token 0 of each sequence alone, so the last
// layer's attention output, FFN and LayerNorms need only those rows (engine.ts clsTail). Copies row
// b * seq of the attention's context and of x (the residual) to row b of two compact buffers, one
// workgroup a sequence. Prepended: consts H, WG, PER and row-norm.wgsl (row_of).

struct Params { batch: u32, seq: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ctx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> ctx_cls: array<f32>;
@group(0) @binding(4) var<storage, read_write> x_cls: array<f32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let b = row_of(wid, nwg);
  if (b >= p.batch) { return; }
  let src = b * p.seq * H;
  for (var i = lid; i < H; i += WG) {
    ctx_cls[b * H + i] = ctx[src + i];
    x_cls[b * H + i] = x[src + i];
  }
}
