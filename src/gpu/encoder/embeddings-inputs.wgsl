// The embeddings kernels' inputs (embeddings.wgsl, embeddings-subgroup-cols.wgsl): params, the
// tokens' ids and types, the three tables and the LayerNorm's parameters.

struct Params { tokens: u32, seq: u32, eps: f32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> types: array<u32>;
@group(0) @binding(3) var<storage, read> word: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<f32>;
@group(0) @binding(5) var<storage, read> tok_type: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(6) var<storage, read> gamma_beta: array<f32>;
