// One shard of a layer-wise reconstruction (core/recover/shard.ts) as a worker service: the
// pruning worker starts a worker with it per reconstruction (workers/recover-shards.ts), so the
// reconstruction's forward passes and sums run on a second core.
import {
  RecoveryShard,
  type ShardInit,
  type SolveAnswer,
  type SolveTask,
  type StageSums,
  type StageWeights,
} from '../core/recover/shard';

export { answerBuffers, sumsBuffers } from '../core/recover/shard';

export class RecoveryShardService {
  private shard: RecoveryShard | null = null;

  start(init: ShardInit): void {
    this.shard = new RecoveryShard(init);
  }

  accumulate(layer: number, stage: number): StageSums {
    return this.started().accumulate(layer, stage);
  }

  advance(layer: number, stage: number, weights: StageWeights[]): void {
    this.started().advance(layer, stage, weights);
  }

  /** Its share of a stage's solves (the run solves the rest). */
  solve(task: SolveTask): SolveAnswer {
    return this.started().solve(task);
  }

  private started(): RecoveryShard {
    if (!this.shard) throw new Error('The reconstruction shard has not been started.');
    return this.shard;
  }
}
