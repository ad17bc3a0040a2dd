// How a forward's dispatches are split into command buffers (forward-submit.ts).
import { describe, expect, it } from 'vitest';
import { createForwardSubmitter, splitSteps } from '../../../src/gpu/encoder/forward-submit';
import type { Step } from '../../../src/gpu/encoder/op-profile';

const steps = (n: number): Step[] => Array.from({ length: n }, () => ({ kind: 'qkv', encode: () => undefined }));
const sizes = (parts: Step[][]) => parts.map((p) => p.length);

describe('splitSteps', () => {
  it('growing chunks, then the rest; every step once, in order', () => {
    const all = steps(30);
    const parts = splitSteps(all, [3, 5, 8]);
    expect(sizes(parts)).toEqual([3, 5, 8, 14]);
    expect(parts.flat()).toEqual(all);
  });
  it('a short forward: no empty command buffer', () => {
    expect(sizes(splitSteps(steps(5), [3, 5, 8]))).toEqual([3, 2]);
    expect(sizes(splitSteps(steps(3), [3, 5]))).toEqual([3]);
    expect(sizes(splitSteps(steps(1), [3]))).toEqual([1]);
  });
  it('[] keeps the forward in one command buffer; bad sizes are refused', () => {
    expect(sizes(splitSteps(steps(30), []))).toEqual([30]);
    expect(() => splitSteps(steps(30), [0])).toThrow(/positive integers/);
    expect(() => splitSteps(steps(30), [1.5])).toThrow(/positive integers/);
  });
});

/** A device that records what the submitter encodes and submits (no GPU needed). */
function fakeDevice() {
  let nextBuffer = 0;
  const submitted: number[] = [];
  const device = {
    createCommandEncoder: () => ({
      beginComputePass: () => ({ end: () => undefined }),
      finish: () => ({ id: nextBuffer++ }),
    }),
    queue: { submit: (buffers: { id: number }[]) => submitted.push(...buffers.map((b) => b.id)) },
  };
  return { device: device as unknown as GPUDevice, submitted, encoded: () => nextBuffer };
}

describe('createForwardSubmitter', () => {
  const counting = (n: number) => {
    let encodes = 0;
    const list: Step[] = Array.from({ length: n }, () => ({ kind: 'qkv', encode: () => void encodes++ }));
    return { list, encodes: () => encodes };
  };
  const finish = () => undefined;

  it('submits the forward recorded ahead for the same shape without recording it again', async () => {
    const f = fakeDevice();
    const s = counting(6);
    const submitter = createForwardSubmitter(f.device, [2]);
    submitter.submit('1x8', s.list, finish); // nothing ahead: records and submits 2 buffers
    expect(f.submitted).toEqual([0, 1]);
    await submitter.recordAhead('1x8', s.list, finish);
    expect(s.encodes()).toBe(12);
    submitter.submit('1x8', s.list, finish);
    expect(f.submitted).toEqual([0, 1, 2, 3]);
    expect(s.encodes()).toBe(12);
    // Another shape: what was ahead is not used.
    await submitter.recordAhead('1x8', s.list, finish);
    submitter.submit('2x8', s.list, finish);
    expect(f.submitted.slice(4)).toEqual([6, 7]);
  });

  it('chunks are recorded ahead in one go; drop() afterwards leaves nothing ahead', async () => {
    const f = fakeDevice();
    const s = counting(6);
    const submitter = createForwardSubmitter(f.device, [2, 2]);
    const recording = submitter.recordAhead('1x8', s.list, finish);
    expect([s.encodes(), f.encoded()]).toEqual([6, 3]); // all three buffers before any turn
    submitter.drop();
    await recording;
    submitter.submit('1x8', s.list, finish); // records its own: 3 new buffers
    expect(f.submitted).toEqual([3, 4, 5]);
  });

  it('recordSlice: the recording ahead yields every N dispatches, still one command buffer', async () => {
    const f = fakeDevice();
    const s = counting(7);
    const submitter = createForwardSubmitter(f.device, [], 3);
    const recording = submitter.recordAhead('1x8', s.list, finish);
    expect(s.encodes()).toBe(3); // the first slice at once, the rest on later turns
    let turns = 0;
    while (s.encodes() < 7) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    expect(turns).toBeGreaterThanOrEqual(2);
    await recording;
    expect(f.encoded()).toBe(1);
    submitter.submit('1x8', s.list, finish); // what was ahead: no recording, one buffer
    expect(f.submitted).toEqual([0]);
    expect(s.encodes()).toBe(7);
    expect(() => createForwardSubmitter(f.device, [], -1)).toThrow(/non-negative integer/);
  });

  it('drop() between slices leaves nothing ahead and finishes no command buffer', async () => {
    const f = fakeDevice();
    const s = counting(7);
    const submitter = createForwardSubmitter(f.device, [], 2);
    const recording = submitter.recordAhead('1x8', s.list, finish);
    submitter.drop();
    await recording;
    expect(s.encodes()).toBe(2);
    expect(f.encoded()).toBe(0);
    submitter.submit('1x8', s.list, finish);
    expect(f.submitted).toEqual([0]);
    expect(s.encodes()).toBe(9);
  });

  it('forwards recorded ahead queue up per shape, oldest submitted first; another shape clears them', async () => {
    const f = fakeDevice();
    const s = counting(4);
    const submitter = createForwardSubmitter(f.device, []);
    await submitter.recordAhead('1x8', s.list, finish);
    await submitter.recordAhead('1x8', s.list, finish);
    expect([submitter.ready('1x8'), submitter.ready('2x8')]).toEqual([2, 0]);
    submitter.submit('1x8', s.list, finish);
    expect([f.submitted, submitter.ready('1x8')]).toEqual([[0], 1]);
    await submitter.recordAhead('2x8', s.list, finish); // the 1x8 one left is forgotten
    expect([submitter.ready('1x8'), submitter.ready('2x8')]).toEqual([0, 1]);
    submitter.submit('1x8', s.list, finish); // records its own (buffer 3); the 2x8 one goes too
    expect([f.submitted, submitter.ready('2x8')]).toEqual([[0, 3], 0]);
    expect(s.encodes()).toBe(16);
  });
});
