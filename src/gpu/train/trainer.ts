// Fine-tuning a (pruned) BERT classifier on WebGPU: one step = forward (saving what the
// backward needs), loss (label cross-entropy + distillation from teacher logits), backward
// through every op, AdamW on the packed trainable values, all recorded into one compute pass.
// Optionally hidden-state distillation: the MSE between each layer's output and a teacher's (the
// teacher being another trainer whose forward ran just before: `hiddenTargets` are its
// `hiddenStates`). Pruned weights are not stored (the HP layout holds the kept values only), so
// the masks stay exact. Word, position and token-type embeddings and their LayerNorm stay frozen; LayerNorms of
// the layers train when `trainLayerNorm` is set. Buffers are sized for maxBatch x maxSeq.
import type { BertModel } from '../../core/model/bert-types';
import type { HPMatrix } from '../../core/formats/hp';
import {
  buildParamLayout,
  packParams,
  unpackParams,
  type ParamLayout,
  type Segment,
} from '../../core/train/param-layout';
import { createEmbeddingsKernel } from '../encoder/row-ops';
import { concatF32, uploadBuffer } from '../kernel';
import { timeCompute } from '../timing';
import { toTokenWords, validateEngineInputs, type IdArray } from '../encoder/inputs';
import { TrainKernels } from './train-kernels';
import {
  GRAD_ADD,
  GRAD_SET,
  GRAD_SET_PLUS,
  linearForward,
  linearGradInput,
  linearGradParams,
  uploadLinearIndex,
  type LinearIndex,
  type RowsOf,
  type ShapedCall,
  type StepShape,
} from './train-linear';

export interface OptimizerOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface LossWeights {
  /** Distillation temperature (default 2). */
  temperature?: number;
  /** Weight of the distillation term when teacher logits are given (default 0.5). */
  alpha?: number;
  /** Weight of the hidden-state MSE per layer (mean over real tokens and features), when the
   *  trainer has `hiddenTargets` (default 0). Its value is not part of the reported loss. */
  hidden?: number;
}

export interface TrainBatch {
  inputIds: IdArray;
  attentionMask: IdArray;
  tokenTypeIds?: IdArray | null;
  batch: number;
  seq: number;
  /** Class index per sequence. */
  labels: ArrayLike<number>;
  /** The dense teacher's logits [batch, labels], for distillation. */
  teacher?: Float32Array | null;
}

/** Milliseconds per kernel kind (`embeddings` included) of one step. */
export interface TrainProfile {
  /** GPU time of each kind's dispatches together and of the whole `step`, each timed on its own
   *  (timestamps where the device has them: gpu/timing.ts). */
  gpuMs: Record<string, number>;
  /** Wall clock of each dispatch submitted and awaited alone, summed per kind, and the slowest. */
  wallMs: Record<string, number>;
  wallMaxMs: Record<string, number>;
}

export interface TrainerOptions {
  /** Pruned matrices by Linear.name; other linears train dense. */
  sparse?: Map<string, HPMatrix>;
  maxBatch: number;
  maxSeq: number;
  /** Train the layers' LayerNorm gamma and beta too (default true). */
  trainLayerNorm?: boolean;
  /** Per layer, the teacher's layer outputs for hidden-state distillation (another trainer's
   *  `hiddenStates`, same maxBatch and maxSeq, whose forward ran on the same batch first). */
  hiddenTargets?: readonly GPUBuffer[];
}

export interface GpuTrainer {
  readonly layout: ParamLayout;
  /** Each layer's output of the last forward pass [tokens, hidden] (a teacher's hidden states). */
  readonly hiddenStates: readonly GPUBuffer[];
  /** Forward only, nothing read back: fills hiddenStates for a student's step that follows. */
  forward(batch: Omit<TrainBatch, 'labels' | 'teacher'>): Promise<void>;
  /** One optimisation step; resolves to the batch's mean loss. */
  step(batch: TrainBatch, opt: OptimizerOptions, loss?: LossWeights): Promise<number>;
  /** Forward only: logits [batch, labels] with the current parameters. */
  logits(batch: Omit<TrainBatch, 'labels' | 'teacher'>): Promise<Float32Array>;
  /** The packed parameters (and the AdamW state, for checkpoints). */
  readState(): Promise<{ params: Float32Array; m1: Float32Array; m2: Float32Array; step: number }>;
  /** Restores what readState returned (a checkpoint). */
  writeState(state: { params: Float32Array; m1: Float32Array; m2: Float32Array; step: number }): void;
  /** Replaces the packed parameters only (e.g. with the best ones seen); the AdamW state stays. */
  writeParams(params: Float32Array): void;
  /** Time per kernel kind of one step, for finding the slow kernel (the parameters are updated
   *  as by step() with lr 0). */
  profile(batch: TrainBatch): Promise<TrainProfile>;
  /** The gradients of the last step, in the layout (tests compare them with the reference). */
  readGradients(): Promise<Float32Array>;
  /** The trained model (pruned weights zero) and its HP matrices. */
  exportModel(): Promise<{ model: BertModel; sparse: Map<string, HPMatrix> }>;
  destroy(): void;
}

export function createTrainer(device: GPUDevice, model: BertModel, opts: TrainerOptions): GpuTrainer {
  const { hidden, heads, ffn, labels, layerNormEps: eps } = model.config;
  const { maxBatch, maxSeq } = opts;
  if (!(Number.isInteger(maxBatch) && maxBatch >= 1 && Number.isInteger(maxSeq) && maxSeq >= 1))
    throw new RangeError('maxBatch and maxSeq must be positive integers');
  if (maxSeq > model.config.maxPositions)
    throw new RangeError(`maxSeq ${maxSeq} exceeds the model's ${model.config.maxPositions} positions`);
  if (hidden % heads !== 0) throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const layout = buildParamLayout(model, opts.sparse ?? new Map());
  const targets = opts.hiddenTargets;
  if (targets && targets.length !== model.layers.length)
    throw new RangeError(`${targets.length} hidden-state targets for ${model.layers.length} layers`);
  const trainLN = opts.trainLayerNorm ?? true;
  const T = maxBatch * maxSeq;
  const k = new TrainKernels(device, hidden);
  const owned: GPUBuffer[] = [];
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const buf = (label: string, floats: number) => {
    const b = device.createBuffer({ label: `train.${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage });
    owned.push(b);
    return b;
  };
  const upload = (label: string, data: Float32Array | Uint32Array) => {
    const b = uploadBuffer(
      device,
      data,
      `train.${label}`,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    );
    owned.push(b);
    return b;
  };

  // Parameters, gradients and AdamW moments share the layout (core/train/param-layout.ts).
  const params = upload('params', packParams(model, layout));
  const grads = buf('grads', layout.total);
  const m1 = buf('m1', layout.total);
  const m2 = buf('m2', layout.total);
  const range = (b: GPUBuffer, s: Segment): GPUBufferBinding => ({
    buffer: b,
    offset: s.offset * 4,
    size: Math.max(4, s.length * 4),
  });

  // Frozen embeddings, on the inference engine's kernel.
  const e = model.embeddings;
  const embKernel = createEmbeddingsKernel(device, hidden);
  const embWeights = [
    upload('word', e.word),
    upload('position', e.position),
    upload('tokenType', e.tokenType),
    upload('embLn', concatF32(e.ln.gamma, e.ln.beta)),
  ];
  const embUniform = device.createBuffer({
    label: 'train.emb.params',
    size: 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  owned.push(embUniform);

  // Inputs.
  const ids = buf('ids', T),
    types = buf('types', T),
    mask = buf('mask', T);
  const labelBuf = buf('labels', maxBatch),
    teacher = buf('teacher', maxBatch * labels);

  // Activations kept for the backward, per layer.
  const nL = model.layers.length;
  const xs = Array.from({ length: nL + 1 }, (_, i) => buf(`x${i}`, T * hidden));
  const L = model.layers.map((_, i) => ({
    q: buf(`l${i}.q`, T * hidden),
    k: buf(`l${i}.k`, T * hidden),
    v: buf(`l${i}.v`, T * hidden),
    probs: buf(`l${i}.probs`, maxBatch * heads * maxSeq * maxSeq),
    ctx: buf(`l${i}.ctx`, T * hidden),
    ao: buf(`l${i}.ao`, T * hidden),
    xhat1: buf(`l${i}.xhat1`, T * hidden),
    inv1: buf(`l${i}.inv1`, T),
    a1: buf(`l${i}.a1`, T * hidden),
    fpre: buf(`l${i}.fpre`, T * ffn),
    fpost: buf(`l${i}.fpost`, T * ffn),
    fo: buf(`l${i}.fo`, T * hidden),
    xhat2: buf(`l${i}.xhat2`, T * hidden),
    inv2: buf(`l${i}.inv2`, T),
  }));
  const cls = buf('cls', maxBatch * hidden),
    ppre = buf('ppre', maxBatch * hidden),
    pooled = buf('pooled', maxBatch * hidden);
  const logitsBuf = buf('logits', maxBatch * labels),
    lossBuf = buf('loss', maxBatch),
    dlogits = buf('dlogits', maxBatch * labels);
  // Gradients of activations (reused across layers).
  const dH = [buf('dH0', T * hidden), buf('dH1', T * hidden)];
  const g = {
    z2: buf('dZ2', T * hidden),
    fpost: buf('dFpost', T * ffn),
    fpre: buf('dFpre', T * ffn),
    a: buf('dA', T * hidden),
    z1: buf('dZ1', T * hidden),
    ctx: buf('dCtx', T * hidden),
    q: buf('dQ', T * hidden),
    k: buf('dK', T * hidden),
    v: buf('dV', T * hidden),
    s: buf('dS', maxBatch * heads * maxSeq * maxSeq),
    pooled: buf('dPooled', maxBatch * hidden),
    ppre: buf('dPpre', maxBatch * hidden),
    cls: buf('dCls', maxBatch * hidden),
  };

  const indices = new Map<string, LinearIndex>();
  for (const [name, t] of layout.linears) indices.set(name, uploadLinearIndex(device, t.hp, `train.${name}`));
  const lin = (name: string) => ({ ix: indices.get(name)!, t: layout.linears.get(name)! });

  const forward: ShapedCall[] = [];
  const backward: ShapedCall[] = [];
  const fwdLinear = (name: string, x: GPUBuffer, y: GPUBuffer, rows: RowsOf = 'tokens') => {
    const { ix, t } = lin(name);
    forward.push(linearForward(k, ix, rows, { values: range(params, t.values), bias: range(params, t.bias), x, y }));
  };
  const bwdLinear = (
    name: string,
    dy: GPUBuffer,
    x: GPUBuffer,
    dx: { buf: GPUBuffer; mode: number; addend?: GPUBuffer } | null,
    rows: RowsOf = 'tokens',
  ) => {
    const { ix, t } = lin(name);
    backward.push(
      ...linearGradParams(k, ix, rows, { dy, x, dValues: range(grads, t.values), dBias: range(grads, t.bias) }),
    );
    if (dx)
      backward.push(
        linearGradInput(k, ix, rows, dx.mode, { values: range(params, t.values), dy, addend: dx.addend, dx: dx.buf }),
      );
  };
  const elementwise = (
    mode: number,
    a: GPUBuffer,
    b: GPUBuffer,
    out: GPUBuffer,
    width: number,
    rows: RowsOf,
    into: ShapedCall[],
  ) => {
    const call = k.call('activations', [a, b, out]);
    into.push({
      call,
      prepare: (s) => {
        const n = (rows === 'tokens' ? s.batch * s.seq : s.batch) * width;
        call.setParams([n, mode]);
        call.grid = k.flatGrid(n);
      },
    });
  };
  const attentionShape = (call: ReturnType<TrainKernels['call']>) => (s: StepShape) => {
    call.setParams([s.seq, heads, hidden / heads], [1 / Math.sqrt(hidden / heads)]);
    call.grid = [Math.ceil(s.seq / 64), heads, s.batch];
  };
  const rowsCall = (
    name: 'layerNormForward' | 'layerNormBackward',
    buffers: GPUBufferBinding['buffer'][] | (GPUBuffer | GPUBufferBinding)[],
    into: ShapedCall[],
  ) => {
    const call = k.call(name, buffers);
    into.push({
      call,
      prepare: (s) => {
        call.setParams([s.batch * s.seq], [eps]);
        call.grid = k.rowsGrid(s.batch * s.seq);
      },
    });
  };
  const lnGrads = (dy: GPUBuffer, xhat: GPUBuffer, seg: Segment) => {
    if (!trainLN) return;
    const call = k.call('columnSums', [dy, xhat, range(grads, seg)]);
    backward.push({
      call,
      prepare: (s) => {
        call.setParams([s.batch * s.seq, hidden, 1]);
        call.grid = [Math.ceil(hidden / 16), 1, 1];
      },
    });
  };

  // Forward.
  model.layers.forEach((layer, i) => {
    const a = L[i];
    const ln = layout.layerNorms[i];
    fwdLinear(layer.q.name, xs[i], a.q);
    fwdLinear(layer.k.name, xs[i], a.k);
    fwdLinear(layer.v.name, xs[i], a.v);
    const att = k.call('attentionForward', [a.q, a.k, a.v, mask, a.probs, a.ctx]);
    forward.push({ call: att, prepare: attentionShape(att) });
    fwdLinear(layer.attnOut.name, a.ctx, a.ao);
    rowsCall('layerNormForward', [a.ao, xs[i], range(params, ln.ln1), a.a1, a.xhat1, a.inv1], forward);
    fwdLinear(layer.ffnIn.name, a.a1, a.fpre);
    elementwise(0, a.fpre, a.fpre, a.fpost, ffn, 'tokens', forward);
    fwdLinear(layer.ffnOut.name, a.fpost, a.fo);
    rowsCall('layerNormForward', [a.fo, a.a1, range(params, ln.ln2), xs[i + 1], a.xhat2, a.inv2], forward);
  });
  const gather = k.call('clsRows', [xs[nL], cls]);
  forward.push({
    call: gather,
    prepare: (s) => {
      gather.setParams([s.batch, s.seq, hidden, 0]);
      gather.grid = k.flatGrid(s.batch * hidden);
    },
  });
  const features = model.pooler ? pooled : cls;
  if (model.pooler) {
    fwdLinear('pooler', cls, ppre, 'sequences');
    elementwise(2, ppre, ppre, pooled, hidden, 'sequences', forward);
  }
  fwdLinear('classifier', features, logitsBuf, 'sequences');

  // Loss, then backward from the logits down to layer 0.
  let hasTeacher = false;
  let lossWeights: Required<Omit<LossWeights, 'hidden'>> = { temperature: 2, alpha: 0.5 };
  const lossCall = k.call('loss', [logitsBuf, labelBuf, teacher, dlogits, lossBuf]);
  backward.push({
    call: lossCall,
    prepare: (s) => {
      lossCall.setParams([s.batch, labels, hasTeacher ? 1 : 0], [lossWeights.temperature, lossWeights.alpha]);
      lossCall.grid = [Math.ceil(s.batch / 64), 1, 1];
    },
  });
  bwdLinear('classifier', dlogits, features, { buf: model.pooler ? g.pooled : g.cls, mode: GRAD_SET }, 'sequences');
  if (model.pooler) {
    elementwise(3, pooled, g.pooled, g.ppre, hidden, 'sequences', backward);
    bwdLinear('pooler', g.ppre, cls, { buf: g.cls, mode: GRAD_SET }, 'sequences');
  }
  const scatter = k.call('clsRows', [g.cls, dH[nL % 2]]);
  backward.push({
    call: scatter,
    prepare: (s) => {
      scatter.setParams([s.batch, s.seq, hidden, 1]);
      scatter.grid = k.flatGrid(s.batch * s.seq * hidden);
    },
  });
  let validTokens = 1;
  let hiddenWeight = 0;
  for (let i = nL - 1; i >= 0; i--) {
    const layer = model.layers[i];
    const a = L[i];
    const ln = layout.layerNorms[i];
    const dOut = dH[(i + 1) % 2];
    const dIn = dH[i % 2];
    if (targets) {
      const mse = k.call('hiddenMse', [xs[i + 1], targets[i], mask, dOut]);
      backward.push({
        call: mse,
        prepare: (s) => {
          const n = s.batch * s.seq * hidden;
          mse.setParams([n, hidden], [(2 * hiddenWeight) / (validTokens * hidden)]);
          mse.grid = hiddenWeight > 0 ? k.flatGrid(n) : [0, 0, 0];
        },
      });
    }
    rowsCall('layerNormBackward', [dOut, a.xhat2, a.inv2, range(params, ln.ln2), g.z2], backward);
    lnGrads(dOut, a.xhat2, ln.ln2);
    bwdLinear(layer.ffnOut.name, g.z2, a.fpost, { buf: g.fpost, mode: GRAD_SET });
    elementwise(1, a.fpre, g.fpost, g.fpre, ffn, 'tokens', backward);
    bwdLinear(layer.ffnIn.name, g.fpre, a.a1, { buf: g.a, mode: GRAD_SET_PLUS, addend: g.z2 });
    rowsCall('layerNormBackward', [g.a, a.xhat1, a.inv1, range(params, ln.ln1), g.z1], backward);
    lnGrads(g.a, a.xhat1, ln.ln1);
    bwdLinear(layer.attnOut.name, g.z1, a.ctx, { buf: g.ctx, mode: GRAD_SET });
    const attQ = k.call('attentionBackwardQuery', [g.ctx, a.probs, a.k, a.v, g.s, g.q]);
    backward.push({ call: attQ, prepare: attentionShape(attQ) });
    const attK = k.call('attentionBackwardKey', [g.ctx, a.probs, a.q, g.s, g.k, g.v]);
    backward.push({ call: attK, prepare: attentionShape(attK) });
    // Layer 0's input gradient would only feed the frozen embeddings: skipped.
    const needInput = i > 0;
    bwdLinear(layer.q.name, g.q, xs[i], needInput ? { buf: dIn, mode: GRAD_SET_PLUS, addend: g.z1 } : null);
    bwdLinear(layer.k.name, g.k, xs[i], needInput ? { buf: dIn, mode: GRAD_ADD } : null);
    bwdLinear(layer.v.name, g.v, xs[i], needInput ? { buf: dIn, mode: GRAD_ADD } : null);
  }
  let stepCount = 0;
  let optimizer: Required<OptimizerOptions> = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  const adam = k.call('adamw', [params, grads, m1, m2]);
  const update: ShapedCall = {
    call: adam,
    prepare: () => {
      const o = optimizer;
      adam.setParams(
        [layout.total, layout.decayEnd],
        [o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, 1 - o.beta1 ** stepCount, 1 - o.beta2 ** stepCount],
      );
      adam.grid = k.flatGrid(layout.total);
    },
  };

  const embGroup = device.createBindGroup({
    layout: embKernel.layout.group,
    entries: [embUniform, ids, types, ...embWeights, xs[0]].map((buffer, binding) => ({
      binding,
      resource: { buffer },
    })),
  });
  const readback = device.createBuffer({
    label: 'train.readback',
    size: Math.max(16, maxBatch * labels * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  owned.push(readback);

  function uploadInputs(b: Omit<TrainBatch, 'labels' | 'teacher'>): StepShape {
    if (b.batch > maxBatch || b.seq > maxSeq)
      throw new RangeError(`batch ${b.batch} x ${b.seq} exceeds the trainer's ${maxBatch} x ${maxSeq}`);
    validateEngineInputs(model, b.inputIds, b.attentionMask, b.tokenTypeIds, b.batch, b.seq);
    const n = b.batch * b.seq;
    const maskWords = toTokenWords(b.attentionMask);
    validTokens = Math.max(
      1,
      maskWords.reduce((c, m) => c + (m !== 0 ? 1 : 0), 0),
    );
    device.queue.writeBuffer(ids, 0, toTokenWords(b.inputIds));
    device.queue.writeBuffer(mask, 0, maskWords);
    device.queue.writeBuffer(types, 0, b.tokenTypeIds ? toTokenWords(b.tokenTypeIds) : new Uint32Array(n));
    const u = new Uint32Array(4);
    u.set([n, b.seq]);
    new Float32Array(u.buffer)[2] = eps;
    device.queue.writeBuffer(embUniform, 0, u);
    return { batch: b.batch, seq: b.seq };
  }

  function record(pass: GPUComputePassEncoder, shape: StepShape, calls: ShapedCall[]): void {
    for (const c of calls) c.prepare(shape);
    embKernel.encode(pass, embGroup, shape.batch * shape.seq);
    for (const c of calls) c.call.encode(pass);
  }

  async function readFloats(src: GPUBuffer, count: number): Promise<Float32Array> {
    const staging =
      count * 4 <= readback.size
        ? readback
        : device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, count * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, count * 4);
    const out = new Float32Array(staging.getMappedRange(0, count * 4).slice(0));
    staging.unmap();
    if (staging !== readback) staging.destroy();
    return out;
  }

  let busy: Promise<unknown> = Promise.resolve();
  const serial = <R>(f: () => Promise<R>): Promise<R> => {
    const next = busy.then(f, f);
    busy = next.catch(() => undefined);
    return next;
  };
  let destroyed = false;
  const alive = () => {
    if (destroyed) throw new Error('the trainer was destroyed');
  };

  function submitForward(b: Omit<TrainBatch, 'labels' | 'teacher'>): void {
    alive();
    const shape = uploadInputs(b);
    const enc = device.createCommandEncoder({ label: 'train.forward' });
    const pass = enc.beginComputePass({ label: 'train.forward' });
    record(pass, shape, forward);
    pass.end();
    device.queue.submit([enc.finish()]);
  }

  return {
    layout,
    hiddenStates: xs.slice(1),
    forward(b) {
      return serial(async () => submitForward(b));
    },
    step(b, opt, lossOpts = {}) {
      return serial(async () => {
        alive();
        if (!(opt.lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${opt.lr}`);
        if (b.labels.length !== b.batch) throw new RangeError(`${b.labels.length} labels for a batch of ${b.batch}`);
        for (let i = 0; i < b.batch; i++) {
          if (!Number.isInteger(b.labels[i]) || b.labels[i] < 0 || b.labels[i] >= labels)
            throw new RangeError(`label ${b.labels[i]} is outside [0, ${labels})`);
        }
        if (b.teacher && b.teacher.length !== b.batch * labels)
          throw new RangeError(`teacher logits: ${b.teacher.length} values, expected ${b.batch * labels}`);
        const shape = uploadInputs(b);
        device.queue.writeBuffer(labelBuf, 0, Uint32Array.from(b.labels));
        hasTeacher = Boolean(b.teacher);
        if (b.teacher) device.queue.writeBuffer(teacher, 0, b.teacher as Float32Array<ArrayBuffer>);
        lossWeights = { temperature: lossOpts.temperature ?? 2, alpha: lossOpts.alpha ?? 0.5 };
        hiddenWeight = targets ? (lossOpts.hidden ?? 0) : 0;
        optimizer = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...opt };
        stepCount++;
        const enc = device.createCommandEncoder({ label: 'train.step' });
        const pass = enc.beginComputePass({ label: 'train.step' });
        record(pass, shape, [...forward, ...backward, update]);
        pass.end();
        device.queue.submit([enc.finish()]);
        const losses = await readFloats(lossBuf, b.batch);
        return losses.reduce((s, x) => s + x, 0) / b.batch;
      });
    },
    logits(b) {
      return serial(async () => {
        submitForward(b);
        return readFloats(logitsBuf, b.batch * labels);
      });
    },
    readState() {
      return serial(async () => {
        alive();
        const [p, a, v] = [
          await readFloats(params, layout.total),
          await readFloats(m1, layout.total),
          await readFloats(m2, layout.total),
        ];
        return { params: p, m1: a, m2: v, step: stepCount };
      });
    },
    writeState(s) {
      alive();
      if (s.params.length !== layout.total || s.m1.length !== layout.total || s.m2.length !== layout.total)
        throw new RangeError(`checkpoint has ${s.params.length} values, this model's layout ${layout.total}`);
      device.queue.writeBuffer(params, 0, s.params as Float32Array<ArrayBuffer>);
      device.queue.writeBuffer(m1, 0, s.m1 as Float32Array<ArrayBuffer>);
      device.queue.writeBuffer(m2, 0, s.m2 as Float32Array<ArrayBuffer>);
      stepCount = s.step;
    },
    writeParams(p) {
      alive();
      if (p.length !== layout.total) throw new RangeError(`${p.length} values, this model's layout ${layout.total}`);
      device.queue.writeBuffer(params, 0, p as Float32Array<ArrayBuffer>);
    },
    profile(b) {
      return serial(async () => {
        alive();
        const shape = uploadInputs(b);
        device.queue.writeBuffer(labelBuf, 0, Uint32Array.from(b.labels));
        hasTeacher = Boolean(b.teacher);
        if (b.teacher) device.queue.writeBuffer(teacher, 0, b.teacher as Float32Array<ArrayBuffer>);
        optimizer = { ...optimizer, lr: 0 };
        stepCount++;
        const calls = [...forward, ...backward, update];
        for (const c of calls) c.prepare(shape);
        const embeddings = (pass: GPUComputePassEncoder) => embKernel.encode(pass, embGroup, shape.batch * shape.seq);
        const kinds = new Map<string, ((pass: GPUComputePassEncoder) => void)[]>([['embeddings', [embeddings]]]);
        for (const c of calls) kinds.set(c.call.name, [...(kinds.get(c.call.name) ?? []), (p) => c.call.encode(p)]);
        // Wall clock: each dispatch submitted and awaited alone, once (what this profile reported
        // before: it counts each submission's round trip and any stall into that dispatch).
        const wallMs: Record<string, number> = {},
          wallMaxMs: Record<string, number> = {};
        for (const [name, encs] of kinds)
          for (const encode of encs) {
            const enc = device.createCommandEncoder();
            const pass = enc.beginComputePass();
            encode(pass);
            pass.end();
            const t0 = performance.now();
            device.queue.submit([enc.finish()]);
            await device.queue.onSubmittedWorkDone();
            const ms = performance.now() - t0;
            wallMs[name] = (wallMs[name] ?? 0) + ms;
            wallMaxMs[name] = Math.max(wallMaxMs[name] ?? 0, ms);
          }
        // GPU time: each kind's dispatches together, then the whole step, repeated inside one
        // timed pass, the median of a few (gpu/timing.ts; timestamps where the device has them).
        const gpuMs: Record<string, number> = {};
        const opts = { warmup: 2, reps: 5 };
        for (const [name, encs] of kinds)
          gpuMs[name] = (await timeCompute(device, (pass) => encs.forEach((e) => e(pass)), opts)).msMedian;
        const all = [...kinds.values()].flat();
        gpuMs.step = (await timeCompute(device, (pass) => all.forEach((e) => e(pass)), opts)).msMedian;
        return { gpuMs, wallMs, wallMaxMs };
      });
    },
    readGradients() {
      return serial(async () => {
        alive();
        return readFloats(grads, layout.total);
      });
    },
    exportModel() {
      return serial(async () => {
        alive();
        return unpackParams(model, layout, await readFloats(params, layout.total));
      });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const c of [...forward, ...backward, update]) c.call.destroy();
      for (const ix of indices.values()) ix.destroy();
      for (const b of owned) b.destroy();
    },
  };
}
