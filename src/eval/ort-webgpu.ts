// onnxruntime-web's WebGPU execution provider on the dense ONNX, as the engine's peer: the
// session and its run(), the same in a browser (the browser benchmark) and under Node
// (ort-webgpu-node.ts, which first provides navigator.gpu and ORT's wasm files).
type OrtWebGpuModule = typeof import('onnxruntime-web/webgpu');

export interface OrtWebGpuSession {
  /** Logits [batch, labels] for int64 inputs [batch, seq]. */
  run(
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    tokenTypeIds: BigInt64Array,
    batch: number,
    seq: number,
  ): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A session on ORT's WebGPU EP for `bytes`, from an imported onnxruntime-web/webgpu whose
 *  env.wasm (paths, threads) the caller has set. */
export async function ortWebGpuSession(ort: OrtWebGpuModule, bytes: Uint8Array): Promise<OrtWebGpuSession> {
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  const withTypes = session.inputNames.includes('token_type_ids');
  return {
    async run(inputIds, attentionMask, tokenTypeIds, batch, seq) {
      const dims = [batch, seq];
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input_ids: new ort.Tensor('int64', inputIds, dims),
        attention_mask: new ort.Tensor('int64', attentionMask, dims),
      };
      if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', tokenTypeIds, dims);
      const result = await session.run(feeds, [output]);
      const t = result[output];
      const data = (await t.getData()) as Float32Array;
      t.dispose();
      return data;
    },
    release: () => session.release(),
  };
}
