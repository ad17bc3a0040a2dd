// The fine-tuner end to end on a tiny BERT (Dawn + SwiftShader): one step's gradient equals the
// float64 reference of the whole model (so every kernel is wired to the right buffers), a few
// steps lower the loss, and the pruned positions are still exactly zero in the written ONNX.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { createTrainer } from '../../src/gpu/train/trainer';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../src/core/model/bert-types';
import { writeBertOnnx } from '../../src/core/model/onnx-writer';
import { referenceForward } from '../../src/core/model/reference-forward';
import { matrixInputs, pruneMatrices } from '../../src/core/pruning';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';
import { randomBatch } from '../helpers/random-bert-model';
import { referenceLossAndGrad } from '../helpers/reference-model-grad';

let device: GPUDevice;
beforeAll(async () => {
  device = (await nodeGpu()).device;
});
afterAll(async () => {
  await device.queue.onSubmittedWorkDone();
});

function setup() {
  const tiny = buildTinyBertOnnx({ layers: 2, hidden: 16, heads: 2, ffn: 24, vocab: 40, maxPositions: 16, seed: 5 });
  const onnx = parseBertOnnx(tiny.bytes);
  const pruned = pruneMatrices(matrixInputs(onnx.model), {
    pattern: 'hp',
    score: 'magnitude',
    tr: 8,
    tc: 8,
    sparsity: 0.5,
    split: 0.5,
  });
  const sparse = new Map(pruned.matrices.map((m) => [m.name, m.hp!]));
  // The model as pruned: zeros in place (what the trainer starts from).
  const model = { ...onnx.model, layers: onnx.model.layers.map((l) => ({ ...l })) };
  for (const [i, lin] of prunableLinears(onnx.model).entries()) {
    const layer = model.layers[Math.floor(i / 6)] as unknown as Record<string, typeof lin>;
    const kind = (['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const)[i % 6];
    layer[kind] = { ...lin, weight: lin.weight.map((w, j) => (pruned.matrices[i].mask[j] ? w : 0)) };
  }
  const b = randomBatch(model, 3, 6, 9);
  const batch = { ...b, labels: [1, 0, 1], teacher: Float32Array.from([0.5, -0.2, -1, 1.3, 0.1, 0.4]) };
  return { onnx, model, sparse, pruned, batch };
}

async function readBuffer(src: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

describe('fine-tuning on WebGPU', () => {
  it('forward logits match the reference; one step gradient matches the float64 model gradient', async () => {
    const { model, sparse, batch } = setup();
    const trainer = createTrainer(device, model, { sparse, maxBatch: 4, maxSeq: 8 });
    try {
      const logits = await trainer.logits(batch);
      const ref = referenceForward(model, batch);
      for (let i = 0; i < ref.length; i++) expect(logits[i]).toBeCloseTo(ref[i], 4);
      const lossOpts = { temperature: 2, alpha: 0.5 };
      const gpuLoss = await trainer.step(batch, { lr: 0 }, lossOpts);
      const { loss, grad } = referenceLossAndGrad(model, trainer.layout, batch, lossOpts);
      expect(gpuLoss).toBeCloseTo(loss, 4);
      const g = await trainer.readGradients();
      let scale = 0,
        err = 0;
      for (let i = 0; i < grad.length; i++) {
        scale = Math.max(scale, Math.abs(grad[i]));
        err = Math.max(err, Math.abs(g[i] - grad[i]));
      }
      expect(scale).toBeGreaterThan(1e-3);
      expect(err / scale).toBeLessThan(1e-3);
    } finally {
      trainer.destroy();
    }
  });

  it('hidden-state distillation: the step gradient matches the reference given the teacher outputs', async () => {
    const { onnx, model, sparse, batch } = setup();
    // The teacher: the dense model on a trainer of its own, forward only.
    const teacher = createTrainer(device, onnx.model, { maxBatch: 4, maxSeq: 8 });
    const student = createTrainer(device, model, {
      sparse,
      maxBatch: 4,
      maxSeq: 8,
      hiddenTargets: teacher.hiddenStates,
    });
    try {
      await teacher.forward(batch);
      const lossOpts = { temperature: 2, alpha: 0.5, hidden: 0.8 };
      await student.step(batch, { lr: 0 }, lossOpts);
      const T = batch.batch * batch.seq * model.config.hidden;
      const targets = await Promise.all(teacher.hiddenStates.map((b) => readBuffer(b, T)));
      expect(targets[0].some((v) => v !== 0)).toBe(true);
      const { grad, hiddenLoss } = referenceLossAndGrad(model, student.layout, batch, lossOpts, true, {
        targets,
        weight: 0.8,
      });
      expect(hiddenLoss).toBeGreaterThan(1e-3);
      const withoutHidden = referenceLossAndGrad(model, student.layout, batch, lossOpts).grad;
      const g = await student.readGradients();
      let scale = 0,
        err = 0,
        moved = 0;
      for (let i = 0; i < grad.length; i++) {
        scale = Math.max(scale, Math.abs(grad[i]));
        err = Math.max(err, Math.abs(g[i] - grad[i]));
        moved = Math.max(moved, Math.abs(grad[i] - withoutHidden[i]));
      }
      expect(moved / scale).toBeGreaterThan(1e-2); // the MSE term changes the gradient
      expect(err / scale).toBeLessThan(1e-3);
    } finally {
      student.destroy();
      teacher.destroy();
    }
  });

  it('trained LayerNorms are written into the ONNX and read back', async () => {
    const { onnx, model, sparse, batch } = setup();
    const trainer = createTrainer(device, model, { sparse, maxBatch: 4, maxSeq: 8 });
    try {
      for (let i = 0; i < 3; i++) await trainer.step(batch, { lr: 1e-2 }, { temperature: 2, alpha: 0.5 });
      const trained = (await trainer.exportModel()).model;
      expect(trained.layers[1].ln2.gamma).not.toEqual(model.layers[1].ln2.gamma);
      const file = writeBertOnnx(
        onnx,
        [...prunableLinears(trained), ...(trained.pooler ? [trained.pooler] : []), trained.classifier],
        trained.layers.map((l) => ({ ln1: l.ln1, ln2: l.ln2 })),
      );
      const back = parseBertOnnx(file).model;
      back.layers.forEach((l, i) => {
        expect(l.ln1.gamma).toEqual(trained.layers[i].ln1.gamma);
        expect(l.ln1.beta).toEqual(trained.layers[i].ln1.beta);
        expect(l.ln2.gamma).toEqual(trained.layers[i].ln2.gamma);
        expect(l.ln2.beta).toEqual(trained.layers[i].ln2.beta);
      });
    } finally {
      trainer.destroy();
    }
  });

  it('a few AdamW steps lower the loss, and pruned weights stay exactly zero in the written ONNX', async () => {
    const { onnx, model, sparse, pruned, batch } = setup();
    const trainer = createTrainer(device, model, { sparse, maxBatch: 4, maxSeq: 8 });
    try {
      const losses: number[] = [];
      for (let i = 0; i < 8; i++) losses.push(await trainer.step(batch, { lr: 3e-3 }, { temperature: 2, alpha: 0.3 }));
      expect(losses[7]).toBeLessThan(losses[0] * 0.8);
      const trained = await trainer.exportModel();
      const file = writeBertOnnx(onnx, [
        ...prunableLinears(trained.model),
        ...(trained.model.pooler ? [trained.model.pooler] : []),
        trained.model.classifier,
      ]);
      const back = parseBertOnnx(file).model;
      prunableLinears(back).forEach((l, i) => {
        const mask = pruned.matrices[i].mask;
        let changed = 0;
        l.weight.forEach((w, j) => {
          if (!mask[j]) expect(w).toBe(0);
          else if (w !== prunableLinears(model)[i].weight[j]) changed++;
        });
        expect(changed).toBeGreaterThan(0);
        // The HP matrices carry the same trained values.
        expect(trained.sparse.get(l.name)!.values.length).toBe(sparse.get(l.name)!.values.length);
      });
    } finally {
      trainer.destroy();
    }
  });
});
