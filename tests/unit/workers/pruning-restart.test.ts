// The pruning worker killed mid-session: its client (the same service-client the page's
// pruning.client uses) re-sends the model and the activation norms the page holds, so the next
// prune gives the masks it gave before the crash. The "worker" is the real lab/PruningService
// behind the real endpoint on one side of a MessageChannel.
import { afterAll, describe, expect, it } from 'vitest';
import type { PruneConfig } from '../../../src/core/pruning';
import { PruningService } from '../../../src/lab/pruning-service';
import type { ServiceApi } from '../../../src/workers/endpoint';
import { serviceClient } from '../../../src/workers/service-client';
import { WorkerCrashedError } from '../../../src/workers/spawn';
import { channelWorkers } from '../../helpers/channel-worker';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const { create, workers, services } = channelWorkers(() => new PruningService());
const model = buildTinyBertOnnx({ hidden: 8, ffn: 16, seed: 3 }).bytes;
const CONFIG: PruneConfig = { pattern: 'unstructured', sparsity: 0.5, score: 'activation', tr: 4, tc: 4, split: 0.5 };

describe('the pruning worker killed mid-session', () => {
  const client = serviceClient<ServiceApi<PruningService>>('pruning', create);
  afterAll(() => client.terminate());
  const mask = async () => (await client.request((api) => api.prune(CONFIG, 0))).mask!.data;

  it('restarts with the model and the remembered norms, and prunes as before', async () => {
    const matrices = await client.keep('model', (api) => api.loadModel(model.slice()));
    const norms = matrices.map((m) => Float32Array.from({ length: m.in }, (_, j) => (j % 2 ? 100 : 0.01)));
    await client.request((api) => api.setInputNorms(norms));
    client.remember('norms', (api) => api.setInputNorms(norms));
    const before = await mask();
    // Activation scores need the norms: a worker restored without them could not prune at all.
    const withoutNorms = new PruningService();
    withoutNorms.loadModel(model.slice());
    expect(() => withoutNorms.prune(CONFIG, 0)).toThrow(/input-feature norms/);

    const inFlight = client.request((api) => api.prunedOnnx());
    workers[0].kill();
    await expect(inFlight).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(services).toHaveLength(2);
    expect(await client.request((api) => api.hasInputNorms())).toBe(true);
    expect(await mask()).toEqual(before);
  });

  it('answers a clear error, not a crash, for calls before any model', async () => {
    const fresh = serviceClient<ServiceApi<PruningService>>(
      'pruning',
      channelWorkers(() => new PruningService()).create,
    );
    await expect(fresh.request((api) => api.prune(CONFIG))).rejects.toThrow('The pruning worker has no model yet.');
    fresh.terminate();
  });
});
