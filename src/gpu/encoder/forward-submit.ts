// How a recorded forward reaches the GPU. Two costs sit on the CPU side of every run() (issue 19,
// H200 host, Dawn under Node; scripts/bench/dawn-dispatch-cost.mjs): recording the ~30 dispatches
// (~5-7 µs each) and queue.submit, where Dawn translates the commands for Vulkan (~2.5-3.5 µs a
// dispatch): at B=1 together ~2x the GPU time of an HP forward.
// - The next forward of the same shape is recorded ahead right after this one is submitted; a
//   call that finds it recorded only uploads its tokens and submits. The engine's serial queue
//   waits for that recording before its next call.
// - Optionally (submitChunks) the forward goes as a few command buffers of growing size, the GPU
//   starting on the first while the CPU still submits the later ones. Measured on the H200
//   (BENCHMARKS.md, issue 19 eighth pass) with the recording ahead then a command buffer per
//   event-loop turn: a run on an idle engine got faster (HP 90 % B=1 L=128 0.32-0.38 against
//   0.44-0.50 ms), back-to-back runs slower (0.54-0.65 against 0.45-0.51: each waits for the last
//   one's recording, spread over turns); since the tenth pass the chunks are recorded ahead in one
//   go like a single buffer (turns only with recordSlice).
// - Optionally (the engine's readbackFirst) a run waits for its logits before anything is recorded:
//   forwards recorded ahead queue up (ready()), the next one is recorded on the event loop's next
//   turn after a run returns, so nothing on the CPU sits between a run's submit and its readback.
// - Optionally (recordSlice) the recording ahead yields to the event loop every few dispatches,
//   inside a command buffer too: where recording takes longer than a small forward's GPU time,
//   the logits' mapAsync of the run that started it is otherwise seen only after it. On the H200
//   host in a state where recording (0.10 ms) already ended before the GPU (0.175), slices bought
//   nothing and slices of 4 cost 2x (BENCHMARKS.md, issue 19 ninth pass): default 0, one go.
import type { Step } from './op-profile';

/** Dispatches in each command buffer of a forward before the last (which takes the rest); the
 *  default [] keeps the forward in one (see above). */
export const SUBMIT_CHUNKS: readonly number[] = [];

/** Dispatches recorded ahead per event-loop turn; 0 records each command buffer in one go. */
export const RECORD_SLICE = 0;

/** The step lists of each command buffer: `chunks` dispatches each, then the rest ([] = one). */
export function splitSteps(steps: readonly Step[], chunks: readonly number[]): Step[][] {
  const out: Step[][] = [];
  let at = 0;
  for (const n of chunks) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`submit chunks must be positive integers, got ${n}`);
    if (at + n >= steps.length) break;
    out.push(steps.slice(at, at + n));
    at += n;
  }
  out.push(steps.slice(at));
  return out;
}

/** Resolves on the event loop's next turn (after pending I/O and Dawn's event processing). */
export function nextTurn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export interface ForwardSubmitter {
  /** Submits the forward of `shape`: the command buffers recorded ahead for it, else each chunk
   *  recorded and submitted in turn. `finish` adds the last buffer's copies (the logits). */
  submit(shape: string, steps: readonly Step[], finish: (enc: GPUCommandEncoder) => void): void;
  /** Records a forward of `shape` ahead (recordSlice dispatches per event-loop turn, else in one
   *  go) and queues it behind those already ahead for that shape (another shape's are forgotten);
   *  resolves when done or dropped, with the CPU ms its turns spent recording. */
  recordAhead(shape: string, steps: readonly Step[], finish: (enc: GPUCommandEncoder) => void): Promise<number>;
  /** How many forwards of `shape` are recorded ahead, ready to submit. */
  ready(shape: string): number;
  /** Forgets the forwards recorded ahead (their buffers are about to be re-allocated). */
  drop(): void;
}

export function createForwardSubmitter(
  device: GPUDevice,
  chunks: readonly number[] = SUBMIT_CHUNKS,
  recordSlice = RECORD_SLICE,
): ForwardSubmitter {
  if (!Number.isInteger(recordSlice) || recordSlice < 0)
    throw new RangeError(`record slice must be a non-negative integer, got ${recordSlice}`);
  /** Forwards recorded ahead, oldest first, all of one shape. */
  let ahead: { shape: string; commands: GPUCommandBuffer[] }[] = [];
  /** Bumped by drop(): a recording in flight for an older generation stops. */
  let generation = 0;
  /** The last step list's command-buffer parts: submit and recordAhead split the same list (the
   *  engine's, reused per shape) on every run. */
  let split: { steps: readonly Step[]; parts: Step[][] } | null = null;
  const partsOf = (steps: readonly Step[]) => {
    if (split?.steps !== steps) split = { steps, parts: splitSteps(steps, chunks) };
    return split.parts;
  };
  /** A command buffer of the forward: begin() its pass, encode steps into it, end() it (the last
   *  buffer with `finish`'s copies). */
  const begin = () => {
    const enc = device.createCommandEncoder({ label: 'encoder.forward' });
    return { enc, pass: enc.beginComputePass({ label: 'encoder.forward' }) };
  };
  const end = ({ enc, pass }: ReturnType<typeof begin>, last: boolean, finish: (enc: GPUCommandEncoder) => void) => {
    pass.end();
    if (last) finish(enc);
    return enc.finish();
  };
  const encode = (steps: readonly Step[], last: boolean, finish: (enc: GPUCommandEncoder) => void) => {
    const buffer = begin();
    for (const s of steps) s.encode(buffer.pass);
    return end(buffer, last, finish);
  };
  return {
    submit(shape, steps, finish) {
      const recorded = ahead[0]?.shape === shape ? ahead.shift()!.commands : null;
      if (!recorded) ahead = [];
      if (recorded) {
        for (const c of recorded) device.queue.submit([c]);
        return;
      }
      const parts = partsOf(steps);
      parts.forEach((part, i) => device.queue.submit([encode(part, i === parts.length - 1, finish)]));
    },
    async recordAhead(shape, steps, finish) {
      if (ahead[0] && ahead[0].shape !== shape) ahead = [];
      let recordedMs = 0;
      const mine = generation;
      const parts = partsOf(steps);
      const commands: GPUCommandBuffer[] = [];
      // The whole forward in one go (recordSlice 0), or recordSlice dispatches per turn.
      let sinceTurn = 0;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (generation !== mine) return recordedMs;
        let t0 = performance.now();
        const buffer = begin();
        for (const step of part) {
          if (recordSlice > 0 && sinceTurn === recordSlice) {
            recordedMs += performance.now() - t0;
            await nextTurn();
            if (generation !== mine) return recordedMs; // the unfinished encoder is dropped
            t0 = performance.now();
            sinceTurn = 0;
          }
          step.encode(buffer.pass);
          sinceTurn++;
        }
        commands.push(end(buffer, i === parts.length - 1, finish));
        recordedMs += performance.now() - t0;
      }
      if (ahead[0] && ahead[0].shape !== shape) ahead = [];
      ahead.push({ shape, commands });
      return recordedMs;
    },
    ready(shape) {
      return ahead[0]?.shape === shape ? ahead.length : 0;
    },
    drop() {
      generation++;
      ahead = [];
    },
  };
}
