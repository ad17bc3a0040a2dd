// Reading the HP format's index buffers (packHPForGPU in core/formats/hp.ts), shared by the HP
// kernels, which declare `header`, `tileCol` and `colOff`: tileCol holds u16 tile-column
// indices two per word, colOff u8 in-tile column offsets four per word.
fn unpack16(words: u32, i: u32) -> u32 { return (words >> (16u * (i & 1u))) & 0xffffu; }
fn unpack8(words: u32, i: u32) -> u32 { return (words >> (8u * (i & 3u))) & 0xffu; }

// Input column of the q-th kept column of a tile-row (tile q / k, its (q % k)-th offset);
// past the last kept column: 0xffffffff, which every bounds check treats as outside X.
fn keptColumn(tileRow: u32, q: u32) -> u32 {
  let m = header[4];
  let k = header[5];
  if (q >= m * k) { return 0xffffffffu; }
  let tile = tileRow * m + q / k;
  let ci = tile * k + q % k;
  return unpack16(tileCol[tile / 2u], tile) * header[3] + unpack8(colOff[ci / 4u], ci);
}
