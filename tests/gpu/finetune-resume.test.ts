// FineTuneExperiment (the page worker's and the CLI's run) on Dawn + SwiftShader: a run cancelled
// mid-way and resumed from its checkpoint ends with exactly the model of an uninterrupted run;
// a checkpoint of another run (other settings) is not used; the store is cleared at the end.
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { readDataset, readTokenizer } from '../../src/eval/node-assets';
import { takeFirst } from '../../src/core/data/dataset';
import { FINETUNE_DEFAULTS, type FineTuneCheckpoint } from '../../src/lab/finetune';
import {
  FineTuneExperiment,
  runKeyOf,
  type CheckpointInfo,
  type CheckpointStore,
  type FineTuneRequest,
} from '../../src/lab/finetune-experiment';
import { PruneSession } from '../../src/lab/prune-session';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';

class MemoryStore implements CheckpointStore {
  saved = new Map<string, { info: CheckpointInfo; checkpoint: FineTuneCheckpoint }>();
  async load(runKey: string) {
    return this.saved.get(runKey)?.checkpoint ?? null;
  }
  async save(info: CheckpointInfo, checkpoint: FineTuneCheckpoint) {
    this.saved = new Map([[info.runKey, { info, checkpoint }]]);
  }
  async clear() {
    this.saved.clear();
  }
}

describe('fine-tuning checkpoints', () => {
  it('cancel + resume gives exactly the uninterrupted run; other runs do not resume from it', async () => {
    const gpu = await nodeGpu();
    const tiny = buildTinyBertOnnx({
      layers: 2,
      hidden: 16,
      heads: 2,
      ffn: 32,
      vocab: 30522,
      maxPositions: 32,
      seed: 11,
    });
    const session = new PruneSession(parseBertOnnx(tiny.bytes));
    const experiment = new FineTuneExperiment(gpu, session);
    const tokenizer = readTokenizer();
    const train = takeFirst(readDataset('public/data/train.jsonl'), 12);
    const req: FineTuneRequest = {
      pruning: { pattern: 'hp', score: 'magnitude', tr: 8, tc: 8, sparsity: 0.5, split: 0.5 },
      // Hidden-state distillation off: the dense model's forward per step adds time, no state.
      settings: { ...FINETUNE_DEFAULTS, epochs: 2, batchSize: 4, lr: 3e-3, maxLength: 24, hiddenMse: 0 },
      modelKey: 'tiny',
    };
    const whole = await experiment.run(req, tokenizer, train);
    expect(whole.steps).toBe(6);

    const store = new MemoryStore();
    const ctl = new AbortController();
    await expect(
      experiment.run(req, tokenizer, train, {
        store,
        signal: ctl.signal,
        checkpointEveryMs: 0, // after every step
        onProgress: (p) => {
          if (p.step === 4) ctl.abort();
        },
      }),
    ).rejects.toThrow(/cancelled/);
    const kept = [...store.saved.values()][0];
    expect(kept.info.runKey).toBe(runKeyOf(req));
    expect(kept.info.step).toBe(4);
    expect(kept.info.totalSteps).toBe(6);
    expect(kept.checkpoint.teacher).not.toBeNull();

    // Another learning rate is another run: it starts from step 0 and leaves the checkpoint be.
    const other = { ...req, settings: { ...req.settings, lr: 1e-3, epochs: 1 } };
    const otherRun = await experiment.run(other, tokenizer, train, {
      store: { load: (k) => store.load(k), save: async () => undefined, clear: async () => undefined },
    });
    expect(otherRun.resumedFromStep).toBe(0);

    const resumed = await experiment.run(req, tokenizer, train, { store });
    expect(resumed.resumedFromStep).toBe(4);
    expect(resumed.steps).toBe(6);
    expect(resumed.losses).toEqual(whole.losses);
    expect(resumed.onnx).toEqual(whole.onnx);
    expect(resumed.hpw).toEqual(whole.hpw);
    expect(store.saved.size).toBe(0);
  });
});
