// The in-memory shape of a BERT encoder classifier, shared by the loader (core/model),
// pruning (core/pruning), the WGSL encoder engine (gpu/encoder) and the CLI.

/** One dense layer y = x Wᵀ + b. `weight` is W, row-major, out x in (ONNX MatMul stores Wᵀ:
 *  the loader transposes on read and back on write). */
export interface Linear {
  /** Human name, e.g. "layer.0.attention.q". */
  name: string;
  out: number;
  in: number;
  /** W, row-major, `out * in` floats. */
  weight: Float32Array;
  /** `out` floats. */
  bias: Float32Array;
  /** ONNX initializer that holds this weight (for writing a pruned model back). */
  initializer: string;
}

export interface LayerNormParams {
  gamma: Float32Array;
  beta: Float32Array;
}

/** The six prunable matrices of one encoder layer, in a fixed order. */
export const PRUNABLE_KINDS = ['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const;
export type PrunableKind = (typeof PRUNABLE_KINDS)[number];

export interface EncoderLayer extends Record<PrunableKind, Linear> {
  /** LayerNorm after attention (+ residual). */
  ln1: LayerNormParams;
  /** LayerNorm after the FFN (+ residual). */
  ln2: LayerNormParams;
}

export interface BertConfig {
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  maxPositions: number;
  typeVocab: number;
  labels: number;
  layerNormEps: number;
}

export interface BertModel {
  config: BertConfig;
  embeddings: {
    /** vocab x hidden, row-major. */
    word: Float32Array;
    /** maxPositions x hidden. */
    position: Float32Array;
    /** typeVocab x hidden. */
    tokenType: Float32Array;
    ln: LayerNormParams;
  };
  layers: EncoderLayer[];
  /** tanh(pooler(h[CLS])); absent in models exported without a pooler. */
  pooler?: Linear;
  classifier: Linear;
}

/** The prunable matrices in a stable order: layer-major, PRUNABLE_KINDS within a layer. */
export function prunableLinears(model: BertModel): Linear[] {
  return model.layers.flatMap((layer) => PRUNABLE_KINDS.map((kind) => layer[kind]));
}
