// A random BertModel of any shape (seeded), plus random padded batches, for the encoder
// engine and reference-forward tests. Scales keep activations in BERT's usual range.
import {
  PRUNABLE_KINDS,
  type BertConfig,
  type BertModel,
  type EncoderLayer,
  type Linear,
} from '../../src/core/model/bert-types';
import type { EncoderBatch } from '../../src/core/model/reference-forward';
import { randomArray, rng } from '../../src/core/random';

export { rng };

function linear(rand: () => number, name: string, out: number, inn: number): Linear {
  return {
    name,
    out,
    in: inn,
    weight: randomArray(out * inn, rand, (1 / Math.sqrt(inn)) * 1.7),
    bias: randomArray(out, rand, 0.1),
    initializer: `${name}.weight`,
  };
}

export const TINY_CONFIG: BertConfig = {
  layers: 2,
  hidden: 24,
  heads: 3,
  ffn: 40,
  vocab: 50,
  maxPositions: 32,
  typeVocab: 2,
  labels: 2,
  layerNormEps: 1e-12,
};

export function randomBertModel(config: Partial<BertConfig> = {}, seed = 1, withPooler = true): BertModel {
  const c = { ...TINY_CONFIG, ...config };
  const rand = rng(seed);
  const ln = () => ({
    gamma: Float32Array.from(randomArray(c.hidden, rand, 0.2), (v) => 1 + v),
    beta: randomArray(c.hidden, rand, 0.1),
  });
  const layers: EncoderLayer[] = [];
  for (let l = 0; l < c.layers; l++) {
    const dims: Record<(typeof PRUNABLE_KINDS)[number], [number, number]> = {
      q: [c.hidden, c.hidden],
      k: [c.hidden, c.hidden],
      v: [c.hidden, c.hidden],
      attnOut: [c.hidden, c.hidden],
      ffnIn: [c.ffn, c.hidden],
      ffnOut: [c.hidden, c.ffn],
    };
    const layer = { ln1: ln(), ln2: ln() } as EncoderLayer;
    for (const kind of PRUNABLE_KINDS) layer[kind] = linear(rand, `layer.${l}.${kind}`, ...dims[kind]);
    layers.push(layer);
  }
  return {
    config: c,
    embeddings: {
      word: randomArray(c.vocab * c.hidden, rand, 1),
      position: randomArray(c.maxPositions * c.hidden, rand, 0.5),
      tokenType: randomArray(c.typeVocab * c.hidden, rand, 0.5),
      ln: ln(),
    },
    layers,
    pooler: withPooler ? linear(rand, 'pooler', c.hidden, c.hidden) : undefined,
    classifier: linear(rand, 'classifier', c.labels, c.hidden),
  };
}

/** B sequences with random lengths in [1, seq] (the first always full), right-padded with id 0. */
export function randomBatch(
  model: BertModel,
  batch: number,
  seq: number,
  seed = 7,
): EncoderBatch & { inputIds: Int32Array; attentionMask: Int32Array; tokenTypeIds: Int32Array } {
  const rand = rng(seed);
  const n = batch * seq;
  const inputIds = new Int32Array(n);
  const attentionMask = new Int32Array(n);
  const tokenTypeIds = new Int32Array(n);
  for (let b = 0; b < batch; b++) {
    const len = b === 0 ? seq : 1 + Math.floor(rand() * seq);
    const split = Math.floor(len / 2);
    for (let i = 0; i < len; i++) {
      inputIds[b * seq + i] = Math.floor(rand() * model.config.vocab);
      attentionMask[b * seq + i] = 1;
      tokenTypeIds[b * seq + i] = i >= split && model.config.typeVocab > 1 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batch, seq };
}
