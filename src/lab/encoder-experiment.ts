// The whole classifier on the project's WGSL encoder engine: prune (PruneSession), build the
// engine (HP-sparse linears when the pattern allows, dense kernels on the masked weights
// otherwise), measure accuracy through the same evaluateSession ORT's runs go through, and time
// the engine with HP-sparse vs dense linears. "Run on my GPU" (the encoder worker) and
// `hp-lab encoder` both run this.
import type { Dataset } from '../core/data/dataset';
import type { HPMatrix } from '../core/formats/hp';
import type { BertModel } from '../core/model/bert-types';
import type { BertTokenizer } from '../core/model/tokenizer';
import type { PruneConfig } from '../core/pruning';
import type { AcquiredGpu } from '../gpu/adapter';
import { readbackFloor } from '../gpu/readback-floor';
import { createEncoderEngine, type EncoderEngine, type EncoderTiming } from '../gpu/encoder';
import type { WeightPrecision } from '../gpu/kernels';
import type { LayerNormVariant } from '../gpu/encoder/row-ops';
import type { EncoderProfile, ProfileDetail } from '../gpu/encoder/op-profile';
import type { SplitK } from '../gpu/kernels/variant-rule';
import { evaluateSession, type EvalOptions, type EvalResult } from '../eval/accuracy';
import { holdClock, HOLD_CLOCK_MS } from './clock-hold';
import { engineSession } from './engine-session';
import type { PruneSession } from './prune-session';

export interface EncoderRunRequest {
  /** Null: the dense model. */
  pruning: PruneConfig | null;
  limit?: number;
  /** Sentences per engine run (default 32); tokens per sentence (default 128). */
  batch?: number;
  maxLength?: number;
  latency: { batch: number; seq: number; reps?: number };
  /** How the engine stores its linears' weights on the GPU (default f32; f16 halves them). */
  weights?: WeightPrecision;
  /** 'int8': both engines run every linear in W8A8 (int8 codes, activations quantized per token;
   *  the integer model of `hp-lab eval --quant int8`); `weights` must then be f32 (the default). */
  quant?: 'int8';
  /** Also time each kind of op of the latency shape's forward on its own (op-profile.ts), for
   *  the evaluated engine and, where it ran HP, the dense one. */
  profile?: boolean;
}

/** Each kind of op of a forward timed on its own, for the dense and (where it ran) HP engine. */
export interface EncoderRunProfile {
  dense: EncoderProfile;
  hp: EncoderProfile | null;
}

export interface EncoderRunResult {
  adapter: string;
  achievedSparsity: number;
  /** 'hp': the HP kernels ran; 'dense': dense kernels on masked weights (and why). */
  linears: 'hp' | 'dense';
  note?: string;
  accuracy: number;
  correct: number;
  n: number;
  ms: number;
  sentencesPerSecond: number;
  latency: {
    batch: number;
    seq: number;
    denseMs: number;
    hpMs: number | null;
    timing: 'timestamp' | 'wall';
    /** Wall time of one run() of the evaluated engine, back to back: tokens in, logits out. */
    wallMs: number;
    /** A bare 4-byte readback's round trip on this device (gpu/readback-floor.ts): the floor
     *  under wallMs, large in browsers (~3 ms in headless Chromium on an H200). */
    readbackMs: number;
  };
  weights: WeightPrecision;
  /** 'int8' where the linears ran in W8A8. */
  quant?: 'int8';
  /** Bytes of weights (and HP indices) the evaluated engine keeps on the GPU, and its linears' part. */
  weightBytes: number;
  linearWeightBytes: number;
  /** The pruned model as ONNX (absent for the dense model): for onnxruntime-web beside the engine. */
  prunedOnnx?: Uint8Array;
  /** With request.profile. */
  profile?: EncoderRunProfile;
}

/** What the engine is built from for one pruning. */
export interface EngineWeights {
  /** The model whose dense weights the engine uploads (masked when pruned without HP kernels). */
  model: BertModel;
  /** HP matrices by linear name: those linears run the HP kernel. Null: all dense. */
  sparse: Map<string, HPMatrix> | null;
  achievedSparsity: number;
  /** Why the HP kernels did not run, when pruned. */
  note?: string;
}

/** The HP kernel reads four tile rows per vector: Tr must be a multiple of 4. */
export const HP_KERNEL_ROW_MULTIPLE = 4;

/** The rule for which linears the engine runs: HP kernels for HP-structured patterns whose tile
 *  rows fit the kernel, otherwise dense kernels on the masked weights (same numbers, no speedup). */
export function engineWeights(prune: PruneSession, pruning: PruneConfig | null): EngineWeights {
  if (!pruning) return { model: prune.model, sparse: null, achievedSparsity: 0 };
  const achievedSparsity = prune.prune(pruning).achievedSparsity;
  const hp = prune.hpMatrices(pruning);
  if (hp && pruning.tr % HP_KERNEL_ROW_MULTIPLE === 0) return { model: prune.model, sparse: hp, achievedSparsity };
  const note = hp
    ? `tile rows ${pruning.tr} are not a multiple of 4 ` +
      `(the HP kernel's vector width): dense kernels on the masked weights`
    : `pattern '${pruning.pattern}' has no HP structure: dense kernels on the masked weights`;
  return { model: prune.prunedModel(pruning), sparse: null, achievedSparsity, note };
}

export interface EngineSize {
  maxBatch: number;
  maxSeq: number;
  weights?: WeightPrecision;
  /** Attention/FFN output linears fused with residual + LayerNorm (the engine's default when unset). */
  fuseAddLn?: boolean;
  /** 'int8': the linears in W8A8 (the engine's quant option). */
  quant?: 'int8';
  /** Force one variant of the dense / HP linear kernels for every linear (benchmarks: the
   *  engine's denseTile / hpTile options). */
  denseTile?: string;
  hpTile?: string;
  /** The attention kernel's variant (the engine's attention option). */
  attention?: string;
  /** The residual + LayerNorm kernel's variant (the engine's layerNorm option). */
  layerNorm?: LayerNormVariant;
  /** Split-K of the dense output linears (the engine's splitK option). */
  splitK?: SplitK;
  /** Nudge a browser's GPU process while waiting for the logits (the engine's nudgeReadback;
   *  default on in a browser on a hardware adapter). */
  nudgeReadback?: boolean;
}

export class EncoderExperiment {
  constructor(
    private readonly gpu: AcquiredGpu,
    readonly prune: PruneSession,
  ) {}

  get adapter(): string {
    return this.gpu.caps.label;
  }

  /** An engine for `pruning` (null: the dense model), sized for `size`. The caller destroys it. */
  engine(pruning: PruneConfig | null, size: EngineSize): { engine: EncoderEngine; built: EngineWeights } {
    const built = engineWeights(this.prune, pruning);
    const { device, caps } = this.gpu;
    const engine = createEncoderEngine(device, caps, built.model, { sparse: built.sparse, ...size });
    return { engine, built };
  }

  /** Accuracy through the engine: the same tokenize -> batch -> argmax code as ORT's runs. */
  accuracy(
    engine: EncoderEngine,
    tokenizer: BertTokenizer,
    data: Dataset,
    opts: EvalOptions = {},
  ): Promise<EvalResult> {
    return evaluateSession(engineSession(engine), tokenizer, data, opts);
  }

  /** Runs `engine`'s batch x seq forward for `ms`, then on until its GPU time stops moving
   *  (clock-hold.ts holdClock). Returns the chunks' GPU medians, in order. */
  spinUp(engine: EncoderEngine, batch: number, seq: number, ms: number): Promise<number[]> {
    return holdClock(async () => (await engine.time(batch, seq, 10, 0, 250)).msMedian, ms);
  }

  /** Before a timing on a hardware GPU, the engine's own forward for HOLD_CLOCK_MS and on until its
   *  time settles (spinUp), so the figure is the GPU's at its working clock. A software adapter has no
   *  clock to raise and takes seconds a forward: skipped there. */
  async holdClock(engine: EncoderEngine, batch: number, seq: number): Promise<void> {
    if (!this.gpu.caps.isFallbackAdapter) await this.spinUp(engine, batch, seq, HOLD_CLOCK_MS);
  }

  /** Latency of the engine on batch x seq random tokens (GPU timestamps when the adapter has them). */
  latency(engine: EncoderEngine, batch: number, seq: number, reps?: number, warmup?: number): Promise<EncoderTiming> {
    return engine.time(batch, seq, reps, warmup);
  }

  /** GPU time of each kind of op of `engine`'s batch x seq forward, timed on its own (detail: the
   *  leave-out and per-dispatch timings, op-profile.ts). A software adapter takes seconds a forward:
   *  by default 3 timed runs there, 30 on a GPU. */
  profile(
    engine: EncoderEngine,
    batch: number,
    seq: number,
    opts: { reps?: number; warmup?: number } & ProfileDetail = {},
  ): Promise<EncoderProfile> {
    const software = this.gpu.caps.isFallbackAdapter;
    const { reps = software ? 3 : 30, warmup = software ? 1 : 3, ...detail } = opts;
    return engine.profile(batch, seq, reps, warmup, detail);
  }

  /** "Run on my GPU": prune, accuracy through the engine, latency of HP vs dense linears, and
   *  the pruned ONNX for onnxruntime-web beside it. */
  async run(
    req: EncoderRunRequest,
    tokenizer: BertTokenizer,
    data: Dataset,
    opts: Pick<EvalOptions, 'signal' | 'onProgress'> = {},
  ): Promise<EncoderRunResult> {
    const maxLength = req.maxLength ?? 128;
    const batch = req.batch ?? 32;
    const weights = req.weights ?? 'f32';
    if (req.quant === 'int8' && weights !== 'f32')
      throw new RangeError(`int8 runs keep their own int8 codes: weights must be f32, got ${weights}`);
    const quant = req.quant === 'int8' ? { quant: 'int8' as const } : {};
    const size = {
      maxBatch: Math.max(batch, req.latency.batch),
      maxSeq: Math.max(maxLength, req.latency.seq),
      weights,
      ...quant,
    };
    const engines: EncoderEngine[] = [];
    try {
      const { engine, built } = this.engine(req.pruning, size);
      engines.push(engine);
      const r = await this.accuracy(engine, tokenizer, data, { limit: req.limit, batch, maxLength, ...opts });
      const reps = req.latency.reps ?? 30;
      await this.holdClock(engine, req.latency.batch, req.latency.seq);
      const timed = await this.latency(engine, req.latency.batch, req.latency.seq, reps);
      const readbackMs = (await readbackFloor(this.gpu.device, 10)).mapReadMs;
      const ownProfile = req.profile ? await this.profile(engine, req.latency.batch, req.latency.seq) : null;
      let profile: EncoderRunProfile | undefined = ownProfile ? { dense: ownProfile, hp: null } : undefined;
      let denseMs = timed.msMedian;
      let hpMs: number | null = null;
      if (built.sparse) {
        hpMs = timed.msMedian;
        const denseSize = { maxBatch: req.latency.batch, maxSeq: req.latency.seq, weights, ...quant };
        const dense = this.engine(null, denseSize).engine;
        engines.push(dense);
        // The HP timing's wall-time runs, the readback probe and the dense engine's build leave the
        // GPU lightly loaded: without the hold the dense figure can read slow and the speed-up high.
        await this.holdClock(dense, req.latency.batch, req.latency.seq);
        denseMs = (await this.latency(dense, req.latency.batch, req.latency.seq, reps)).msMedian;
        if (ownProfile)
          profile = { dense: await this.profile(dense, req.latency.batch, req.latency.seq), hp: ownProfile };
      }
      return {
        adapter: this.adapter,
        achievedSparsity: built.achievedSparsity,
        linears: built.sparse ? 'hp' : 'dense',
        note: built.note,
        accuracy: r.accuracy,
        correct: r.correct,
        n: r.n,
        ms: r.ms,
        sentencesPerSecond: r.sentencesPerSecond,
        latency: {
          batch: req.latency.batch,
          seq: req.latency.seq,
          denseMs,
          hpMs,
          timing: timed.timing,
          wallMs: timed.runMsMedian,
          readbackMs,
        },
        weights,
        ...quant,
        weightBytes: engine.weightBytes,
        linearWeightBytes: engine.linearWeightBytes,
        prunedOnnx: req.pruning ? this.prune.prunedOnnx(req.pruning) : undefined,
        profile,
      };
    } finally {
      for (const e of engines) e.destroy();
    }
  }
}
