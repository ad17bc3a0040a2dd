// A reconstruction shard (shard.ts) behind a plain message port (a Node worker thread: the CLI's
// --threads): the requests and answers it exchanges with the run, both ends. The sums travel as
// transferred buffers, not copies. (The page's workers reach theirs through the comlink endpoint
// every worker uses: lab/recovery-shard-service.ts.)
import {
  RecoveryShard,
  sumsBuffers,
  type ShardInit,
  type ShardSpawner,
  type StageSums,
  type StageWeights,
} from './shard';

interface ShardRequest {
  id: number;
  op: 'accumulate' | 'advance';
  layer: number;
  stage: number;
  weights?: StageWeights[];
}

interface ShardAnswer {
  id: number;
  sums?: StageSums;
  error?: string;
}

type Post = (message: unknown, transfer?: ArrayBuffer[]) => void;

/** The worker's end: the first message is the ShardInit, each later one a request; returns the
 *  handler for incoming messages. */
export function shardServer(post: Post): (message: unknown) => void {
  let shard: RecoveryShard | undefined;
  return (message) => {
    if (!shard) {
      shard = new RecoveryShard(message as ShardInit);
      return;
    }
    const { id, op, layer, stage, weights } = message as ShardRequest;
    try {
      if (op === 'advance') {
        shard.advance(layer, stage, weights!);
        post({ id } satisfies ShardAnswer);
        return;
      }
      const sums = shard.accumulate(layer, stage);
      post({ id, sums } satisfies ShardAnswer, sumsBuffers(sums));
    } catch (err) {
      post({ id, error: (err as Error).message } satisfies ShardAnswer);
    }
  };
}

/** A worker as the run's view of a shard, given how to start one: `start` gets the handlers for
 *  the worker's messages and its failure, and returns how to post to it and how to end it. */
export function shardSpawner(
  start: (receive: (message: unknown) => void, fail: (err: Error) => void) => { post: Post; close: () => void },
): ShardSpawner {
  return async (init) => {
    const waiting = new Map<number, { resolve: (sums?: StageSums) => void; reject: (err: Error) => void }>();
    let next = 0;
    let failed: Error | undefined;
    const fail = (err: Error) => {
      failed ??= err;
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    };
    const worker = start((message) => {
      const { id, sums, error } = message as ShardAnswer;
      const w = waiting.get(id);
      waiting.delete(id);
      if (error !== undefined) w?.reject(new Error(`recovery worker: ${error}`));
      else w?.resolve(sums);
    }, fail);
    worker.post(
      init,
      init.inputs.map((x) => x.buffer as ArrayBuffer),
    ); // made for this shard alone
    const call = (request: Omit<ShardRequest, 'id'>) =>
      new Promise<StageSums | undefined>((resolve, reject) => {
        if (failed) return reject(failed);
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.post({ id, ...request } satisfies ShardRequest);
      });
    return {
      accumulate: async (layer, stage) => (await call({ op: 'accumulate', layer, stage }))!,
      advance: async (layer, stage, weights) => void (await call({ op: 'advance', layer, stage, weights })),
      close: () => {
        fail(new Error('recovery worker closed'));
        worker.close();
      },
    };
  };
}
