// The fine-tuning experiment, written once for the page's worker and the CLI: given a model,
// its pruned HP matrices (masks fixed) and tokenized training sentences, train on the GPU
// (gpu/train) for some epochs with AdamW and a linearly decaying learning rate, the loss being
// the label's cross-entropy plus, optionally, distillation from the dense model's logits (computed
// once per sentence on the same GPU by the inference engine). Optional unlabelled sentences add
// distillation-only batches. A held-out part of the TRAIN sentences (never dev) is scored before
// training and after each epoch: the best state is the result, and training stops early when it
// no longer improves. Reports progress with an ETA measured from the first steps, stops between
// steps when cancelled, and can save and resume from a checkpoint (parameters, AdamW moments,
// position in the schedule, held-out scores and the best state).
import type { BertModel } from '../core/model/bert-types';
import type { HPMatrix } from '../core/formats/hp';
import type { Dataset } from '../core/data/dataset';
import { takeFirst } from '../core/data/dataset';
import type { BertTokenizer } from '../core/model/tokenizer';
import { rng } from '../core/random';
import type { GpuCapabilities } from '../gpu/adapter';
import { createEncoderEngine } from '../gpu/encoder';
import { createTrainer, type TrainProfile } from '../gpu/train/trainer';

export interface FineTuneSettings {
  epochs: number;
  batchSize: number;
  /** Peak learning rate; decays linearly to 0 over the run (after the warm-up, if any). */
  lr: number;
  /** Fraction of the run's steps over which the learning rate rises linearly to its peak
   *  (absent or 0: none, the peak from the first step). */
  warmup?: number;
  /** Tokens per sentence, [CLS] and [SEP] included. */
  maxLength: number;
  weightDecay: number;
  /** Distillation from the dense model: temperature and weight of the term; null = labels only. */
  distill: { temperature: number; alpha: number } | null;
  /** Weight of hidden-state distillation (MSE of each layer's output against the dense model's,
   *  which runs beside the student on every batch); 0 = off. Needs `distill`. */
  hiddenMse: number;
  /** Shuffling seed (epoch e uses seed + e). */
  seed: number;
  /** Pad each batch to its longest sentence (less work) or always to maxLength. */
  pad: 'longest' | 'max';
  /** Train the layers' LayerNorm gamma and beta (besides every linear's weights and biases). */
  trainLayerNorm: boolean;
  /** Fraction of the training sentences (the last ones) held out to score each epoch; 0 = none. */
  holdout: number;
  /** Stop after this many epochs without a better held-out score; 0 = run every epoch. */
  patience: number;
}

export const FINETUNE_DEFAULTS: FineTuneSettings = {
  epochs: 3,
  batchSize: 32,
  lr: 1e-4,
  maxLength: 64,
  weightDecay: 0.01,
  distill: { temperature: 2, alpha: 0.5 },
  // Hidden-state distillation on: on the H200 it gave HP 32x32 80.0-80.2% dev at 90% against 78.2%
  // with the logits alone (BENCHMARKS.md, "Fine-tuning on the GPU").
  hiddenMse: 1,
  seed: 1,
  pad: 'longest',
  trainLayerNorm: true,
  holdout: 0.1,
  patience: 2,
};

/** Checks settings, with messages a form or a flag parser can show as they are. */
export function validateSettings(s: FineTuneSettings): void {
  const bad = (m: string) => {
    throw new RangeError(m);
  };
  if (!Number.isInteger(s.epochs) || s.epochs < 1 || s.epochs > 1000)
    bad(`epochs must be an integer in [1, 1000], got ${s.epochs}`);
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1 || s.batchSize > 1024)
    bad(`batch size must be an integer in [1, 1024], got ${s.batchSize}`);
  if (!(s.lr > 0 && s.lr <= 1)) bad(`learning rate must be in (0, 1], got ${s.lr}`);
  if (s.warmup !== undefined && !(s.warmup >= 0 && s.warmup <= 0.5))
    bad(`warm-up must be a fraction of the steps in [0, 0.5], got ${s.warmup}`);
  if (!Number.isInteger(s.maxLength) || s.maxLength < 2) bad(`max length must be an integer >= 2, got ${s.maxLength}`);
  if (!(s.weightDecay >= 0 && s.weightDecay < 1)) bad(`weight decay must be in [0, 1), got ${s.weightDecay}`);
  if (s.distill && !(s.distill.temperature > 0 && s.distill.alpha >= 0 && s.distill.alpha <= 1))
    bad(`distillation needs a temperature > 0 and a weight in [0, 1], got ${JSON.stringify(s.distill)}`);
  if (!(s.hiddenMse >= 0 && s.hiddenMse <= 1e4)) bad(`hidden-state MSE weight must be in [0, 1e4], got ${s.hiddenMse}`);
  if (s.hiddenMse > 0 && !s.distill) bad('hidden-state distillation needs distillation from the dense model on');
  if (!(s.holdout >= 0 && s.holdout < 1)) bad(`held-out fraction must be in [0, 1), got ${s.holdout}`);
  if (!Number.isInteger(s.patience) || s.patience < 0) bad(`patience must be an integer >= 0, got ${s.patience}`);
}

/** Learning rate of step `step` (0-based) of `total`: a linear rise over the warm-up's steps to
 *  the peak, then a linear decay that would reach 0 after the last step. */
export function learningRate(s: Pick<FineTuneSettings, 'lr' | 'warmup'>, step: number, total: number): number {
  const w = Math.min(total - 1, Math.round((s.warmup ?? 0) * total));
  if (step < w) return (s.lr * (step + 1)) / (w + 1);
  return (s.lr * (total - step)) / (total - w);
}

/** Sentences held out of `n` training sentences (the last ones): none when fewer than 10. */
export const heldOutCount = (n: number, fraction: number) => (n < 10 ? 0 : Math.floor(n * fraction));

/** Training sentences as token ids (first `limit` of the set). */
export interface TokenizedSet {
  rows: number[][];
  labels: Int32Array;
}

export function tokenizeSet(tokenizer: BertTokenizer, data: Dataset, maxLength: number, limit?: number): TokenizedSet {
  const d = takeFirst(data, limit);
  return { rows: d.texts.map((t) => tokenizer.encode(t, maxLength)), labels: d.labels };
}

/** A held-out score: accuracy and mean label cross-entropy of the held-out TRAIN sentences. */
export interface HeldOutScore {
  /** 0 = before training, e = after epoch e. */
  epoch: number;
  accuracy: number;
  loss: number;
}

/** Higher accuracy wins; equal accuracy, lower loss. */
export const betterScore = (a: HeldOutScore, b: HeldOutScore) =>
  a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.loss < b.loss);

export interface FineTuneProgress {
  /** 0-based epoch of the step just done. */
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  /** Mean loss of the batch just trained. */
  loss: number;
  /** Mean loss of every finished epoch. */
  losses: number[];
  elapsedMs: number;
  /** Remaining time, from the mean step time after the first (compilation) step; null before. */
  etaMs: number | null;
  /** recover: the kept weights being reconstructed (step/totalSteps = matrices) before training. */
  phase: 'recover' | 'teacher' | 'train';
  /** Held-out scores so far (before training, then per epoch). */
  heldOut?: HeldOutScore[];
}

/** Everything needed to continue a run where it stopped. */
export interface FineTuneCheckpoint {
  /** Identifies the run (model, pattern, settings, data): a checkpoint only resumes its own run. */
  runKey: string;
  step: number;
  losses: number[];
  /** Sum and count of the losses of the epoch in progress. */
  epochLossSum: number;
  epochSteps: number;
  params: Float32Array;
  m1: Float32Array;
  m2: Float32Array;
  adamStep: number;
  /** Teacher logits per sentence (so a resumed run does not recompute them). */
  teacher: Float32Array | null;
  heldOut: HeldOutScore[];
  /** The best state so far by the held-out score (null without held-out sentences). */
  best: { score: HeldOutScore; params: Float32Array } | null;
}

export interface FineTuneInput {
  device: GPUDevice;
  caps: GpuCapabilities;
  /** The dense model: the teacher, and the weights of every layer without an HP matrix. */
  model: BertModel;
  /** The pruned matrices by Linear.name; their masks stay fixed. */
  sparse: Map<string, HPMatrix>;
  train: TokenizedSet;
  /** Unlabelled sentences (token ids): distillation-only batches (needs settings.distill). */
  unlabelled?: number[][];
  settings: FineTuneSettings;
  runKey?: string;
  onProgress?: (p: FineTuneProgress) => void;
  signal?: AbortSignal;
  /** Called at each epoch's end, every `checkpointEvery` steps, and after a step when
   *  `checkpointEveryMs` passed since the last checkpoint. */
  onCheckpoint?: (c: FineTuneCheckpoint) => Promise<void> | void;
  checkpointEvery?: number;
  checkpointEveryMs?: number;
  resume?: FineTuneCheckpoint | null;
  /** After training, time each kernel kind on one full batch (GpuTrainer.profile). */
  profile?: boolean;
  /** Stop training (between steps) once this many ms passed since the first step; the epoch in
   *  progress is then scored on the held-out sentences like a finished one. */
  timeLimitMs?: number;
}

export interface FineTuneResult {
  model: BertModel;
  sparse: Map<string, HPMatrix>;
  /** Mean training loss per epoch. */
  losses: number[];
  steps: number;
  /** Wall time of the training steps per epoch, ms (teacher logits not included). */
  epochMs: number[];
  teacherMs: number;
  /** Non-padding tokens trained per second (over all epochs). */
  tokensPerSecond: number;
  /** Mean padded sequence length of the batches. */
  meanSeq: number;
  resumedFromStep: number;
  /** Held-out scores: before training (epoch 0), then after each epoch run. */
  heldOut: HeldOutScore[];
  /** The epoch whose state is the result (0: the starting weights); null without held-out. */
  bestEpoch: number | null;
  /** Epochs run (fewer than settings.epochs when the held-out score stopped improving). */
  epochsRun: number;
  /** Training stopped at timeLimitMs (epochsRun then counts the cut epoch). */
  timeLimited: boolean;
  /** Labelled sentences trained on (held-out ones excluded) and unlabelled ones. */
  labelledSentences: number;
  unlabelledSentences: number;
  /** Time per kernel kind of one step, when `profile` was asked. */
  profile?: TrainProfile;
}

export class FineTuneCancelledError extends Error {
  constructor() {
    super('Fine-tuning cancelled.');
    this.name = 'FineTuneCancelledError';
  }
}

const now = () => performance.now();

function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Sentence indices of epoch e's batches (a seeded shuffle). */
export function epochBatches(n: number, batchSize: number, seed: number): number[][] {
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rng(seed),
  );
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** One epoch's batches: the labelled sentences 0..labelled-1 and the unlabelled ones
 *  (indices labelled..labelled+unlabelled-1) each shuffled and cut, then the batches shuffled
 *  together; a batch is all labelled or all unlabelled. Without unlabelled: epochBatches. */
export function epochPlan(
  labelled: number,
  unlabelled: number,
  batchSize: number,
  seed: number,
): { idx: number[]; unlabelled: boolean }[] {
  const plan = epochBatches(labelled, batchSize, seed).map((idx) => ({ idx, unlabelled: false }));
  if (unlabelled === 0) return plan;
  const rand = rng(seed ^ 0x5bd1e995);
  const extra = shuffleInPlace(
    Array.from({ length: unlabelled }, (_, i) => labelled + i),
    rand,
  );
  for (let i = 0; i < extra.length; i += batchSize) plan.push({ idx: extra.slice(i, i + batchSize), unlabelled: true });
  return shuffleInPlace(plan, rand);
}

function padRows(rows: number[][], seq: number, padId = 0): { inputIds: Int32Array; attentionMask: Int32Array } {
  const inputIds = new Int32Array(rows.length * seq).fill(padId);
  const attentionMask = new Int32Array(rows.length * seq);
  rows.forEach((r, b) => {
    inputIds.set(r, b * seq);
    attentionMask.fill(1, b * seq, b * seq + r.length);
  });
  return { inputIds, attentionMask };
}

/** Logits of `rows` (in their order), batch by batch in length order; `run` is a forward pass. */
async function logitsOf(
  rows: number[][],
  labels: number,
  batchSize: number,
  run: (inputIds: Int32Array, attentionMask: Int32Array, batch: number, seq: number) => Promise<Float32Array>,
  signal: AbortSignal | undefined,
  onBatch: (done: number) => void = () => undefined,
): Promise<Float32Array> {
  const out = new Float32Array(rows.length * labels);
  const order = rows.map((_, i) => i).sort((a, b) => rows[a].length - rows[b].length);
  for (let i = 0; i < order.length; i += batchSize) {
    if (signal?.aborted) throw new FineTuneCancelledError();
    const idx = order.slice(i, i + batchSize);
    const seq = Math.max(2, ...idx.map((j) => rows[j].length));
    const { inputIds, attentionMask } = padRows(
      idx.map((j) => rows[j]),
      seq,
    );
    const logits = await run(inputIds, attentionMask, idx.length, seq);
    idx.forEach((j, b) => out.set(logits.subarray(b * labels, (b + 1) * labels), j * labels));
    onBatch(Math.min(rows.length, i + batchSize));
  }
  return out;
}

/** Accuracy and mean cross-entropy of logits [n, labels] against the labels. */
export function scoreLogits(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  epoch: number,
): HeldOutScore {
  let correct = 0,
    loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const z = logits.subarray(i * classes, (i + 1) * classes);
    let best = 0,
      mx = -Infinity;
    for (let c = 0; c < classes; c++) if (z[c] > mx) [mx, best] = [z[c], c];
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - mx);
    loss += mx + Math.log(sum) - z[labels[i]];
    if (best === labels[i]) correct++;
  }
  return { epoch, accuracy: correct / labels.length, loss: loss / labels.length };
}

/** The dense teacher's logits for every sentence (sentence order), on the inference engine. */
async function teacherLogits(input: FineTuneInput, rows: number[][], onBatch: () => void): Promise<Float32Array> {
  const { model, settings } = input;
  const engine = createEncoderEngine(input.device, input.caps, model, {
    maxBatch: settings.batchSize,
    maxSeq: settings.maxLength,
  });
  try {
    return await logitsOf(
      rows,
      model.config.labels,
      settings.batchSize,
      (ids, mask, batch, seq) => engine.run(ids, mask, null, batch, seq),
      input.signal,
      onBatch,
    );
  } finally {
    engine.destroy();
  }
}

export async function runFineTune(input: FineTuneInput): Promise<FineTuneResult> {
  const { model, train, settings: s } = input;
  validateSettings(s);
  const n = train.rows.length;
  if (n === 0) throw new RangeError('no training sentences');
  if (train.labels.length !== n) throw new RangeError(`${train.labels.length} labels for ${n} sentences`);
  if (s.maxLength > model.config.maxPositions)
    throw new RangeError(`max length ${s.maxLength} exceeds the model's ${model.config.maxPositions} positions`);
  const extra = input.unlabelled ?? [];
  if (extra.length > 0 && !s.distill)
    throw new RangeError('unlabelled sentences train only by distillation: turn distillation on');
  for (const r of [...train.rows, ...extra])
    if (r.length > s.maxLength)
      throw new RangeError(`a sentence has ${r.length} tokens, more than max length ${s.maxLength}`);
  const labels = model.config.labels;
  for (const l of train.labels)
    if (l < 0 || l >= labels) throw new RangeError(`label ${l} is outside the model's ${labels} classes`);
  const held = heldOutCount(n, s.holdout);
  const nl = n - held;
  if (nl === 0) throw new RangeError('no training sentences left after the held-out ones');
  // Sentence index space: labelled 0..nl-1, unlabelled nl..nl+u-1 (the teacher's rows too).
  const rows = [...train.rows.slice(0, nl), ...extra];
  const heldRows = train.rows.slice(nl);
  const heldLabels = train.labels.subarray(nl);
  const runKey = input.runKey ?? '';
  const resume = input.resume && input.resume.runKey === runKey ? input.resume : null;
  const perEpoch = Math.ceil(nl / s.batchSize) + Math.ceil(extra.length / s.batchSize);
  const totalSteps = perEpoch * s.epochs;
  const t0 = now();
  const losses = resume ? [...resume.losses] : [];
  const heldOut: HeldOutScore[] = resume ? [...(resume.heldOut ?? [])] : [];
  let best = resume?.best ?? null;

  let teacher: Float32Array | null = null;
  let teacherMs = 0;
  if (s.distill) {
    if (resume?.teacher && resume.teacher.length === rows.length * labels) teacher = resume.teacher;
    else {
      const tt = now();
      teacher = await teacherLogits(input, rows, () => {
        input.onProgress?.({
          epoch: 0,
          epochs: s.epochs,
          step: 0,
          totalSteps,
          loss: NaN,
          losses,
          elapsedMs: now() - t0,
          etaMs: null,
          phase: 'teacher',
        });
      });
      teacherMs = now() - tt;
    }
  }

  // Hidden-state distillation: the dense model runs forward on each batch first, on a trainer of
  // its own (never stepped), and the student reads its layer outputs.
  const teacherNet =
    s.hiddenMse > 0 ? createTrainer(input.device, model, { maxBatch: s.batchSize, maxSeq: s.maxLength }) : null;
  const trainer = createTrainer(input.device, model, {
    sparse: input.sparse,
    maxBatch: s.batchSize,
    maxSeq: s.maxLength,
    trainLayerNorm: s.trainLayerNorm,
    hiddenTargets: teacherNet?.hiddenStates,
  });
  try {
    let step = 0;
    let epochLossSum = 0,
      epochSteps = 0;
    if (resume) {
      trainer.writeState({ params: resume.params, m1: resume.m1, m2: resume.m2, step: resume.adamStep });
      step = resume.step;
      epochLossSum = resume.epochLossSum;
      epochSteps = resume.epochSteps;
    }
    const resumedFromStep = step;
    const scoreHeldOut = async (epoch: number) => {
      const logits = await logitsOf(
        heldRows,
        labels,
        s.batchSize,
        (inputIds, attentionMask, batch, seq) => trainer.logits({ inputIds, attentionMask, batch, seq }),
        input.signal,
      );
      const score = scoreLogits(logits, heldLabels, labels, epoch);
      heldOut.push(score);
      if (!best || betterScore(score, best.score)) best = { score, params: (await trainer.readState()).params };
    };
    if (held > 0 && heldOut.length === 0) await scoreHeldOut(0);
    const checkpoint = async () => {
      if (!input.onCheckpoint) return;
      const st = await trainer.readState();
      await input.onCheckpoint({
        runKey,
        step,
        losses: [...losses],
        epochLossSum,
        epochSteps,
        params: st.params,
        m1: st.m1,
        m2: st.m2,
        adamStep: st.step,
        teacher,
        heldOut: [...heldOut],
        best,
      });
    };
    /** Epochs since the best held-out score (its epoch 0 = the starting weights). */
    const stale = () => (best && s.patience > 0 ? heldOut[heldOut.length - 1].epoch - best.score.epoch : 0);
    const epochMs: number[] = [];
    let tokens = 0,
      seqSum = 0,
      trainStart = 0,
      batches = 0;
    let firstStepEnd = 0;
    let lastCheckpoint = now();
    let epochsRun = Math.floor(step / perEpoch);
    let timeLimited = false;
    const timeUp = () => input.timeLimitMs !== undefined && trainStart > 0 && now() - trainStart >= input.timeLimitMs;
    for (let epoch = epochsRun; epoch < s.epochs && !timeLimited; epoch++) {
      if (s.patience > 0 && stale() >= s.patience) break;
      const plan = epochPlan(nl, extra.length, s.batchSize, s.seed + epoch);
      const te = now();
      for (let bi = step - epoch * perEpoch; bi < plan.length; bi++) {
        if (input.signal?.aborted) throw new FineTuneCancelledError();
        if (timeUp()) {
          timeLimited = true;
          if (epochSteps > 0) {
            // The cut epoch counts as one: its mean loss, a held-out score, a checkpoint.
            losses.push(epochLossSum / epochSteps);
            epochLossSum = 0;
            epochSteps = 0;
            if (held > 0) await scoreHeldOut(epoch + 1);
          }
          break;
        }
        const { idx, unlabelled } = plan[bi];
        const batchRows = idx.map((i) => rows[i]);
        const seq = s.pad === 'max' ? s.maxLength : Math.max(2, ...batchRows.map((r) => r.length));
        const { inputIds, attentionMask } = padRows(batchRows, seq);
        let batchTeacher: Float32Array | null = null;
        if (teacher) {
          batchTeacher = new Float32Array(idx.length * labels);
          idx.forEach((i, b) => batchTeacher!.set(teacher!.subarray(i * labels, (i + 1) * labels), b * labels));
        }
        if (trainStart === 0) trainStart = now();
        if (teacherNet) await teacherNet.forward({ inputIds, attentionMask, batch: idx.length, seq });
        const loss = await trainer.step(
          {
            inputIds,
            attentionMask,
            batch: idx.length,
            seq,
            // Unlabelled batches: distillation only (weight 1), so the label given is never used.
            labels: Array.from(idx, (i) => (unlabelled ? 0 : train.labels[i])),
            teacher: batchTeacher,
          },
          { lr: learningRate(s, step, totalSteps), weightDecay: s.weightDecay },
          s.distill ? { ...s.distill, alpha: unlabelled ? 1 : s.distill.alpha, hidden: s.hiddenMse } : undefined,
        );
        if (!Number.isFinite(loss))
          throw new Error(`the loss became ${loss} at step ${step + 1}; try a lower learning rate`);
        step++;
        batches++;
        epochLossSum += loss;
        epochSteps++;
        tokens += batchRows.reduce((a, r) => a + r.length, 0);
        seqSum += seq;
        if (firstStepEnd === 0) firstStepEnd = now();
        const doneAfterFirst = step - resumedFromStep - 1;
        const etaMs = doneAfterFirst >= 1 ? ((now() - firstStepEnd) / doneAfterFirst) * (totalSteps - step) : null;
        const epochEnd = bi === plan.length - 1;
        if (epochEnd) {
          losses.push(epochLossSum / epochSteps);
          epochLossSum = 0;
          epochSteps = 0;
          if (held > 0) await scoreHeldOut(epoch + 1);
        }
        input.onProgress?.({
          epoch,
          epochs: s.epochs,
          step,
          totalSteps,
          loss,
          losses,
          elapsedMs: now() - t0,
          etaMs,
          phase: 'train',
          heldOut,
        });
        const due =
          (input.checkpointEvery && step % input.checkpointEvery === 0) ||
          (input.checkpointEveryMs !== undefined && now() - lastCheckpoint >= input.checkpointEveryMs);
        if (epochEnd || due) {
          await checkpoint();
          lastCheckpoint = now();
        }
      }
      if (timeLimited && losses.length <= epoch) break; // cut before the epoch's first step
      epochMs.push(now() - te);
      epochsRun = epoch + 1;
    }
    const trainMs = trainStart ? now() - trainStart : 0;
    let profile: TrainProfile | undefined;
    if (input.profile) {
      // The parameters do not move (lr 0); the AdamW moments do, but training is over.
      const idx = epochBatches(nl, s.batchSize, s.seed)[0];
      const batchRows = idx.map((i) => rows[i]);
      const seq = s.pad === 'max' ? s.maxLength : Math.max(2, ...batchRows.map((r) => r.length));
      profile = await trainer.profile({
        ...padRows(batchRows, seq),
        batch: idx.length,
        seq,
        labels: Array.from(idx, (i) => train.labels[i]),
      });
    }
    const chosen = best as { score: HeldOutScore; params: Float32Array } | null;
    if (chosen) trainer.writeParams(chosen.params);
    const trained = await trainer.exportModel();
    return {
      ...trained,
      losses,
      steps: step,
      epochMs,
      teacherMs,
      tokensPerSecond: trainMs > 0 ? (tokens * 1000) / trainMs : 0,
      meanSeq: batches ? seqSum / batches : 0,
      resumedFromStep,
      heldOut,
      bestEpoch: chosen ? chosen.score.epoch : null,
      epochsRun,
      timeLimited,
      labelledSentences: nl,
      unlabelledSentences: extra.length,
      profile,
    };
  } finally {
    trainer.destroy();
    teacherNet?.destroy();
  }
}
