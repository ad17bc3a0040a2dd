// The one-node MatMul model (the GPU panel's onnxruntime-web peer): ORT computes X·Wᵀ with it.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { matmulOnnx } from '../../../src/core/model/matmul-onnx';
import { configureOrt } from '../../../src/eval/ort-session';

configureOrt({ threads: 1 });

function xwT(x: Float32Array, w: Float32Array, tokens: number, nIn: number, out: number): Float64Array {
  const y = new Float64Array(tokens * out);
  for (let t = 0; t < tokens; t++)
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < nIn; i++) s += x[t * nIn + i] * w[o * nIn + i];
      y[t * out + o] = s;
    }
  return y;
}

describe('matmulOnnx', () => {
  for (const tokens of [undefined, 5]) {
    it(`onnxruntime computes X·Wᵀ for a non-square W (tokens ${tokens ?? 'symbolic'})`, async () => {
      const out = 7,
        nIn = 3,
        rows = 5;
      const w = Float32Array.from({ length: out * nIn }, (_, i) => Math.sin(i * 1.7) + i * 0.01);
      const x = Float32Array.from({ length: rows * nIn }, (_, i) => Math.cos(i * 0.9));
      const session = await ort.InferenceSession.create(matmulOnnx(w, out, nIn, { tokens }), {
        executionProviders: ['wasm'],
      });
      const res = await session.run({ X: new ort.Tensor('float32', x, [rows, nIn]) });
      await session.release();
      expect(res.Y.dims).toEqual([rows, out]);
      const got = res.Y.data as Float32Array;
      const want = xwT(x, w, rows, nIn, out);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    });
  }

  it('rejects a weight of the wrong size and bad shapes', () => {
    expect(() => matmulOnnx(new Float32Array(6), 2, 4)).toThrow(/6 values, expected 2 x 4/);
    expect(() => matmulOnnx(new Float32Array(0), 0, 4)).toThrow(/positive integers/);
    expect(() => matmulOnnx(new Float32Array(8), 2, 4, { tokens: 0 })).toThrow(/tokens/);
  });
});
