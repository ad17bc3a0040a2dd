// Seeded, bounded fuzzing of the three readers of untrusted bytes (issue 18): whatever the input,
// only the project's typed errors escape (HPWError/FormatError, ModelLoadError), never a
// TypeError, RangeError or stack overflow. A few seconds in all.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { FormatError } from '../../../src/core/formats/byte-io';
import { crc32, readHPW, writeHPW } from '../../../src/core/formats/hpw';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { isModelLoadError } from '../../../src/core/model/model-error';
import { parseDatasetBytes } from '../../../src/core/data/dataset';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const SEED = 18;

/** Runs `fn`; passes when it returns or throws an error `typed` accepts, fails otherwise. */
function onlyTyped(fn: () => unknown, typed: (err: unknown) => boolean): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (typed(err)) return true;
    throw err; // fast-check reports the input and this error
  }
}

/** Byte-level mutations: overwrite a few bytes, cut, or splice in random bytes. */
const mutation = (length: number) =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.nat(length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((edits) => (b: Uint8Array) => {
        const out = b.slice();
        for (const [i, v] of edits) out[i] = v;
        return out;
      }),
    fc.nat(length - 1).map((cut) => (b: Uint8Array) => b.slice(0, cut)),
    fc.tuple(fc.nat(length - 1), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(
      ([at, ins]) =>
        (b: Uint8Array) =>
          Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]),
    ),
  );

describe('.hpw reader', () => {
  const matrices = [
    [12, 20],
    [9, 7],
  ].map(([out, nIn], i) => {
    const weight = Float32Array.from({ length: out * nIn }, (_, j) => Math.sin(j + i));
    return {
      name: `m${i}`,
      hp: pruneMatrix(
        { name: `m${i}`, out, in: nIn, weight },
        { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 4, tc: 4, score: 'magnitude' },
      ).hp!,
    };
  });
  const good = writeHPW({ valueType: 'f32', matrices, info: { note: 'fuzz' } });
  const typed = (err: unknown) => err instanceof FormatError;
  /** Mutated files with the CRC recomputed, so the structural checks behind it are reached. */
  const resealed = (b: Uint8Array) => {
    if (b.length < 24) return b;
    const out = b.slice();
    const v = new DataView(out.buffer);
    v.setUint32(8, out.length, true);
    v.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  };

  test('mutated files (CRC resealed or not) read or fail with a FormatError', () => {
    fc.assert(
      fc.property(mutation(good.length), fc.boolean(), (mutate, reseal) => {
        const bytes = reseal ? resealed(mutate(good)) : mutate(good);
        return onlyTyped(() => readHPW(bytes), typed);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  test('random bytes behind a valid magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) =>
        onlyTyped(() => readHPW(resealed(Uint8Array.from([...good.subarray(0, 20), ...tail]))), typed),
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('ONNX reader', () => {
  const good = buildTinyBertOnnx({ layers: 1, hidden: 16, heads: 2, ffn: 32, vocab: 40 }).bytes;
  const { onnx } = onnxProto;

  test('byte-mutated models parse or fail with a ModelLoadError', () => {
    fc.assert(
      fc.property(mutation(good.length), (mutate) => onlyTyped(() => parseBertOnnx(mutate(good)), isModelLoadError)),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('initializers with arbitrary dims, types and data', () => {
    const proto = onnx.ModelProto.decode(good);
    const count = proto.graph!.initializer!.length;
    const dim = fc.oneof(fc.integer({ min: -8, max: 64 }), fc.constantFrom(2 ** 31, 2 ** 40, -(2 ** 40), 2 ** 53));
    const edit = fc.record({
      which: fc.nat(count - 1),
      dims: fc.option(fc.array(dim, { maxLength: 4 }), { nil: undefined }),
      dataType: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      raw: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const m = onnx.ModelProto.decode(good);
        for (const e of edits) {
          const t = m.graph!.initializer![e.which];
          if (e.dims) t.dims = e.dims;
          if (e.dataType !== undefined) t.dataType = e.dataType;
          if (e.raw) t.rawData = e.raw;
        }
        const bytes = onnx.ModelProto.encode(m).finish();
        return onlyTyped(() => parseBertOnnx(bytes), isModelLoadError);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('dataset parser', () => {
  const typed = isModelLoadError;
  test('arbitrary bytes, under any of the file names', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('d.jsonl', 'd.csv', 'd.tsv', 'd'), (bytes, name) =>
        onlyTyped(() => parseDatasetBytes(bytes, name), typed),
      ),
      { seed: SEED, numRuns: 400 },
    );
  });
  test('JSON Lines of arbitrary JSON values', () => {
    const line = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({ text: fc.jsonValue({ maxDepth: 1 }), label: fc.jsonValue({ maxDepth: 1 }) })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (ls) =>
        onlyTyped(() => parseDatasetBytes(new TextEncoder().encode(ls.join('\n')), 'd.jsonl'), typed),
      ),
      { seed: SEED, numRuns: 400 },
    );
  });
  test('CSV of arbitrary cells', () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('"', '""', ',', '\n', '\r\n', '0', '1', '4294967296'),
    );
    const row = fc.array(cell, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(','));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 6 }), (rows) =>
        onlyTyped(
          () => parseDatasetBytes(new TextEncoder().encode(['text,label', ...rows].join('\n')), 'd.csv'),
          typed,
        ),
      ),
      { seed: SEED, numRuns: 400 },
    );
  });
  test('valid files still parse', () => {
    expect(parseDatasetBytes(new TextEncoder().encode('text,label\nfine,1\n'), 'd.csv').texts).toEqual(['fine']);
  });
});
