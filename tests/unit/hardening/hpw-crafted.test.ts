// Crafted .hpw files with valid CRCs (issue 18): the metadata's shape and depth and every
// record's dimensions are checked; each is refused with an HPWError saying what is wrong.
import { describe, expect, test } from 'vitest';
import { crc32, HPWError, readHPW } from '../../../src/core/formats/hpw';

/** A frame around `meta` (JSON text) and `records`, with the right length and CRC. */
function frame(meta: string, records: Uint8Array = new Uint8Array(0), count = 0): Uint8Array {
  const m = new TextEncoder().encode(meta);
  const total = 20 + m.length + records.length + 4;
  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode('HPWF'));
  v.setUint32(4, 1, true);
  v.setUint32(8, total, true);
  v.setUint32(12, count, true);
  v.setUint32(16, m.length, true);
  bytes.set(m, 20);
  bytes.set(records, 20 + m.length);
  v.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

/** A 28-byte record header: out, in, tr, tc, m, k, f32 (no tiles kept: nothing follows). */
function emptyRecord(out: number, nIn: number, tr: number, tc: number): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint32(0, out, true);
  v.setUint32(4, nIn, true);
  v.setUint32(8, tr, true);
  v.setUint32(12, tc, true);
  return b;
}

const refused = (bytes: Uint8Array, message: RegExp) => {
  let caught: unknown;
  try {
    readHPW(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HPWError);
  expect((caught as Error).message).toMatch(message);
};

describe('.hpw metadata', () => {
  test('null metadata (CRC valid) is refused, not a TypeError', () =>
    refused(frame('null'), /metadata is null, not an object/));
  test('an array or a number is refused', () => {
    refused(frame('[1,2]'), /metadata is an array, not an object/);
    refused(frame('42'), /metadata is a number/);
  });
  test('info that is not an object is refused', () =>
    refused(frame('{"names":[],"info":null}'), /"info" is not an object/));
  test('100k-deep nesting is refused before parsing (no stack overflow later)', () => {
    const deep = '{"names":[],"info":{"x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}';
    refused(frame(deep), /nests deeper than 16 levels/);
  });
  test('brackets inside strings do not count as nesting', () => {
    expect(
      readHPW(frame('{"names":[],"info":{"note":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"{{{{{{{{{{{{{{{{{{{{"}}')).info,
    ).toEqual({ note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["{{{{{{{{{{{{{{{{{{{{' });
  });
  test('invalid UTF-8 is refused', () => {
    const bytes = frame('{"names":[]}');
    bytes[21] = 0xff;
    // (the CRC no longer matches: re-seal it)
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    refused(bytes, /not UTF-8/);
  });
});

describe('.hpw record dimensions are bounded', () => {
  test('a 28-byte record claiming 4,294,967,295 x 16,777,216 is refused', () => {
    refused(
      frame('{"names":["w"]}', emptyRecord(4294967295, 16777216, 16777216, 256), 1),
      /matrix 0 \(w\): HP record (claims a 4294967295 x 16777216 matrix|has an invalid shape)/,
    );
    refused(
      frame('{"names":["w"]}', emptyRecord(65536, 65536, 16, 256), 1),
      /claims a 65536 x 65536 matrix; this build reads at most 65536 per side and 150 M values/,
    );
  });
  test('tiles taller than 256 rows are refused', () => {
    refused(frame('{"names":["w"]}', emptyRecord(1024, 64, 1024, 16), 1), /1024-row tiles/);
  });
  test('a plausible empty record still reads', () => {
    expect(readHPW(frame('{"names":["w"]}', emptyRecord(64, 64, 16, 16), 1)).matrices[0].hp).toMatchObject({
      out: 64,
      in: 64,
      m: 0,
      k: 0,
    });
  });
});
