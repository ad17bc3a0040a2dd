// A reconstruction shard (shard.ts) behind a plain message port (a Node worker thread: the CLI's
// --threads): the requests and answers it exchanges with the run, both ends. The sums travel as
// transferred buffers, not copies. (The page's workers reach theirs through the comlink endpoint
// every worker uses: lab/recovery-shard-service.ts.)
import {
  answerBuffers,
  RecoveryShard,
  sumsBuffers,
  type ShardInit,
  type ShardSpawner,
  type SolveAnswer,
  type SolveTask,
  type StageSums,
  type StageWeights,
} from './shard';

interface ShardRequest {
  id: number;
  op: 'accumulate' | 'advance' | 'solve';
  layer: number;
  stage: number;
  weights?: StageWeights[];
  task?: SolveTask;
}

interface ShardAnswer {
  id: number;
  sums?: StageSums;
  solved?: SolveAnswer;
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
    const { id, op, layer, stage, weights, task } = message as ShardRequest;
    try {
      if (op === 'solve') {
        const solved = shard.solve(task!);
        post({ id, solved } satisfies ShardAnswer, answerBuffers(solved));
        return;
      }
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
    type Answer = Omit<ShardAnswer, 'id' | 'error'>;
    const waiting = new Map<number, { resolve: (answer: Answer) => void; reject: (err: Error) => void }>();
    let next = 0;
    let failed: Error | undefined;
    const fail = (err: Error) => {
      failed ??= err;
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    };
    const worker = start((message) => {
      const { id, error, ...answer } = message as ShardAnswer;
      const w = waiting.get(id);
      waiting.delete(id);
      if (error !== undefined) w?.reject(new Error(`recovery worker: ${error}`));
      else w?.resolve(answer);
    }, fail);
    worker.post(
      init,
      init.inputs.map((x) => x.buffer as ArrayBuffer),
    ); // made for this shard alone
    const call = (request: Omit<ShardRequest, 'id'>) =>
      new Promise<Answer>((resolve, reject) => {
        if (failed) return reject(failed);
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.post({ id, ...request } satisfies ShardRequest);
      });
    return {
      accumulate: async (layer, stage) => (await call({ op: 'accumulate', layer, stage })).sums!,
      advance: async (layer, stage, weights) => void (await call({ op: 'advance', layer, stage, weights })),
      // The sums are copied (this thread solves its own share from them too).
      solve: async (task) => (await call({ op: 'solve', layer: task.layer, stage: task.stage, task })).solved!,
      close: () => {
        fail(new Error('recovery worker closed'));
        worker.close();
      },
    };
  };
}
