// hp-lab eval: accuracy of a BERT ONNX classifier on a labelled dataset with onnxruntime-web's
// wasm backend (the same code path as the app's eval worker, minus WebGPU).
import { parseFlags, numberFlag } from '../args';
import { CliError } from '../cli-error';
import { inputFile, outputFile } from '../paths';
import { readFileSync, writeFileSync } from 'node:fs';
import { readWeightsFile, type WeightsFile } from '../../core/formats/weights-file';
import { onnxWithHPW } from '../../core/model/apply-hpw';
import { parseBertOnnx } from '../../core/model/bert-from-onnx';
import { isModelLoadError } from '../../core/model/model-error';
import { evaluateSession } from '../../eval/accuracy';
import { configureOrt, createBertSession } from '../../eval/ort-session';
import {
  DEFAULT_DATA,
  DEFAULT_TOKENIZER,
  defaultModelPath,
  manifestMaxLength,
  readDataset,
  readModelBytes,
  readTokenizer,
} from '../../eval/node-assets';
import { quantAccuracy } from '../../lab/quant-accuracy';
import {
  ACTIVATION_QUANTS,
  DEFAULT_INT8_SCALE,
  INT8_SCALES,
  type ActivationQuant,
  type Int8Scale,
  type QuantBits,
} from '../../core/quant';
import type { HPMatrix } from '../../core/formats/hp';
import { DEFAULT_CALIBRATION_SENTENCES } from '../../core/pruning/calibration';
import { configFromFlags, pruneFlagSpec } from '../prune-flags';
import { needsRecovery, PruneSession } from '../../lab/prune-session';
import { DEFAULT_CALIBRATION_DATA, recoverInSession } from '../calibration';
import { stderrProgress } from '../progress';

export const usage =
  `hp-lab eval [--model M.onnx] [--hpw W.hpw|W.spw] [--data D.jsonl|.csv] [--tokenizer T.json] ` +
  `[--limit N | --quick N] [--batch B] [--max-length L] [--threads T]
  Accuracy of a BERT classifier (ONNX) on a labelled dataset with onnxruntime-web (wasm).
  --quick N: on the page's quick sample of N sentences (stratified by label and length, fixed seed)
  instead of the first --limit ones.
  --hpw: the model with that file's matrices in place of its own (a pruned model shipped as
  dense ONNX + .hpw, e.g. public/models/retrained/*.hpw; a .spw file, for patterns HP's format
  cannot hold, such as unstructured, is taken the same way).
  Defaults: the shipped model (public/models), ${DEFAULT_DATA}, ${DEFAULT_TOKENIZER}, batch 32,
  max length from public/models/manifest.json (else 128), 1 thread (--recover: --threads T for the
  reconstruction too, default the cores, at most 4). ` +
  `Prints {accuracy, correct, n, ms, sentences_per_s, backend, ...}.
  --quant int8|int16   also measure the integer model (W8A8 / W16A16: weights per output channel; the
                       encoder's 24 linears in integer arithmetic, plain TypeScript on the CPU) and print
                       it beside the f32 accuracy of the same model: {accuracy (integer), f32_accuracy,
                       delta, agreement, ...}. Slow: about a minute per 100 sentences; progress on stderr.
  --int8-attention on|off   with --quant int8: the attention in integer arithmetic too (Q per token, K
                       per sequence and head, V per channel, softmax codes 0..127; core/quant
                       int-attention.ts); default off
  --int8-scale row|read|read-out   dynamic activations: each token's scale over its whole row, or over
                       the columns the next HP linear reads (its kept columns; the others' codes 0),
                       or that at the attention output's and FFN-out's inputs alone;
                       default ${DEFAULT_INT8_SCALE}
  --save-logits F      with --quant: write the integer model's logits (dataset order) to F, as hp-lab
                       encoder --save-logits does the engine's ({rows: {int8: {logits}}})
  --activations dynamic|static   per-token ranges at run time (default), or one range per linear
                       calibrated on --calibration (default ${DEFAULT_CALIBRATION_DATA}, first
                       --calibration-limit ${DEFAULT_CALIBRATION_SENTENCES} sentences; never dev/test)
  --pattern P --sparsity S [--tile --split --recover ...]   prune first (hp-lab prune's flags), then evaluate
  --vs-dense           with --pattern or --hpw: also run the dense model on the same sentences and print how
                       closely the pruned one follows it (labels not needed): {agreement, kl (mean KL(dense ||
                       pruned) of the class probabilities, nats)}`;

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseFlags(argv, {
    hpw: { type: 'string' },
    data: { type: 'string' },
    tokenizer: { type: 'string' },
    limit: { type: 'string' },
    quick: { type: 'string' },
    batch: { type: 'string' },
    'max-length': { type: 'string' },
    quant: { type: 'string' },
    activations: { type: 'string' },
    'int8-attention': { type: 'string' },
    'int8-scale': { type: 'string' },
    'save-logits': { type: 'string' },
    calibration: { type: 'string' },
    'calibration-limit': { type: 'string' },
    'vs-dense': { type: 'boolean' },
    ...pruneFlagSpec, // prune before evaluating (its --model is this command's)
  });
  const limit = values.limit === undefined ? undefined : numberFlag(values.limit, 'limit', 0, 1, 1e9, true);
  const quick = values.quick === undefined ? undefined : numberFlag(values.quick, 'quick', 0, 1, 1e9, true);
  if (quick !== undefined && (limit !== undefined || values.quant))
    throw new CliError('--quick picks its own sentences: it does not go with --limit or --quant');
  const batch = numberFlag(values.batch, 'batch', 32, 1, 4096, true);
  const maxLength = numberFlag(values['max-length'], 'max-length', manifestMaxLength() ?? 128, 2, 512, true);
  const threads = numberFlag(values.threads, 'threads', 1, 1, 64, true);
  const quant = values.quant ?? 'f32';
  if (!['f32', 'int8', 'int16'].includes(quant))
    throw new CliError(`--quant must be f32, int8 or int16, got '${quant}'`);
  const activations = (values.activations ?? 'dynamic') as ActivationQuant;
  if (!ACTIVATION_QUANTS.includes(activations))
    throw new CliError(`--activations must be ${ACTIVATION_QUANTS.join(' or ')}, got '${values.activations}'`);
  const int8Attention = values['int8-attention'] ?? 'off';
  if (!['on', 'off'].includes(int8Attention))
    throw new CliError(`--int8-attention must be on or off, got '${int8Attention}'`);
  if (int8Attention === 'on' && quant !== 'int8') throw new CliError('--int8-attention on needs --quant int8');
  if (values['save-logits'] !== undefined) {
    if (quant === 'f32') throw new CliError('--save-logits goes with --quant int8|int16');
    outputFile('save-logits', values['save-logits']);
  }
  const scale = (values['int8-scale'] ?? DEFAULT_INT8_SCALE) as Int8Scale;
  if (!INT8_SCALES.includes(scale))
    throw new CliError(`--int8-scale must be ${INT8_SCALES.join(' or ')}, got '${values['int8-scale']}'`);
  const calibration = values.calibration ?? DEFAULT_CALIBRATION_DATA;
  if (/\b(dev|test)\.jsonl$/.test(calibration))
    throw new CliError(
      `refusing to calibrate on ${calibration}: use train sentences (evaluation data must stay unseen)`,
    );
  const calibrationLimit = numberFlag(
    values['calibration-limit'],
    'calibration-limit',
    DEFAULT_CALIBRATION_SENTENCES,
    1,
    100_000,
    true,
  );
  try {
    const modelPath = values.model !== undefined ? inputFile('model', values.model) : defaultModelPath();
    if (values.hpw !== undefined) inputFile('hpw', values.hpw);
    if (values.data !== undefined) inputFile('data', values.data);
    if (values.tokenizer !== undefined) inputFile('tokenizer', values.tokenizer);
    let parsed = parseBertOnnx(readModelBytes(modelPath)); // validates: clear errors before ORT sees the file
    const denseBytes = parsed.bytes;
    let bytes = parsed.bytes;
    let pruned: { config: unknown; achievedSparsity: number; recovery?: object } | undefined;
    // HP arrays of the pruned linears, by name: the integer model runs from them (same result, less work).
    let hp: Map<string, HPMatrix> | undefined;
    if (values.hpw) {
      if (values.pattern !== undefined || values.sparsity !== undefined)
        throw new CliError('--hpw and --pattern/--sparsity exclude each other');
      const weights = readHpwFlag(values.hpw);
      bytes = withHPW(parsed, weights, values.hpw);
      parsed = parseBertOnnx(bytes);
      if (weights.kind === 'hpw') hp = new Map(weights.file.matrices.map((m) => [m.name, m.hp]));
    } else if (values.pattern !== undefined || values.sparsity !== undefined) {
      const config = configFromFlags(values);
      if (config.score === 'activation')
        throw new CliError('eval prunes with --score magnitude only; prune with hp-lab prune --out and pass --model');
      const session = new PruneSession(parsed);
      // --recover K: as hp-lab prune (its summary, CPU time included, printed with the result)
      const recovery = needsRecovery(config)
        ? await recoverInSession(session, config, values['calib-data'], values.threads)
        : undefined;
      bytes = session.prunedOnnx(config);
      parsed = parseBertOnnx(bytes);
      pruned = {
        config,
        achievedSparsity: session.prune(config).achievedSparsity,
        ...(recovery ? { recovery: { ...recovery, ms: Math.round(recovery.ms) } } : {}),
      };
      hp = session.hpMatrices(config) ?? undefined;
    }
    const tokenizer = readTokenizer(values.tokenizer);
    const data = readDataset(values.data ?? DEFAULT_DATA);
    if (maxLength > parsed.model.config.maxPositions)
      throw new CliError(`--max-length ${maxLength} exceeds the model's ${parsed.model.config.maxPositions} positions`);
    if (values['vs-dense'] && bytes === denseBytes)
      throw new CliError('--vs-dense compares a pruned model (--pattern or --hpw) with the dense one');
    configureOrt({ threads });
    const fidelity = values['vs-dense']
      ? await (async () => {
          const dense = await createBertSession(denseBytes, { backend: 'wasm' });
          try {
            return await evaluateSession(dense, tokenizer, data, { limit, quick, batch, maxLength, keepLogits: true });
          } finally {
            await dense.release();
          }
        })()
      : undefined;
    const session = await createBertSession(bytes, { backend: 'wasm' });
    try {
      const r = await evaluateSession(session, tokenizer, data, {
        limit,
        quick,
        batch,
        maxLength,
        keepLogits: !!fidelity,
      });
      const common = {
        threads,
        batch,
        max_length: maxLength,
        model: modelPath,
        ...(values.hpw ? { hpw: values.hpw } : {}),
        data: values.data ?? DEFAULT_DATA,
        ...(pruned ? { pruned } : {}),
        ...(fidelity ? { vs_dense: { dense_accuracy: fidelity.accuracy, ...followsDense(fidelity, r) } } : {}),
        config: parsed.model.config,
      };
      if (quant !== 'f32') {
        const bits: QuantBits = quant === 'int8' ? 8 : 16;
        const q = await quantAccuracy(parsed.model, tokenizer, data, {
          bits,
          activations,
          attention: int8Attention === 'on' ? 'int8' : 'f32',
          scale,
          limit,
          keepLogits: values['save-logits'] !== undefined,
          batch,
          maxLength,
          hp,
          calibrationTexts:
            activations === 'static' ? readDataset(calibration).texts.slice(0, calibrationLimit) : undefined,
          onProgress: stderrProgress(`${quant} ${activations}`),
          onPhase: (p) => process.stderr.write(`${p}\n`),
        });
        const qr = q.result;
        if (values['save-logits'] !== undefined)
          writeFileSync(
            values['save-logits'],
            JSON.stringify({ scale, max_length: maxLength, rows: { [quant]: { logits: Array.from(qr.logits!) } } }),
          );
        let agree = 0;
        for (let i = 0; i < qr.n; i++) agree += Number(qr.predictions[i] === r.predictions[i]);
        return {
          quant,
          weights: 'symmetric, per output channel',
          activations:
            activations === 'static'
              ? `static (one range per linear, max |x| over ${q.calibrationSentences} sentences of ${calibration})`
              : 'dynamic (per token)',
          ...(activations === 'dynamic' ? { int8_scale: scale } : {}),
          attention: int8Attention === 'on' ? 'int8 (int-attention.ts)' : 'f32',
          accuracy: qr.accuracy,
          correct: qr.correct,
          n: qr.n,
          f32_accuracy: r.accuracy,
          delta: qr.accuracy - r.accuracy,
          agreement: qr.n ? agree / qr.n : 0,
          ms: Math.round(qr.ms),
          f32_ms: Math.round(r.ms),
          backend: qr.backend,
          f32_backend: r.backend,
          ...common,
        };
      }
      return {
        accuracy: r.accuracy,
        correct: r.correct,
        n: r.n,
        ms: Math.round(r.ms),
        sentences_per_s: Math.round(r.sentencesPerSecond * 10) / 10,
        backend: r.backend,
        ...common,
      };
    } finally {
      await session.release();
    }
  } catch (err) {
    if (isModelLoadError(err)) throw new CliError((err as Error).message);
    throw err;
  }
}

/** How closely `r` follows the dense model's results `d` (both with logits, same sentences):
 *  the share of equal predictions and the mean KL(dense || pruned) of the softmax. */
function followsDense(
  d: { predictions: Int32Array; logits?: Float32Array; n: number },
  r: { predictions: Int32Array; logits?: Float32Array },
): { agreement: number; kl: number } {
  const classes = d.n ? d.logits!.length / d.n : 0;
  const softmax = (l: Float32Array, i: number) => {
    const row = Array.from(l.subarray(i * classes, (i + 1) * classes));
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  let agree = 0;
  let kl = 0;
  for (let i = 0; i < d.n; i++) {
    agree += Number(d.predictions[i] === r.predictions[i]);
    const p = softmax(d.logits!, i);
    const q = softmax(r.logits!, i);
    for (let c = 0; c < classes; c++) if (p[c] > 0) kl += p[c] * Math.log(p[c] / Math.max(q[c], 1e-30));
  }
  return { agreement: d.n ? agree / d.n : 0, kl: d.n ? kl / d.n : 0 };
}

function readHpwFlag(file: string): WeightsFile {
  try {
    return readWeightsFile(new Uint8Array(readFileSync(file)));
  } catch (err) {
    throw new CliError(`--hpw ${file}: ${(err as Error).message}`);
  }
}

function withHPW(parsed: ReturnType<typeof parseBertOnnx>, hpw: WeightsFile, file: string): Uint8Array {
  try {
    return onnxWithHPW(parsed, hpw);
  } catch (err) {
    throw new CliError(`--hpw ${file}: ${(err as Error).message}`);
  }
}
