// hp-lab finetune: prune (HP-structured patterns), reconstruct the kept weights (--recover,
// default lsq-dense), then fine-tune the pruned model on the GPU with the masks fixed
// (lab/finetune.ts, the same run the page's worker makes), write the trained ONNX and .hpw, and
// measure dev accuracy with onnxruntime-web (wasm) like every variant.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { numberFlag, parseFlags } from '../args';
import { CliError } from '../cli-error';
import { loadModel, modelPath } from '../model-file';
import { inputFile, outputFile } from '../paths';
import { configFromFlags, loadNorms, pruneFlagSpec } from '../prune-flags';
import { nodeGpu } from '../../gpu/node-gpu';
import { isHPStructured, type ModelPruneResult } from '../../core/pruning';
import { PruneSession } from '../../lab/prune-session';
import { configureOrt } from '../../eval/ort-session';
import { evaluateOnnx } from '../../eval/accuracy';
import { DEFAULT_DATA, manifestMaxLength, readDataset, readTokenizer } from '../../eval/node-assets';
import { FINETUNE_DEFAULTS, validateSettings, type FineTuneSettings } from '../../lab/finetune';
import { unlabelledSentences } from '../../lab/unlabelled-reviews';
import type { RecoveryKind } from '../../core/recover/recover-pruned';
import { FineTuneExperiment, startMatrices } from '../../lab/finetune-experiment';
import { readWeightsFile, type WeightsFile } from '../../core/formats/weights-file';
import { onnxWithHPW } from '../../core/model/apply-hpw';

const D = FINETUNE_DEFAULTS;
/** Fine-tuning starts from reconstructed weights unless --recover none. */
const DEFAULT_FINETUNE_RECOVERY: RecoveryKind = 'lsq-dense';

export const usage = `hp-lab finetune --pattern hp --sparsity 0.9 --tile 32x32 --epochs N [options]
  Prunes the model (hp, tile or vector: the HP-structured patterns), fine-tunes it on the GPU
  (WebGPU via Dawn) with the masks fixed: label cross-entropy plus distillation from the dense
  model's logits and from every layer's output (hidden-state MSE); AdamW, learning rate decaying
  linearly to 0. Then writes the trained model and measures dev accuracy with onnxruntime-web (wasm).
  Pruning flags as for 'hp-lab prune' (--model, --pattern, --sparsity, --tile, --split, --score, ...),
  except that --recover defaults to ${DEFAULT_FINETUNE_RECOVERY} here (training starts from the reconstructed kept
  weights; --recover none: from the one-shot ones).
  --start W.hpw       start from the kept weights in W.hpw instead of reconstructing them (e.g. written by
                      'hp-lab prune' with the same model and pruning flags, --recover lsq-dense and --hpw W.hpw);
                      its masks must be this pruning's
  --epochs N          epochs over the training sentences (default ${D.epochs})
  --limit N           train on the first N training sentences only (default all)
  --batch B           sentences per step (default ${D.batchSize})
  --lr X              peak learning rate (default ${D.lr})
  --warmup X          fraction of the steps over which the learning rate rises linearly to its peak, then
                      decays linearly to 0 (default ${D.warmup ?? 0}: decay from the first step)
  --weight-decay X    AdamW decoupled weight decay on the weight matrices (default ${D.weightDecay})
  --max-length L      tokens per training sentence (default ${D.maxLength})
  --pad longest|max   pad each batch to its longest sentence (default) or always to --max-length
  --distill T         distil from the dense model's logits at temperature T (default ${D.distill!.temperature})
  --no-distill        labels only: no distillation (logits or hidden states)
  --alpha A           weight of the distillation term on labelled batches (default ${D.distill!.alpha})
  --unlabelled PATH   full reviews (JSON lines with a text field, or one text per line; gzip or not, e.g.
                      public/data/reviews.txt.gz): their sentences (4-60 words, not in the dev or test
                      sets) add distillation-only batches
  --unlabelled-limit N  use the first N of those sentences (default all)
  --holdout X         fraction of the training sentences (the last ones) held out to score each epoch and
                      keep the best state (default ${D.holdout}; 0: none, the last epoch is the result)
  --time-limit S      stop training after S seconds (from the first step; the cut epoch is scored like a
                      finished one), e.g. to bound a run on a shared GPU host
  --patience N        stop after N epochs without a better held-out score (default ${D.patience}; 0: never)
  --hidden-mse W      weight of the hidden-state term: MSE of every layer's output against the dense
                      model's, which runs beside the student on each batch (default ${D.hiddenMse}; 0: off)
  --freeze-layernorm  do not train the layers' LayerNorm gamma and beta
  --seed S            shuffling seed (default ${D.seed})
  --train D           training set (default public/data/train.jsonl); --data D: dev set (default ${DEFAULT_DATA})
  --eval-limit N      evaluate the first N dev sentences only (default all)
  --no-eval           skip the dev evaluation (accuracy null), e.g. on a GPU host without onnxruntime's wasm
                      files: evaluate the written --out file elsewhere with 'hp-lab eval --model'
  --baselines         also evaluate the dense model and the pruned model before fine-tuning
  --out PATH          write the fine-tuned ONNX (pruned weights zero)
  --hpw PATH          write its HP matrices (.hpw, f32)
  --report PATH       also write the JSON result to PATH
  --threads T         onnxruntime-web wasm threads for the accuracy (default 1)
  --profile           after training, time each kernel kind of one step: profile_ms (GPU time of its
                      dispatches together, and of the whole step), profile_wall_ms (each dispatch
                      submitted and awaited alone, summed; profile_wall_max_ms: the slowest one)
  Prints {losses (per epoch), accuracy (dev, after), epoch_ms, ...}.
  The recipe measured best (BENCHMARKS.md, "Fine-tuning on the GPU"; HP 32x32 90%: 81.4% dev from the
  lsq-dense start's 77.8%): --unlabelled public/data/reviews.txt.gz --batch 64 --epochs 2 --lr 2e-4 --holdout 0.`;

const DEFAULT_TRAIN = 'public/data/train.jsonl';
const DEFAULT_TEST = 'public/data/test.jsonl';

/** Sentences of the reviews in `file` (gzip or plain; JSON lines with a text field, or plain
 *  lines), none of them a sentence of the evaluation files that exist among `evaluation`. */
async function reviewFileSentences(file: string, evaluation: string[], limit?: number): Promise<string[]> {
  const exclude = evaluation.filter((f) => existsSync(f)).flatMap((f) => readDataset(f).texts);
  try {
    return await unlabelledSentences(new Uint8Array(readFileSync(file)), file, exclude, limit);
  } catch (err) {
    throw new CliError(`--unlabelled ${(err as Error).message}`);
  }
}

/** The .hpw file of --start. */
function startWeights(file: string): WeightsFile {
  let weights: WeightsFile;
  try {
    weights = readWeightsFile(new Uint8Array(readFileSync(file)));
  } catch (err) {
    throw new CliError(`--start ${file}: ${(err as Error).message}`);
  }
  if (weights.kind !== 'hpw') throw new CliError(`--start ${file}: a .hpw file (HP matrices) is needed, not .spw`);
  return weights;
}

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    ...pruneFlagSpec,
    epochs: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    warmup: { type: 'string' },
    'weight-decay': { type: 'string' },
    'max-length': { type: 'string' },
    pad: { type: 'string' },
    distill: { type: 'string' },
    'no-distill': { type: 'boolean' },
    alpha: { type: 'string' },
    seed: { type: 'string' },
    unlabelled: { type: 'string' },
    'unlabelled-limit': { type: 'string' },
    holdout: { type: 'string' },
    patience: { type: 'string' },
    'freeze-layernorm': { type: 'boolean' },
    'hidden-mse': { type: 'string' },
    train: { type: 'string' },
    data: { type: 'string' },
    'eval-limit': { type: 'string' },
    baselines: { type: 'boolean' },
    'no-eval': { type: 'boolean' },
    out: { type: 'string' },
    hpw: { type: 'string' },
    report: { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'boolean' },
    start: { type: 'string' },
    'time-limit': { type: 'string' },
  });
  const config = configFromFlags({ ...f, recover: f.recover ?? DEFAULT_FINETUNE_RECOVERY });
  if (!isHPStructured(config.pattern))
    throw new CliError(`--pattern ${config.pattern}: fine-tuning keeps HP-structured masks (hp, tile, vector)`);
  if (f.pad !== undefined && f.pad !== 'longest' && f.pad !== 'max')
    throw new CliError(`--pad must be longest or max, got '${f.pad}'`);
  const noDistill = Boolean(f['no-distill']);
  if (noDistill && f.distill !== undefined) throw new CliError('--distill and --no-distill exclude each other');
  const settings: FineTuneSettings = {
    epochs: numberFlag(f.epochs, 'epochs', D.epochs, 1, 1000, true),
    batchSize: numberFlag(f.batch, 'batch', D.batchSize, 1, 1024, true),
    lr: numberFlag(f.lr, 'lr', D.lr, 1e-9, 1),
    warmup: numberFlag(f.warmup, 'warmup', D.warmup ?? 0, 0, 0.5),
    weightDecay: numberFlag(f['weight-decay'], 'weight-decay', D.weightDecay, 0, 0.999),
    maxLength: numberFlag(f['max-length'], 'max-length', D.maxLength, 2, 512, true),
    pad: (f.pad ?? D.pad) as FineTuneSettings['pad'],
    distill: noDistill
      ? null
      : {
          temperature: numberFlag(f.distill, 'distill', D.distill!.temperature, 1e-3, 100),
          alpha: numberFlag(f.alpha, 'alpha', D.distill!.alpha, 0, 1),
        },
    seed: numberFlag(f.seed, 'seed', D.seed, 0, 2 ** 31, true),
    hiddenMse: numberFlag(f['hidden-mse'], 'hidden-mse', noDistill ? 0 : D.hiddenMse, 0, 1e4),
    trainLayerNorm: !f['freeze-layernorm'],
    holdout: numberFlag(f.holdout, 'holdout', D.holdout, 0, 0.9),
    patience: numberFlag(f.patience, 'patience', D.patience, 0, 1000, true),
  };
  if (f.unlabelled !== undefined && noDistill)
    throw new CliError('--unlabelled sentences train by distillation only: drop --no-distill');
  if (settings.hiddenMse > 0 && noDistill) throw new CliError('--hidden-mse needs distillation: drop --no-distill');
  if (f['unlabelled-limit'] !== undefined && f.unlabelled === undefined)
    throw new CliError('--unlabelled-limit needs --unlabelled PATH');
  if (f.alpha !== undefined && noDistill) throw new CliError('--alpha weighs distillation: drop --no-distill');
  if (f['no-eval'] && f.baselines) throw new CliError('--baselines evaluates: it cannot go with --no-eval');
  try {
    validateSettings(settings);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (f.out !== undefined) outputFile('out', f.out);
  if (f.hpw !== undefined) outputFile('hpw', f.hpw);
  if (f.report !== undefined) outputFile('report', f.report);
  const trainFile = inputFile('train', f.train ?? DEFAULT_TRAIN);
  const devFile = inputFile('data', f.data ?? DEFAULT_DATA);
  const limit = f.limit === undefined ? undefined : numberFlag(f.limit, 'limit', 0, 1, 1e9, true);
  const threads = numberFlag(f.threads, 'threads', 1, 1, 64, true);
  const evalLimit =
    f['eval-limit'] === undefined ? undefined : numberFlag(f['eval-limit'], 'eval-limit', 0, 1, 1e9, true);
  const unlabelledFile = f.unlabelled === undefined ? undefined : inputFile('unlabelled', f.unlabelled);
  const start = f.start === undefined ? undefined : startWeights(inputFile('start', f.start));
  const unlabelledLimit =
    f['unlabelled-limit'] === undefined
      ? undefined
      : numberFlag(f['unlabelled-limit'], 'unlabelled-limit', 0, 1, 1e9, true);

  const file = modelPath(f.model);
  const onnx = await loadModel(file);
  const model = onnx.model;
  const session = new PruneSession(onnx);
  const norms = await loadNorms(f.norms, model, config.score);
  if (norms) session.setInputNorms(norms);
  let pruned: ModelPruneResult;
  try {
    // The masks (and achieved sparsity) are the one-shot ones; recovery changes kept values only.
    pruned = session.prune({ ...config, recovery: undefined });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const startMap = start?.kind === 'hpw' ? new Map(start.file.matrices.map((m) => [m.name, m.hp])) : undefined;
  if (startMap)
    try {
      startMatrices(session.hpMatrices({ ...config, recovery: undefined })!, startMap); // before the GPU
    } catch (err) {
      throw new CliError(`--start ${f.start}: ${(err as Error).message}`);
    }
  if (settings.maxLength > model.config.maxPositions)
    throw new CliError(`--max-length ${settings.maxLength} exceeds the model's ${model.config.maxPositions} positions`);
  const tokenizer = readTokenizer();
  const trainData = readDataset(trainFile);
  const dev = readDataset(devFile);
  const evalLength = manifestMaxLength() ?? 128;
  const unlabelled = unlabelledFile
    ? await reviewFileSentences(unlabelledFile, [devFile, DEFAULT_TEST], unlabelledLimit)
    : [];

  const { device, caps } = await nodeGpu();
  let lastLog = 0;
  let teacherSaid = false;
  const request = {
    pruning: config,
    settings,
    limit,
    modelKey: file,
    modelName: path.basename(file),
    unlabelled: unlabelled.length,
  };
  let heldSaid = 0;
  const experiment = new FineTuneExperiment({ device, caps }, session);
  const result = await experiment.run(request, tokenizer, trainData, {
    profile: Boolean(f.profile),
    unlabelled,
    start: startMap,
    timeLimitMs:
      f['time-limit'] === undefined ? undefined : 1000 * numberFlag(f['time-limit'], 'time-limit', 0, 0.001, 1e7),
    onProgress: (p) => {
      // Progress on stderr (stdout is the JSON), at most twice a second.
      if (p.phase === 'recover') {
        if (p.step === p.totalSteps)
          process.stderr.write(`finetune: kept weights reconstructed (${config.recovery!.kind})\n`);
        return;
      }
      for (; p.heldOut && heldSaid < p.heldOut.length; heldSaid++) {
        const h = p.heldOut[heldSaid];
        process.stderr.write(
          `finetune: held-out train after epoch ${h.epoch}: ` +
            `accuracy ${h.accuracy.toFixed(4)}, loss ${h.loss.toFixed(4)}\n`,
        );
      }
      if (p.phase === 'teacher') {
        if (!teacherSaid) process.stderr.write('finetune: teacher logits (dense model)…\n');
        teacherSaid = true;
        return;
      }
      const t = performance.now();
      if (t - lastLog < 500 && p.step !== p.totalSteps) return;
      lastLog = t;
      const eta = p.etaMs === null ? '' : `, ETA ${(p.etaMs / 1000).toFixed(1)} s`;
      process.stderr.write(
        `finetune: epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}${eta}\n`,
      );
    },
  });

  const written: Record<string, string> = {};
  if (f.out) {
    await writeFile(f.out, result.onnx);
    written.onnx = f.out;
  }
  if (f.hpw) {
    await writeFile(f.hpw, result.hpw);
    written.hpw = f.hpw;
  }
  configureOrt({ threads });
  const accuracyOf = async (bytes: Uint8Array) =>
    (await evaluateOnnx(bytes, tokenizer, dev, { limit: evalLimit, maxLength: evalLength, backend: 'wasm' })).accuracy;
  const accuracy = f['no-eval'] ? null : await accuracyOf(result.onnx);
  const baselines = f.baselines
    ? {
        dense_accuracy: await accuracyOf(onnx.bytes),
        pruned_accuracy_before: await accuracyOf(start ? onnxWithHPW(onnx, start) : session.prunedOnnx(config)),
        ...(result.recovery || start
          ? { one_shot_accuracy: await accuracyOf(session.prunedOnnx({ ...config, recovery: undefined })) }
          : {}),
      }
    : {};
  const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
  const roundAll = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, 3)]));
  const out = {
    model: file,
    adapter: caps.label,
    config,
    achievedSparsity: round(pruned.achievedSparsity, 6),
    settings,
    train_sentences: result.trainSentences,
    labelled_sentences: result.labelledSentences,
    unlabelled_sentences: result.unlabelledSentences,
    ...(f.start ? { start: f.start } : {}),
    ...(result.recovery ? { recovery: { ...result.recovery, ms: Math.round(result.recovery.ms) } } : {}),
    losses: result.losses.map((l) => round(l, 5)),
    held_out: result.heldOut.map((h) => ({ epoch: h.epoch, accuracy: round(h.accuracy), loss: round(h.loss) })),
    best_epoch: result.bestEpoch,
    epochs_run: result.epochsRun,
    ...(result.timeLimited ? { time_limited: true } : {}),
    accuracy,
    ...baselines,
    eval_sentences: evalLimit ? Math.min(evalLimit, dev.texts.length) : dev.texts.length,
    eval_max_length: evalLength,
    steps: result.steps,
    epoch_ms: result.epochMs.map((m) => Math.round(m)),
    teacher_ms: Math.round(result.teacherMs),
    tokens_per_s: Math.round(result.tokensPerSecond),
    mean_padded_seq: round(result.meanSeq, 1),
    ...(result.profile
      ? {
          profile_ms: roundAll(result.profile.gpuMs),
          profile_wall_ms: roundAll(result.profile.wallMs),
          profile_wall_max_ms: roundAll(result.profile.wallMaxMs),
        }
      : {}),
    written,
  };
  if (f.report) await writeFile(f.report, JSON.stringify(out, null, 2) + '\n');
  return out;
}
