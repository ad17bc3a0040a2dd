// A reconstruction shard's worker (lab/RecoveryShardService), started by the pruning worker
// (recover-shards.ts); its stage sums and solved weights are transferred, not copied.
import { answerBuffers, RecoveryShardService, sumsBuffers } from '../lab/recovery-shard-service';
import { exposeService, type ServiceApi } from './endpoint';

export type RecoveryShardApi = ServiceApi<RecoveryShardService>;

exposeService(new RecoveryShardService(), { transfer: { accumulate: sumsBuffers, solve: answerBuffers } });
