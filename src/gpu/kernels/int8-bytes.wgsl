// What the int8 kernels share (appended; each has params.tokens): the 4 x 4 byte transpose of the
// kernels on transposed codes (int8-transpose.wgsl's layout: four words as the rows of a 4 x 4 byte
// matrix, byte j of word i = element (i, j) -> its columns, byte i of word j = element (i, j)), and
// the linears' epilogue helpers: the exact i32 -> f32 conversion and the unfused rounding.

/** Four words of four rows (byte j of word i = element (i, j)) -> the transposed four words. */
fn transpose4(a: u32, b: u32, c: u32, d: u32) -> vec4<u32> {
  let ab0 = (a & 0x00ff00ffu) | ((b & 0x00ff00ffu) << 8u);
  let ab1 = ((a >> 8u) & 0x00ff00ffu) | (b & 0xff00ff00u);
  let cd0 = (c & 0x00ff00ffu) | ((d & 0x00ff00ffu) << 8u);
  let cd1 = ((c >> 8u) & 0x00ff00ffu) | (d & 0xff00ff00u);
  return vec4<u32>(
    (ab0 & 0xffffu) | (cd0 << 16u),
    (ab1 & 0xffffu) | (cd1 << 16u),
    (ab0 >> 16u) | (cd0 & 0xffff0000u),
    (ab1 >> 16u) | (cd1 & 0xffff0000u),
  );
}

/** f32(a) correctly rounded (an i32 -> f32 conversion may round either way when |a| > 2^24):
 *  both halves are exact in f32, their one f32 addition rounds to nearest. */
fn exactF32(a: i32) -> f32 {
  let lo = a & 255;
  return f32(a - lo) + f32(lo);
}

/** p as a rounded f32 the next addition cannot fuse with: XOR with a runtime zero (tokens < 2^31)
 *  the compiler cannot fold. Without it NVIDIA's driver turns the epilogue's multiply and bias
 *  add into one FMA (one rounding instead of two), and 24% of the outputs differ from the CPU
 *  reference in the last bit (measured on the H200, BENCHMARKS.md). */
fn rounded(p: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(p) ^ (params.tokens >> 31u));
}
