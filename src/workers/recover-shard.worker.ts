// One shard of a layer-wise reconstruction (core/recover/shard.ts), started by the pruning worker
// so that the reconstruction uses a second core: its first message is the shard's start, then
// one request a stage (core/recover/shard-messages.ts).
import { shardServer } from '../core/recover/shard-messages';

const scope = self as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
};
const serve = shardServer((message, transfer) => scope.postMessage(message, transfer ?? []));
scope.onmessage = (e) => serve(e.data);
