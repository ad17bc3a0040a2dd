// The 4 x 4 byte transpose of the int8 kernels (int8-transpose.wgsl, and the HP kernels that read
// its transposed codes): four words as the rows of a 4 x 4 byte matrix (byte j of word i =
// element (i, j)) -> its columns (byte i of word j = element (i, j)).

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
