// Crafted ONNX files (issue 18): every one is refused with a ModelLoadError that names the
// tensor or node, before anything is allocated from the file's claims.
import { describe, expect, test } from 'vitest';
import onnxProto from 'onnx-proto';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { ModelLoadError } from '../../../src/core/model/model-error';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
const good = buildTinyBertOnnx({ layers: 1, hidden: 16, heads: 2, ffn: 32, vocab: 40 }).bytes;

/** Decodes the good model, lets `edit` change it, re-encodes. */
function crafted(edit: (m: Model) => void): Uint8Array {
  const m = onnx.ModelProto.decode(good);
  edit(m);
  return onnx.ModelProto.encode(m).finish();
}

function refusal(bytes: Uint8Array, limits = {}): ModelLoadError {
  try {
    parseBertOnnx(bytes, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('the crafted model was accepted');
}

/** The first MatMul's weight initializer (in x out float32). */
function firstWeight(m: Model) {
  const g = m.graph!;
  const mm = g.node!.find((n) => n.opType === 'MatMul' && g.initializer!.some((t) => t.name === n.input![1]))!;
  return g.initializer!.find((t) => t.name === mm.input![1])!;
}

describe('ONNX tensor dims are checked before allocation', () => {
  test('a negative dimension names the tensor (no "Invalid typed array length")', () => {
    let name = '';
    const err = refusal(
      crafted((m) => {
        const w = firstWeight(m);
        name = w.name!;
        w.dims = [-4, ...w.dims!.slice(1)];
      }),
    );
    expect(err.code).toBe('bad-tensor');
    expect(err.userMessage).toContain(`'${name}'`);
    expect(err.userMessage).toMatch(/impossible dimension -4/);
  });

  test('dims of 2^40 are refused at once, naming the tensor', () => {
    let name = '';
    const err = refusal(
      crafted((m) => {
        const w = firstWeight(m);
        name = w.name!;
        w.dims = [2 ** 40, 1];
      }),
    );
    expect(err.code).toBe('bad-tensor');
    expect(err.userMessage).toContain(`'${name}'`);
    expect(err.userMessage).toMatch(/impossible dimension 1099511627776/);
  });

  test('a billion declared values over a few stored bytes: refused against the bytes present', () => {
    let name = '';
    const err = refusal(
      crafted((m) => {
        const w = firstWeight(m);
        name = w.name!;
        w.dims = [2 ** 20, 2 ** 10];
      }),
    );
    expect(err.code).toBe('truncated');
    expect(err.userMessage).toContain(`'${name}'`);
    expect(err.userMessage).toMatch(/fewer values than its shape \[1048576, 1024\]/);
  });

  test('a product of dims beyond 2^53 is refused, not rounded', () => {
    const err = refusal(
      crafted((m) => {
        firstWeight(m).dims = [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1];
      }),
    );
    expect(err.code).toBe('bad-tensor');
  });

  test('the parameter limit counts Constant-node tensors too', () => {
    const initOnly = onnx.ModelProto.decode(good).graph!.initializer!.reduce(
      (s, t) => s + t.dims!.reduce<number>((a, d) => a * Number(d), 1),
      1,
    );
    const big = crafted((m) => {
      const value = {
        name: 'big_const',
        dims: [5000],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(20000),
      };
      m.graph!.node!.push({
        opType: 'Constant',
        name: 'c',
        output: ['big_const_out'],
        attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: value }],
      });
    });
    expect(() => parseBertOnnx(big, { maxParams: initOnly + 100 })).toThrow(/parameters/);
    expect(() => parseBertOnnx(good, { maxParams: initOnly + 100 })).not.toThrow();
  });

  test('raw bytes that are not a whole number of elements are refused', () => {
    const err = refusal(
      crafted((m) => {
        const w = firstWeight(m);
        w.rawData = w.rawData!.subarray(0, w.rawData!.length - 1);
      }),
    );
    expect(err.code).toBe('truncated');
  });
});

/** Replaces the first weight by int8 + per-column scales behind a DequantizeLinear. */
function quantisedWeight(opts: { axis?: number; scales?: number; zeros?: number }): Uint8Array {
  return crafted((m) => {
    const g = m.graph!;
    const w = firstWeight(m);
    const [rows, cols] = w.dims!.map(Number);
    const q = {
      name: 'w_q',
      dims: [rows, cols],
      dataType: onnx.TensorProto.DataType.INT8,
      rawData: Uint8Array.from({ length: rows * cols }, (_, i) => (i * 7) % 50),
    };
    const nScales = opts.scales ?? cols;
    const scale = {
      name: 'w_scale',
      dims: [nScales],
      dataType: onnx.TensorProto.DataType.FLOAT,
      floatData: Array.from({ length: nScales }, () => 0.01),
    };
    const inputs = ['w_q', 'w_scale'];
    g.initializer = g.initializer!.filter((t) => t !== w).concat([q, scale]);
    if (opts.zeros !== undefined) {
      g.initializer.push({
        name: 'w_zero',
        dims: [opts.zeros],
        dataType: onnx.TensorProto.DataType.INT8,
        rawData: new Uint8Array(opts.zeros),
      });
      inputs.push('w_zero');
    }
    const attribute = [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: opts.axis ?? 1 }];
    g.node!.unshift({ opType: 'DequantizeLinear', name: 'dq_w', input: inputs, output: [w.name!], attribute });
  });
}

describe('DequantizeLinear axis and scale lengths are checked', () => {
  test('per-column scales on axis 1 load (the path the checks guard)', () => {
    const parsed = parseBertOnnx(quantisedWeight({}));
    const q = parsed.model.layers[0];
    expect(
      [q.q, q.k, q.v].some((l) => Math.abs(l.weight[0]) < 1 && l.weight.some((v) => Math.abs(v - 0.07) < 1e-6)),
    ).toBe(true);
  });

  test('axis 5 of a rank-2 tensor names the node', () => {
    const err = refusal(quantisedWeight({ axis: 5 }));
    expect(err.code).toBe('bad-tensor');
    expect(err.userMessage).toMatch(/DequantizeLinear node 'dq_w' quantises along axis 5 of a rank-2 tensor/);
  });

  test('too few scales names the node', () => {
    const err = refusal(quantisedWeight({ scales: 3 }));
    expect(err.userMessage).toMatch(/'dq_w' has 3 scales for the \d+ channels of axis 1/);
  });

  test('zero points that do not match the scales', () => {
    expect(refusal(quantisedWeight({ zeros: 2 })).userMessage).toMatch(/2 zero points/);
  });
});

describe('NaN or infinite weights are refused, naming the tensor', () => {
  for (const [label, value] of [
    ['NaN', NaN],
    ['Infinity', Infinity],
  ] as const) {
    test(label, () => {
      let name = '';
      const err = refusal(
        crafted((m) => {
          const w = firstWeight(m);
          name = w.name!;
          const bytes = w.rawData!.slice();
          new DataView(bytes.buffer).setFloat32(8, value, true);
          w.rawData = bytes;
        }),
      );
      expect(err.code).toBe('bad-weights');
      expect(err.userMessage).toContain(`initializer '${name}'`);
      expect(err.userMessage).toMatch(/1 NaN or infinite value of/);
    });
  }
});
