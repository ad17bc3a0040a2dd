// A one-node ONNX model Y = X·Wᵀ (MatMul(X, Wt), Wt an initializer), the way exporters store a
// bias-free linear layer: the peer that onnxruntime-web runs beside the project's kernels on
// exactly the same weights. Pure TypeScript.
import { onnx, DataType } from './onnx-proto';

export interface MatMulOnnxOptions {
  /** Rows of X; omitted: a symbolic 'tokens' dimension. */
  tokens?: number;
  /** Graph input / output names (default 'X', 'Y'). */
  input?: string;
  output?: string;
}

/** W is out x in, row-major (Linear.weight); the model stores Wt (in x out), as ONNX MatMul wants. */
export function matmulOnnx(weight: Float32Array, out: number, nIn: number, opts: MatMulOnnxOptions = {}): Uint8Array {
  if (!Number.isInteger(out) || !Number.isInteger(nIn) || out < 1 || nIn < 1)
    throw new RangeError(`matmulOnnx: shape must be positive integers, got ${out} x ${nIn}`);
  if (weight.length !== out * nIn)
    throw new RangeError(`matmulOnnx: weight has ${weight.length} values, expected ${out} x ${nIn} = ${out * nIn}`);
  if (opts.tokens !== undefined && !(Number.isInteger(opts.tokens) && opts.tokens >= 1))
    throw new RangeError(`matmulOnnx: tokens must be a positive integer, got ${opts.tokens}`);
  const input = opts.input ?? 'X';
  const output = opts.output ?? 'Y';
  // Transposed into little-endian raw bytes (ONNX's byte order, whatever the host's).
  const raw = new Uint8Array(out * nIn * 4);
  const view = new DataView(raw.buffer);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < nIn; i++) view.setFloat32(4 * (i * out + o), weight[o * nIn + i], true);
  }
  const rows = opts.tokens === undefined ? { dimParam: 'tokens' } : { dimValue: opts.tokens };
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hp-lab',
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'linear',
      node: [{ opType: 'MatMul', input: [input, 'Wt'], output: [output], name: 'matmul' }],
      initializer: [{ name: 'Wt', dims: [nIn, out], dataType: DataType.FLOAT, rawData: raw }],
      input: [
        { name: input, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [rows, { dimValue: nIn }] } } } },
      ],
      output: [
        { name: output, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [rows, { dimValue: out }] } } } },
      ],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
