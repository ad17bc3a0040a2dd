import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f16Round } from '../../../src/core/formats/f16';
import { hpBytes, type ValueType } from '../../../src/core/formats/hp';
import {
  bcsrBytes,
  cooBytes,
  csrBytes,
  decodeBCSR,
  decodeCOO,
  decodeCSR,
  denseBytes,
  deserializeBCSR,
  deserializeCOO,
  deserializeCSR,
  deserializeDense,
  encodeBCSR,
  encodeCOO,
  encodeCSR,
  serializeBCSR,
  serializeCOO,
  serializeCSR,
  serializeDense,
} from '../../../src/core/formats/sparse';
import { maskBlocks, storageSizes } from '../../../src/core/formats/storage-sizes';
import { writeHPRecord } from '../../../src/core/formats/hp-record';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';

/** A sparse out x in matrix with no -0 (stored-nonzero semantics turn -0 into +0). */
const sparseCase = fc
  .record({
    out: fc.integer({ min: 1, max: 24 }),
    in: fc.integer({ min: 1, max: 24 }),
    br: fc.integer({ min: 1, max: 5 }),
    bc: fc.integer({ min: 1, max: 5 }),
  })
  .chain((s) =>
    fc
      .array(
        fc.oneof(
          fc.constant(0),
          fc.constant(0),
          fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
        ),
        { minLength: s.out * s.in, maxLength: s.out * s.in },
      )
      .map((w) => ({ ...s, w: Float32Array.from(w) })),
  );
const types: ValueType[] = ['f32', 'f16'];
const nnzOf = (w: Float32Array) => w.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
const f16All = (w: Float32Array) => w.map(f16Round);

describe('dense / COO / CSR / BCSR', () => {
  it('decode(encode(W)) == W exactly, and serialized bytes round-trip (f16: to the f16-rounded W)', () => {
    fc.assert(
      fc.property(sparseCase, fc.constantFrom(...types), ({ out, in: nIn, br, bc, w }, t) => {
        const want = t === 'f32' ? w : f16All(w);
        expect(decodeCOO(encodeCOO(w, out, nIn))).toEqual(w);
        expect(decodeCSR(encodeCSR(w, out, nIn))).toEqual(w);
        expect(decodeBCSR(encodeBCSR(w, out, nIn, br, bc))).toEqual(w);
        expect(deserializeDense(serializeDense(w, out, nIn, t)).weight).toEqual(want);
        expect(decodeCOO(deserializeCOO(serializeCOO(encodeCOO(w, out, nIn), t)))).toEqual(want);
        expect(decodeCSR(deserializeCSR(serializeCSR(encodeCSR(w, out, nIn), t)))).toEqual(want);
        expect(decodeBCSR(deserializeBCSR(serializeBCSR(encodeBCSR(w, out, nIn, br, bc), t)))).toEqual(want);
      }),
    );
  });

  it('the byte formulas are the serialized lengths', () => {
    fc.assert(
      fc.property(sparseCase, fc.constantFrom(...types), ({ out, in: nIn, br, bc, w }, t) => {
        const nnz = nnzOf(w);
        const bcsr = encodeBCSR(w, out, nIn, br, bc);
        expect(serializeDense(w, out, nIn, t).byteLength).toBe(denseBytes(out, nIn, t));
        expect(serializeCOO(encodeCOO(w, out, nIn), t).byteLength).toBe(cooBytes(out, nIn, nnz, t));
        expect(serializeCSR(encodeCSR(w, out, nIn), t).byteLength).toBe(csrBytes(out, nIn, nnz, t));
        expect(serializeBCSR(bcsr, t).byteLength).toBe(bcsrBytes(out, nIn, br, bc, bcsr.blockCol.length, t));
        const mask = Uint8Array.from(w, (v) => (v !== 0 ? 1 : 0));
        expect(maskBlocks(mask, out, nIn, br, bc)).toBe(bcsr.blockCol.length);
      }),
    );
  });

  it('counts hand-checked sizes: 312 x 1200 at 10% density, f32 and f16', () => {
    const nnz = 37440;
    expect(denseBytes(312, 1200, 'f32')).toBe(12 + 374400 * 4);
    expect(cooBytes(312, 1200, nnz, 'f32')).toBe(16 + nnz * 8); // u16 row + u16 col + f32
    expect(csrBytes(312, 1200, nnz, 'f16')).toBe(16 + 313 * 4 + nnz * 4); // u32 rowPtr, u16 col + f16
    expect(csrBytes(10, 70000, 5, 'f32')).toBe(16 + 11 * 4 + 5 * 8); // in > 65536: u32 columns
    expect(bcsrBytes(312, 1200, 32, 32, 100, 'f32')).toBe(24 + 11 * 4 + 100 * (2 + 1024 * 4));
  });

  it('stores masked positions even where the kept value is 0, and rejects corrupt input', () => {
    const w = Float32Array.of(0, 2, 0, 0);
    const mask = Uint8Array.of(1, 1, 0, 0);
    expect(encodeCSR(w, 2, 2, mask).values.length).toBe(2);
    const bytes = serializeCSR(encodeCSR(w, 2, 2), 'f32');
    expect(() => deserializeCSR(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(16 + 4, 7, true); // rowPtr[1] past nnz
    expect(() => deserializeCSR(bad)).toThrow(/rowPtr/);
    const badType = bytes.slice();
    new DataView(badType.buffer).setUint32(12, 9, true);
    expect(() => deserializeCSR(badType)).toThrow(/value type code 9/);
    expect(() => encodeCOO(w, 3, 2)).toThrow(/expected 3 x 2/);
  });
});

describe('storage sizes of a pruned matrix', () => {
  it('match the serialized bytes of each format for the pruned weights, HP included', () => {
    let seed = 3;
    const weight = Float32Array.from(
      { length: 40 * 52 },
      () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5,
    );
    const r = pruneMatrix(
      { name: 'w', out: 40, in: 52, weight },
      { pattern: 'hp', sparsity: 0.8, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
    );
    const pruned = weight.map((v, i) => (r.mask[i] ? v : 0));
    for (const t of types) {
      const s = storageSizes({ out: 40, in: 52, mask: r.mask, block: { br: 8, bc: 8 }, hp: r.hp }, t);
      expect(s.dense).toBe(serializeDense(pruned, 40, 52, t).byteLength);
      expect(s.coo).toBe(serializeCOO(encodeCOO(pruned, 40, 52, r.mask), t).byteLength);
      expect(s.csr).toBe(serializeCSR(encodeCSR(pruned, 40, 52, r.mask), t).byteLength);
      expect(s.bcsr).toBe(serializeBCSR(encodeBCSR(pruned, 40, 52, 8, 8, r.mask), t).byteLength);
      expect(s.hp).toBe(writeHPRecord(r.hp!, t).byteLength);
      expect(s.hp).toBe(hpBytes(r.hp!, t));
      expect(s.hp!).toBeLessThan(s.csr!);
    }
    const unstructured = pruneMatrix(
      { name: 'w', out: 40, in: 52, weight },
      { pattern: 'unstructured', sparsity: 0.8, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
    );
    expect(storageSizes({ out: 40, in: 52, mask: unstructured.mask, block: { br: 8, bc: 8 } }, 'f32').hp).toBeNull();
  });
});
