// Every fine-tuning kernel (src/gpu/train) against the float64 reference (core/train, itself
// checked by finite differences in tests/unit/train), on real WebGPU (Dawn + SwiftShader).
// Shapes are tiny but ragged (edge tiles, padding, widths that are not multiples of the
// workgroup) so each bounds check is exercised.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { TrainKernels, type KernelCall } from '../../src/gpu/train/train-kernels';
import {
  GRAD_ADD,
  GRAD_SET,
  GRAD_SET_PLUS,
  linearForward,
  linearGradInput,
  linearGradParams,
  uploadLinearIndex,
  type ShapedCall,
} from '../../src/gpu/train/train-linear';
import { decodeHP, hpMask, type HPMatrix } from '../../src/core/formats/hp';
import { denseAsHP } from '../../src/core/train/hp-columns';
import { randomHP } from '../../src/gpu/kernels/random-hp';
import { rng } from '../../src/core/random';
import {
  adamwStep,
  attentionBackward,
  attentionForward,
  gelu64,
  geluGrad64,
  layerNormBackward,
  layerNormForward,
  linearBackward,
  linearForward as refLinear,
  lossForwardBackward,
} from '../../src/core/train/reference-backward';

let device: GPUDevice;
const made: { destroy(): void }[] = [];
beforeAll(async () => {
  device = (await nodeGpu()).device;
});
afterEach(async () => {
  await device.queue.onSubmittedWorkDone();
  for (const b of made.splice(0)) b.destroy();
});
afterAll(async () => {
  await device.queue.onSubmittedWorkDone();
});

const rand = rng(11);
const randoms = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

function up(data: Float32Array | Uint32Array): GPUBuffer {
  const b = device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
  made.push(b);
  return b;
}
/** An output buffer poisoned with NaN, so an unwritten value cannot pass. */
const outBuf = (n: number) => up(new Float32Array(n).fill(Number.NaN));

async function read(b: GPUBuffer, n: number): Promise<Float32Array> {
  const staging = device.createBuffer({
    size: Math.max(16, n * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(b, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(staging.getMappedRange().slice(0, n * 4));
  staging.destroy();
  return r;
}

function run(calls: (KernelCall | ShapedCall)[], shape = { batch: 1, seq: 1 }): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const c of calls) {
    if ('prepare' in c) {
      c.prepare(shape);
      c.call.encode(pass);
      made.push(c.call);
    } else {
      c.encode(pass);
      made.push(c);
    }
  }
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** Max |gpu - ref| relative to the reference's scale. */
function expectNear(gpu: Float32Array, ref: ArrayLike<number>, tol = 2e-5): void {
  expect(gpu.length).toBe(ref.length);
  let scale = 1e-6,
    err = 0;
  for (let i = 0; i < gpu.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    err = Math.max(err, Math.abs(gpu[i] - ref[i]));
  }
  expect(err / scale).toBeLessThan(tol);
}

describe('fine-tuning kernels vs the float64 reference', () => {
  const cases: [string, () => HPMatrix][] = [
    ['HP-sparse, ragged edge tiles', () => randomHP(10, 13, 4, 4, 2, 3, rand)],
    ['dense (all kept)', () => denseAsHP({ out: 6, in: 9, weight: randoms(54) })],
  ];
  for (const [name, make] of cases) {
    it(`linear ${name}: Y, dX (three modes), kept-only dW, db`, async () => {
      const k = new TrainKernels(device, 8);
      const hp = make();
      const { out, in: nIn } = hp;
      const tokens = 7;
      const ix = uploadLinearIndex(device, hp, 't');
      made.push(ix);
      const x = randoms(tokens * nIn),
        dy = randoms(tokens * out),
        bias = randoms(out),
        addend = randoms(tokens * nIn);
      const values = up(hp.values),
        biasB = up(bias),
        xB = up(x),
        dyB = up(dy),
        addB = up(addend);
      const y = outBuf(tokens * out),
        dx1 = outBuf(tokens * nIn),
        dx2 = outBuf(tokens * nIn),
        dx3 = up(addend.slice());
      const dv = outBuf(hp.values.length),
        db = outBuf(out);
      const shape = { batch: 1, seq: tokens };
      run(
        [
          linearForward(k, ix, 'tokens', { values, bias: biasB, x: xB, y }),
          linearGradInput(k, ix, 'tokens', GRAD_SET, { values, dy: dyB, dx: dx1 }),
          linearGradInput(k, ix, 'tokens', GRAD_SET_PLUS, { values, dy: dyB, addend: addB, dx: dx2 }),
          linearGradInput(k, ix, 'tokens', GRAD_ADD, { values, dy: dyB, dx: dx3 }),
          ...linearGradParams(k, ix, 'tokens', { dy: dyB, x: xB, dValues: dv, dBias: db }),
        ],
        shape,
      );
      const w = f64(decodeHP(hp));
      const mask = hpMask(hp);
      const ref = linearBackward(f64(dy), f64(x), tokens, w, out, nIn, mask);
      expectNear(await read(y, tokens * out), refLinear(f64(x), tokens, w, f64(bias), out, nIn));
      expectNear(await read(dx1, tokens * nIn), ref.dx);
      expectNear(
        await read(dx2, tokens * nIn),
        ref.dx.map((v, i) => v + addend[i]),
      );
      expectNear(
        await read(dx3, tokens * nIn),
        ref.dx.map((v, i) => v + addend[i]),
      );
      expectNear(await read(db, out), ref.db);
      // dV in the HP layout: decoding it gives dW at kept positions and exact zeros elsewhere.
      const dW = decodeHP({ ...hp, values: await read(dv, hp.values.length) });
      expectNear(dW, ref.dw);
      dW.forEach((v, i) => {
        if (!mask[i]) expect(v).toBe(0);
      });
    });
  }

  it('GELU and tanh, forward and backward', async () => {
    const k = new TrainKernels(device, 8);
    const n = 70;
    const a = randoms(n, 4),
      b = randoms(n);
    const th = a.map(Math.tanh);
    const outs = [0, 1, 2, 3].map(() => outBuf(n));
    const [aB, bB, thB] = [up(a), up(b), up(th)];
    const calls = [
      [aB, bB],
      [aB, bB],
      [aB, bB],
      [thB, bB],
    ].map(([x, y], mode) => {
      const c = k.call('activations', [x, y, outs[mode]]);
      c.setParams([n, mode]);
      c.grid = k.flatGrid(n);
      return c;
    });
    run(calls);
    expectNear(await read(outs[0], n), Array.from(a, gelu64), 1e-6);
    expectNear(
      await read(outs[1], n),
      Array.from(a, (v, i) => b[i] * geluGrad64(v)),
      1e-6,
    );
    expectNear(await read(outs[2], n), Array.from(a, Math.tanh), 1e-6);
    expectNear(
      await read(outs[3], n),
      Array.from(th, (v, i) => b[i] * (1 - v * v)),
      1e-6,
    );
  });

  it(
    'residual + LayerNorm: forward (xhat, 1/std kept), dz, dgamma, dbeta; ' + 'hidden wider than the workgroup',
    async () => {
      const h = 70,
        rows = 5,
        eps = 1e-5;
      const k = new TrainKernels(device, h);
      const a = randoms(rows * h, 2),
        x = randoms(rows * h, 2),
        gamma = randoms(h).map((v) => 1 + v / 2),
        beta = randoms(h),
        dy = randoms(rows * h);
      const gb = up(Float32Array.from([...gamma, ...beta]));
      const y = outBuf(rows * h),
        xhat = outBuf(rows * h),
        inv = outBuf(rows),
        dz = outBuf(rows * h),
        dgb = outBuf(2 * h);
      const dyB = up(dy);
      const fwd = k.call('layerNormForward', [up(a), up(x), gb, y, xhat, inv]);
      const bwd = k.call('layerNormBackward', [dyB, xhat, inv, gb, dz]);
      const sums = k.call('columnSums', [dyB, xhat, dgb]);
      for (const c of [fwd, bwd]) {
        c.setParams([rows], [eps]);
        c.grid = k.rowsGrid(rows);
      }
      sums.setParams([rows, h, 1]);
      sums.grid = [Math.ceil(h / 16), 1, 1];
      run([fwd, bwd, sums]);
      const ref = layerNormForward(f64(a.map((v, i) => v + x[i])), h, f64(gamma), f64(beta), eps);
      const back = layerNormBackward(f64(dy), ref, h, f64(gamma));
      expectNear(await read(y, rows * h), ref.y);
      expectNear(await read(inv, rows), ref.inv);
      expectNear(await read(dz, rows * h), back.dz, 1e-4);
      expectNear(await read(dgb, 2 * h), [...back.dgamma, ...back.dbeta]);
    },
  );

  it('masked multi-head attention: P, ctx, dQ, dK, dV', async () => {
    const s = { batch: 2, seq: 5, hidden: 12, heads: 3 };
    const n = s.batch * s.seq * s.hidden,
      np = s.batch * s.heads * s.seq * s.seq;
    const k = new TrainKernels(device, s.hidden);
    const q = randoms(n),
      kk = randoms(n),
      v = randoms(n),
      dctx = randoms(n);
    const mask = Uint32Array.from([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    const [qB, kB, vB, dB] = [up(q), up(kk), up(v), up(dctx)];
    const probs = outBuf(np),
      ctx = outBuf(n),
      ds = outBuf(np),
      dq = outBuf(n),
      dk = outBuf(n),
      dv = outBuf(n);
    const calls = [
      k.call('attentionForward', [qB, kB, vB, up(mask), probs, ctx]),
      k.call('attentionBackwardQuery', [dB, probs, kB, vB, ds, dq]),
      k.call('attentionBackwardKey', [dB, probs, qB, ds, dk, dv]),
    ];
    for (const c of calls) {
      c.setParams([s.seq, s.heads, s.hidden / s.heads], [1 / Math.sqrt(s.hidden / s.heads)]);
      c.grid = [1, s.heads, s.batch];
    }
    run(calls);
    const ref = attentionForward(f64(q), f64(kk), f64(v), mask, s);
    const back = attentionBackward(f64(dctx), ref.p, f64(q), f64(kk), f64(v), s);
    expectNear(await read(probs, np), ref.p);
    expectNear(await read(ctx, n), ref.ctx);
    expectNear(await read(dq, n), back.dq);
    expectNear(await read(dk, n), back.dk);
    expectNear(await read(dv, n), back.dv);
  });

  it('[CLS] gather and gradient scatter', async () => {
    const k = new TrainKernels(device, 6);
    const batch = 3,
      seq = 4,
      h = 6;
    const x = randoms(batch * seq * h),
      dcls = randoms(batch * h);
    const cls = outBuf(batch * h),
      dx = outBuf(batch * seq * h);
    const gather = k.call('clsRows', [up(x), cls]);
    gather.setParams([batch, seq, h, 0]);
    gather.grid = k.flatGrid(batch * h);
    const scatter = k.call('clsRows', [up(dcls), dx]);
    scatter.setParams([batch, seq, h, 1]);
    scatter.grid = k.flatGrid(batch * seq * h);
    run([gather, scatter]);
    const expectedCls = Array.from({ length: batch * h }, (_, i) => x[Math.floor(i / h) * seq * h + (i % h)]);
    expect(Array.from(await read(cls, batch * h))).toEqual(expectedCls);
    const expectedDx = Array.from({ length: batch * seq * h }, (_, i) =>
      Math.floor(i / h) % seq === 0 ? dcls[Math.floor(i / h / seq) * h + (i % h)] : 0,
    );
    expect(Array.from(await read(dx, batch * seq * h))).toEqual(expectedDx);
  });

  it('cross-entropy + distillation: loss per sequence and dlogits', async () => {
    const k = new TrainKernels(device, 8);
    const batch = 4,
      n = 3;
    const logits = randoms(batch * n, 3),
      teacher = randoms(batch * n, 3),
      labels = Uint32Array.from([0, 2, 1, 2]);
    for (const [T, alpha, withTeacher] of [
      [1, 0, false],
      [2, 0.6, true],
    ] as const) {
      const dl = outBuf(batch * n),
        loss = outBuf(batch);
      const c = k.call('loss', [up(logits), up(labels), up(teacher), dl, loss]);
      c.setParams([batch, n, withTeacher ? 1 : 0], [T, alpha]);
      c.grid = [1, 1, 1];
      run([c]);
      const ref = lossForwardBackward(f64(logits), labels, withTeacher ? teacher : null, n, { temperature: T, alpha });
      expectNear(await read(dl, batch * n), ref.dlogits, 1e-5);
      const perSeq = await read(loss, batch);
      expect(perSeq.reduce((a, b) => a + b, 0) / batch).toBeCloseTo(ref.loss, 5);
    }
  });

  it('AdamW: two steps, decay only below the decay end', async () => {
    const k = new TrainKernels(device, 8);
    const n = 100,
      decayEnd = 64;
    const p0 = randoms(n),
      g1 = randoms(n),
      g2 = randoms(n);
    const params = up(p0.slice()),
      m1 = up(new Float32Array(n)),
      m2 = up(new Float32Array(n));
    const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const refP = f64(p0),
      rm = new Float64Array(n),
      rv = new Float64Array(n);
    for (const [step, grad] of [
      [1, g1],
      [2, g2],
    ] as const) {
      const c = k.call('adamw', [params, up(grad), m1, m2]);
      c.setParams(
        [n, decayEnd],
        [o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, 1 - o.beta1 ** step, 1 - o.beta2 ** step],
      );
      c.grid = k.flatGrid(n);
      run([c]);
      const head = refP.subarray(0, decayEnd),
        tail = refP.subarray(decayEnd);
      adamwStep(head, grad.subarray(0, decayEnd), rm.subarray(0, decayEnd), rv.subarray(0, decayEnd), step, o);
      adamwStep(tail, grad.subarray(decayEnd), rm.subarray(decayEnd), rv.subarray(decayEnd), step, {
        ...o,
        weightDecay: 0,
      });
    }
    expectNear(await read(params, n), refP, 1e-6);
  });
});
