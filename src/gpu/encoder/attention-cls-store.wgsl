// attention-cls.wgsl's context in place: ctx row b * seq (the [CLS] row of sequence b).

@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

fn store_ctx(b: u32, cls: u32, i: u32, v: f32) {
  ctx[cls * H + i] = v;
}

fn copy_x(b: u32, cls: u32, w: u32, nw: u32, lid: u32) {}
