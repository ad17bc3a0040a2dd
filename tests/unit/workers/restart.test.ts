// A worker killed mid-session: the call in flight fails with WorkerCrashedError, the worker is
// restarted, the client re-sends the state it had given it (tokenizer, dataset, model), and the
// next call answers as before the crash. The "worker" is the real lab/EvalSession behind the real
// endpoint (endpoint.ts) on one side of a MessageChannel; the page side is service-client.ts.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { configureOrt } from '../../../src/eval/ort-session';
import { EvalSession } from '../../../src/lab/eval-session';
import type { ServiceApi } from '../../../src/workers/endpoint';
import { serviceClient } from '../../../src/workers/service-client';
import { WorkerCrashedError } from '../../../src/workers/spawn';
import { channelWorkers } from '../../helpers/channel-worker';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

configureOrt({ threads: 1 });

const { create, workers, services } = channelWorkers(() => new EvalSession());

const tokenizerUrl =
  'data:application/json;base64,' + readFileSync('public/tokenizer/tokenizer.json').toString('base64');
const dataset = new Uint8Array(readFileSync('public/data/dev.jsonl'));
// A tiny random BERT over the real vocabulary, so the dev sentences tokenize into valid ids.
const model = buildTinyBertOnnx({ vocab: 30522, maxPositions: 64, seed: 5 }).bytes;

describe('a worker killed mid-session', () => {
  const client = serviceClient<ServiceApi<EvalSession>>('evaluation', create);
  afterAll(() => client.terminate());
  const evaluate = (id: number) => client.request((api) => api.evaluate(id, { limit: 24, maxLength: 64 }));

  it(
    'rejects the call in flight, restarts, re-sends tokenizer, dataset and model, ' + 'and answers the next call',
    async () => {
      await client.keep('tokenizer', (api) => api.loadTokenizer(tokenizerUrl));
      await client.keep('dataset', (api) => api.loadDataset({ bytes: dataset.slice(), name: 'dev.jsonl' }));
      await client.keep('model', (api) => api.setModel(model.slice(), 'wasm'));
      const before = await evaluate(1);
      expect(before.n).toBe(24);

      const inFlight = evaluate(2);
      workers[0].kill();
      await expect(inFlight).rejects.toBeInstanceOf(WorkerCrashedError);
      expect(client.restarts).toBe(1);
      expect(services).toHaveLength(2);

      // A fresh EvalSession knows nothing; the answer below needs all three pieces of state.
      const after = await evaluate(3);
      expect(after.n).toBe(24);
      expect(after.correct).toBe(before.correct);
      expect(after.backend).toBe('wasm');
    },
    60_000,
  );

  it('replays only state the worker accepted: a refused dataset leaves the previous one', async () => {
    const refused = client.keep('dataset', (api) => api.loadDataset({ bytes: dataset.slice(), name: 'dev.jsonl' }, 1));
    await expect(refused).rejects.toThrow(/classes/);
    workers[1].kill();
    expect((await evaluate(4)).n).toBe(24);
    expect(services).toHaveLength(3);
  }, 60_000);
});
