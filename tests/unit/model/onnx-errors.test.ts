import { describe, expect, test } from 'vitest';
import onnxProto from 'onnx-proto';
import { buildMlpOnnx, buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { ModelLoadError, checkModelResponse, type ModelErrorCode } from '../../../src/core/model/model-error';

function failure(fn: () => unknown): ModelLoadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('expected a ModelLoadError, but parsing succeeded');
}

const expectCode = (fn: () => unknown, code: ModelErrorCode, message: RegExp) => {
  const err = failure(fn);
  expect(err.code).toBe(code);
  expect(err.userMessage).toMatch(message);
};

describe('parseBertOnnx rejects bad input with a user message', () => {
  const good = buildTinyBertOnnx().bytes;

  test('empty file', () => expectCode(() => parseBertOnnx(new Uint8Array(0)), 'empty', /empty/));

  test('truncated file, cut at several points', () => {
    for (const frac of [0.1, 0.5, 0.9, 0.999]) {
      expectCode(() => parseBertOnnx(good.slice(0, Math.floor(good.length * frac))), 'truncated', /truncated/);
    }
  });

  test('not ONNX: text, PNG header, random bytes', () => {
    const text = new TextEncoder().encode('{"text": "this is a dataset, not a model", "label": 1}\n');
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    let s = 7;
    const noise = Uint8Array.from({ length: 4096 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    const zip = new TextEncoder().encode('PK\x03\x04 an archive');
    for (const bytes of [text, png, noise, zip])
      expectCode(() => parseBertOnnx(bytes), 'not-onnx', /not an ONNX model/);
    // Starts like ONNX, then garbage: still refused, as not ONNX or as cut short.
    const err = failure(() => parseBertOnnx(Uint8Array.from([0x08, 0x08, 0x3a, 0xff, 0xff, 0x7f])));
    expect(['not-onnx', 'truncated']).toContain(err.code);
  });

  test('a valid ONNX model that is not BERT (an MLP)', () =>
    expectCode(() => parseBertOnnx(buildMlpOnnx()), 'not-bert', /not a BERT encoder classifier/));

  test('missing attention_mask or input_ids input', () => {
    expectCode(
      () => parseBertOnnx(buildTinyBertOnnx({ omitInput: 'attention_mask' }).bytes),
      'missing-input',
      /'attention_mask'/,
    );
    expectCode(
      () => parseBertOnnx(buildTinyBertOnnx({ omitInput: 'input_ids' }).bytes),
      'missing-input',
      /'input_ids'/,
    );
  });

  test('too large: by bytes and by parameter count', () => {
    expectCode(() => parseBertOnnx(good, { maxBytes: good.length - 1 }), 'too-large', /limit/);
    expectCode(() => parseBertOnnx(good, { maxParams: 100 }), 'too-large', /parameters/);
  });

  test('weights in an external data file', () => {
    const proto = onnxProto.onnx.ModelProto.decode(good);
    const t = proto.graph!.initializer![0];
    t.rawData = new Uint8Array(0);
    t.dataLocation = onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [{ key: 'location', value: 'model.onnx.data' }];
    expectCode(
      () => parseBertOnnx(onnxProto.onnx.ModelProto.encode(proto).finish()),
      'external-data',
      /separate \.data file/,
    );
  });

  test('an encoder whose FFN has no GELU is not taken for BERT', () => {
    const proto = onnxProto.onnx.ModelProto.decode(good);
    for (const n of proto.graph!.node!) if (n.opType === 'Erf') n.opType = 'Relu';
    expectCode(() => parseBertOnnx(onnxProto.onnx.ModelProto.encode(proto).finish()), 'not-bert', /GELU/);
  });
});

describe('a model URL that leads nowhere', () => {
  // Vite's preview (and many static hosts) answer a missing file with index.html and HTTP 200.
  const page = new TextEncoder().encode('<!doctype html>\n<html lang="en"><head>');
  const err = (fn: () => void) => failure(fn);

  test('HTTP 404 says so', () => {
    expect(err(() => checkModelResponse('m/x.onnx', 404, 'text/plain')).userMessage).toMatch(/HTTP 404/);
  });
  test('a web page answered with 200 is "no model file", not "not an ONNX model"', () => {
    for (const e of [
      err(() => checkModelResponse('m/x.onnx', 200, 'text/html; charset=utf-8')),
      err(() => checkModelResponse('m/x.onnx', 200, null, page)),
    ]) {
      expect(e.code).toBe('not-found');
      expect(e.userMessage).toMatch(/No model file at m\/x\.onnx: the server answered with a web page/);
    }
  });
  test('ONNX bytes pass', () => {
    expect(() => checkModelResponse('m/x.onnx', 200, 'application/octet-stream', buildMlpOnnx())).not.toThrow();
  });
});
