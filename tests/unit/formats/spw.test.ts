import { describe, expect, it } from 'vitest';
import { f16Round } from '../../../src/core/formats/f16';
import { decodeCSR, encodeCSR } from '../../../src/core/formats/sparse';
import { readSPW, spwBytes, SPWError, writeSPW, type SPWFile } from '../../../src/core/formats/spw';
import { crc32 } from '../../../src/core/formats/weights-frame';
import { denseMatrices, readWeightsFile } from '../../../src/core/formats/weights-file';
import { writeHPW } from '../../../src/core/formats/hpw';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { onnxWithHPW } from '../../../src/core/model/apply-hpw';
import type { PruneConfig } from '../../../src/core/pruning';
import { PruneSession } from '../../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

function sample(t: 'f32' | 'f16'): { file: SPWFile; dense: Float32Array[]; masks: Uint8Array[] } {
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const shapes: Array<[number, number]> = [
    [12, 12],
    [5, 300],
    [7, 13],
  ];
  const dense: Float32Array[] = [];
  const masks: Uint8Array[] = [];
  const matrices = shapes.map(([out, nIn], i) => {
    const w = Float32Array.from({ length: out * nIn }, rnd);
    const mask = Uint8Array.from(w, (x, j) => (Math.abs(x) > 0.6 || j === 3 ? 1 : 0));
    w[3] = 0; // a kept weight that is exactly zero stays a kept position
    for (let j = 0; j < w.length; j++) if (!mask[j]) w[j] = 0;
    dense.push(w);
    masks.push(mask);
    return { name: `layer.${i}.ffn`, csr: encodeCSR(w, out, nIn, mask) };
  });
  return { file: { valueType: t, matrices, info: { pattern: 'unstructured', sparsity: 0.6 } }, dense, masks };
}

/** Re-stamps the CRC so a crafted change reaches the record reader. */
function withCrc(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

describe('.spw file', () => {
  it('round-trips every matrix (f32 exact, f16 rounded), kept positions included where the value is 0', () => {
    for (const t of ['f32', 'f16'] as const) {
      const { file, dense, masks } = sample(t);
      const bytes = writeSPW(file);
      expect(bytes.byteLength).toBe(spwBytes(file.matrices, t, file.info));
      const back = readSPW(bytes);
      expect(back.valueType).toBe(t);
      expect(back.info).toEqual(file.info);
      back.matrices.forEach((m, i) => {
        expect(m.name).toBe(file.matrices[i].name);
        expect(Array.from(m.csr.rowPtr)).toEqual(Array.from(file.matrices[i].csr.rowPtr));
        expect(m.csr.values.length).toBe(masks[i].reduce((s, x) => s + x, 0));
        const want = t === 'f32' ? dense[i] : dense[i].map(f16Round);
        expect(decodeCSR(m.csr)).toEqual(want);
      });
    }
  });

  it('refuses truncated, corrupted, foreign and crafted files with a clear message', () => {
    const bytes = writeSPW(sample('f32').file);
    expect(() => readSPW(bytes.subarray(0, bytes.length - 9))).toThrow(/truncated \.spw file: \d+ of \d+ bytes/);
    const flipped = bytes.slice();
    flipped[40] ^= 1;
    expect(() => readSPW(flipped)).toThrow(/corrupted \.spw file: CRC-32/);
    expect(() => readSPW(writeHPW({ valueType: 'f32', matrices: [], info: {} }))).toThrow(/not an \.spw file/);
    // The first record's nnz (header word 3) claims more kept values than the matrix has.
    const meta = new DataView(bytes.buffer).getUint32(16, true);
    const crafted = bytes.slice();
    new DataView(crafted.buffer).setUint32(20 + meta + 8, 145, true);
    expect(() => readSPW(withCrc(crafted))).toThrow(SPWError);
    expect(() => readSPW(withCrc(crafted))).toThrow(
      /matrix 0 \(layer\.0\.ffn\): CSR record claims 145 kept of 12 x 12/,
    );
  });

  it('is told apart from .hpw by its magic; anything else is refused', () => {
    const spw = readWeightsFile(writeSPW(sample('f16').file));
    expect(spw.kind).toBe('spw');
    expect(denseMatrices(spw).map((m) => [m.out, m.in])).toEqual([
      [12, 12],
      [5, 300],
      [7, 13],
    ]);
    expect(readWeightsFile(writeHPW({ valueType: 'f32', matrices: [], info: {} })).kind).toBe('hpw');
    expect(() => readWeightsFile(new TextEncoder().encode('PK\u0003\u0004'))).toThrow(/not a weights file/);
  });

  it('carries any pattern: dense ONNX + the session .spw = the pruned ONNX, for unstructured and N:M', () => {
    const onnx = buildTinyBertOnnx({ hidden: 8, ffn: 16 }).bytes;
    const session = new PruneSession(parseBertOnnx(onnx));
    for (const config of [
      { pattern: 'unstructured', sparsity: 0.7, score: 'magnitude', tr: 4, tc: 4, split: 0.5 },
      { pattern: 'nm', sparsity: 0.5, score: 'magnitude', tr: 4, tc: 4, split: 0.5, nmN: 2, nmM: 4 },
    ] as PruneConfig[]) {
      const file = readWeightsFile(session.spwFile(config, 'f32', 'tiny.onnx'));
      expect(file.kind).toBe('spw');
      const applied = parseBertOnnx(onnxWithHPW(parseBertOnnx(onnx), file));
      const want = session.prunedLinears(config);
      const got = new Map(
        [applied.model.layers.flatMap((l) => [l.q, l.k, l.v, l.attnOut, l.ffnIn, l.ffnOut])]
          .flat()
          .map((l) => [l.name, l.weight]),
      );
      for (const l of want) expect(got.get(l.name)).toEqual(l.weight);
      expect(file.file.info).toMatchObject({ model: 'tiny.onnx', config });
    }
  });
});
