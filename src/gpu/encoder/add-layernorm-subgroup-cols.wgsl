// Residual + LayerNorm in place, x = LayerNorm(a + x), that also writes the result as columns
// for the HP linears on X as columns: add-layernorm-subgroup-row.wgsl's rows through
// rows-to-columns.wgsl (both prepended/appended by row-ops.ts), with xt bound here.

@group(0) @binding(4) var<storage, read_write> xt: array<vec4<f32>>;
