// Packed int8 activation codes transposed: X (tokens x XW words, four columns a word, from
// int8-quantize.wgsl) -> XT (columns x TW words, four tokens a word: word (c, g) holds column c of
// tokens 4g..4g+3, byte i = token 4g + i; TW = tokens padded to 16, zero codes past `tokens`).
// The HP int8 kernels read a kept column of 16 tokens as one 16-byte load from XT (no byte
// gather), and turn four such columns back into four-column words with the same 4 x 4 byte
// transpose (transpose4, int8-bytes.wgsl).
// A workgroup moves 32 columns (8 words) x 128 tokens through workgroup memory so that both the
// reads (8 words of a row) and the writes (32 words of a column) are contiguous.

struct Params { tokens: u32, xw: u32, tw: u32, pad: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xq: array<u32>;
@group(0) @binding(2) var<storage, read_write> xt: array<u32>;

const TOK = 128u;
var<workgroup> tile: array<u32, 32u * 33u>; // [column][token group], odd row stride

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let w0 = wid.x * 8u; // first word (four columns) of the tile
  let t0 = wid.y * TOK;
  let w = tid % 8u;
  let g = tid / 8u; // token group: tokens t0 + 4g .. + 3
  var v = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) {
    let t = t0 + 4u * g + i;
    if (t < params.tokens && w0 + w < params.xw) { v[i] = xq[t * params.xw + w0 + w]; }
  }
  let o = transpose4(v[0], v[1], v[2], v[3]); // o[j]: column 4w + j of the four tokens
  for (var j = 0u; j < 4u; j++) { tile[(4u * w + j) * 33u + g] = o[j]; }
  workgroupBarrier();
  for (var e = tid; e < 32u * 32u; e += 256u) {
    let c = e / 32u;
    let gw = e % 32u;
    let col = w0 * 4u + c;
    let word = t0 / 4u + gw;
    if (col < params.xw * 4u && word < params.tw) { xt[col * params.tw + word] = tile[c * 33u + gw]; }
  }
}
