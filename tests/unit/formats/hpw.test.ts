import { describe, expect, it } from 'vitest';
import { decodeHP, hpBytes, type HPValueType } from '../../../src/core/formats/hp';
import { quantizeHP } from '../../../src/core/quant/int-linear';
import { f16Round } from '../../../src/core/formats/f16';
import { crc32, hpwBytes, readHPW, writeHPW, type HPWFile } from '../../../src/core/formats/hpw';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';

function sample(t: HPValueType): HPWFile {
  let seed = 11;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const shapes: Array<[number, number]> = [
    [12, 12],
    [20, 12],
    [12, 20],
    [7, 13],
  ];
  const matrices = shapes.map(([out, nIn], i) => {
    const weight = Float32Array.from({ length: out * nIn }, rnd);
    const r = pruneMatrix(
      { name: `m${i}`, out, in: nIn, weight },
      { pattern: 'hp', sparsity: 0.6, split: 0.5, tr: 4, tc: 4, score: 'magnitude' },
    );
    return { name: `layer.${i}.q`, hp: r.hp! };
  });
  return { valueType: t, matrices, info: { pattern: 'hp', sparsity: 0.6, tile: '4x4' } };
}

describe('.hpw file', () => {
  it('round-trips every matrix exactly (f32) or to f16 rounding (f16), with names and info', () => {
    for (const t of ['f32', 'f16'] as const) {
      const file = sample(t);
      const bytes = writeHPW(file);
      expect(bytes.byteLength).toBe(hpwBytes(file.matrices, t, file.info));
      const back = readHPW(bytes);
      expect(back.valueType).toBe(t);
      expect(back.info).toEqual(file.info);
      expect(back.matrices.map((m) => m.name)).toEqual(file.matrices.map((m) => m.name));
      back.matrices.forEach((m, i) => {
        const want = file.matrices[i].hp;
        expect({ ...m.hp, values: null }).toEqual({ ...want, values: null });
        expect(decodeHP(m.hp)).toEqual(t === 'f32' ? decodeHP(want) : decodeHP(want).map(f16Round));
      });
    }
  });

  it('stores int8 codes with one f32 scale per output row, read back as codes and as codes x scale', () => {
    const file = sample('int8');
    const bytes = writeHPW(file);
    expect(bytes.byteLength).toBe(hpwBytes(file.matrices, 'int8', file.info));
    const back = readHPW(bytes);
    expect(back.valueType).toBe('int8');
    back.matrices.forEach((m, i) => {
      const want = file.matrices[i].hp;
      const q = quantizeHP(want, 8);
      expect(m.hp.quant!.codes).toEqual(q.codes);
      expect(m.hp.quant!.scales).toEqual(q.scales);
      expect(hpBytes(want, 'int8')).toBe(hpBytes(want, 'f32') - 3 * want.values.length + 4 * want.out);
      const dense = decodeHP(want);
      const got = decodeHP(m.hp);
      for (let j = 0; j < dense.length; j++) {
        const row = Math.floor(j / want.in);
        expect(Math.abs(got[j] - dense[j])).toBeLessThanOrEqual(q.scales[row] / 2 + 1e-7);
      }
      expect(writeHPW({ ...back, matrices: back.matrices })).toEqual(bytes); // the codes, not re-rounded values
    });
  });

  it('still reads version 1 files, and refuses int8 in them', () => {
    const asV1 = (b: Uint8Array) => {
      const v1 = b.slice();
      const view = new DataView(v1.buffer);
      view.setUint32(4, 1, true);
      view.setUint32(v1.length - 4, crc32(v1.subarray(0, v1.length - 4)), true);
      return v1;
    };
    for (const t of ['f32', 'f16'] as const) {
      const bytes = writeHPW(sample(t));
      expect(readHPW(asV1(bytes))).toEqual(readHPW(bytes));
    }
    expect(() => readHPW(asV1(writeHPW(sample('int8'))))).toThrow(/int8 values in a version 1 file/);
  });

  it('uses the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects truncated, corrupted, foreign and wrong-version files with a clear message', () => {
    const bytes = writeHPW(sample('f32'));
    expect(() => readHPW(bytes.subarray(0, bytes.length - 10))).toThrow(/truncated \.hpw file: \d+ of \d+ bytes/);
    expect(() => readHPW(bytes.subarray(0, 10))).toThrow(/truncated/);
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)] ^= 0x40;
    expect(() => readHPW(flipped)).toThrow(/corrupted \.hpw file: CRC-32/);
    const badCrc = bytes.slice();
    badCrc[badCrc.length - 1] ^= 1;
    expect(() => readHPW(badCrc)).toThrow(/corrupted/);
    const v3 = bytes.slice();
    new DataView(v3.buffer).setUint32(4, 3, true);
    expect(() => readHPW(v3)).toThrow(/unsupported \.hpw version 3: this build reads versions 1 and 2/);
    expect(() => readHPW(new TextEncoder().encode('PK\u0003\u0004 not ours'))).toThrow(/not an \.hpw file/);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => readHPW(longer)).toThrow(/3 unexpected bytes/);
  });

  it('rejects structurally bad records even when the checksum is right', () => {
    const bytes = writeHPW(sample('f32')).slice();
    const view = new DataView(bytes.buffer);
    const metaLen = view.getUint32(16, true);
    const rec = 20 + metaLen;
    view.setUint32(rec + 16, 99, true); // m = 99 > tilesPerRow
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    expect(() => readHPW(bytes)).toThrow(/matrix 0 \(layer\.0\.q\): HP record has an invalid shape/);
  });
});
