// attention-cls.wgsl's context as compact rows: row b of ctx_cls, and the [CLS] row of x (the
// residual) copied to row b of x_cls, so the tail after it needs no gather (cls-gather.wgsl). The
// workgroups of sequence b (one a live head) copy a share of x's row each.

@group(0) @binding(5) var<storage, read_write> ctx_cls: array<f32>;
@group(0) @binding(6) var<storage, read> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> x_cls: array<f32>;

fn store_ctx(b: u32, cls: u32, i: u32, v: f32) {
  ctx_cls[b * H + i] = v;
}

/** Workgroup w of the nw of sequence b copies its share of x's row cls to x_cls's row b. */
fn copy_x(b: u32, cls: u32, w: u32, nw: u32, lid: u32) {
  let share = (H + nw - 1u) / nw;
  let end = min(H, (w + 1u) * share);
  for (var i = w * share + lid; i < end; i += WG) {
    x_cls[b * H + i] = x[cls * H + i];
  }
}
