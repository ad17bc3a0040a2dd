import { expect, test } from 'vitest';
import onnxProto from 'onnx-proto';
import { halfToFloat, tensorToFloat32 } from '../../../src/core/model/onnx-tensor';

const { DataType } = onnxProto.onnx.TensorProto;

test('float32 raw_data inside a Node Buffer pool is read from the right bytes', () => {
  const values = new Float32Array([1.5, -2, 3.25]);
  // Decode from a Buffer: protobufjs hands back Buffer views into a larger pool.
  const enc = onnxProto.onnx.TensorProto.encode({
    name: 'w',
    dims: [3],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(values.buffer),
  }).finish();
  const padded = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(enc)]).subarray(3);
  const t = onnxProto.onnx.TensorProto.decode(padded);
  expect(Array.from(tensorToFloat32(t))).toEqual([1.5, -2, 3.25]);
});

test('int8, uint8, fp16, float_data and int32_data forms', () => {
  const mk = (p: onnxProto.onnx.ITensorProto) =>
    onnxProto.onnx.TensorProto.decode(onnxProto.onnx.TensorProto.encode(p).finish());
  expect(
    Array.from(
      tensorToFloat32(mk({ dims: [3], dataType: DataType.INT8, rawData: Uint8Array.from([0xff, 0x7f, 0x80]) })),
    ),
  ).toEqual([-1, 127, -128]);
  expect(
    Array.from(tensorToFloat32(mk({ dims: [2], dataType: DataType.UINT8, rawData: Uint8Array.from([200, 3]) }))),
  ).toEqual([200, 3]);
  expect(
    Array.from(
      tensorToFloat32(
        mk({ dims: [2], dataType: DataType.FLOAT16, rawData: Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]) }),
      ),
    ),
  ).toEqual([1, -2]);
  expect(Array.from(tensorToFloat32(mk({ dims: [2], dataType: DataType.FLOAT, floatData: [0.5, 4] })))).toEqual([
    0.5, 4,
  ]);
  expect(Array.from(tensorToFloat32(mk({ dims: [1], dataType: DataType.FLOAT16, int32Data: [0x3800] })))).toEqual([
    0.5,
  ]);
  expect(halfToFloat(0x7c00)).toBe(Infinity);
  expect(() =>
    tensorToFloat32(mk({ name: 'short', dims: [4], dataType: DataType.FLOAT, rawData: new Uint8Array(8) })),
  ).toThrow(/fewer bytes/);
});
