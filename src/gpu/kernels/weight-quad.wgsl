// How the linear kernels read four consecutive stored weights (a "quad") from their weight
// buffer, whose element type is {{WEIGHT_QUAD}}: f32 (one vec4<f32>), or f16 (two u32 words,
// the HP format's f16 value type) unpacked with unpack2x16float. That is core WGSL, so f16
// weights need no 'shader-f16': they halve the weight bytes and the arithmetic stays f32.
//#if F16W
fn toQuad(v: vec2<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)); }
//#else
fn toQuad(v: vec4<f32>) -> vec4<f32> { return v; }
//#endif
