// What the UI shows about a loaded model: architecture, the prunable matrices and sizes.
import { prunableLinears, type BertConfig, type BertModel } from './bert-types';

export interface MatrixRow {
  name: string;
  out: number;
  in: number;
  params: number;
}

export interface ModelSummary {
  config: BertConfig;
  /** The prunable matrices, in prunableLinears order. */
  matrices: MatrixRow[];
  prunableParams: number;
  /** All parameters in the file's initializers. */
  totalParams: number;
  fileBytes: number;
  hasPooler: boolean;
  opset: number;
}

export function summarizeBert(model: BertModel, fileBytes: number, totalParams: number, opset: number): ModelSummary {
  const matrices = prunableLinears(model).map((l) => ({ name: l.name, out: l.out, in: l.in, params: l.out * l.in }));
  return {
    config: model.config,
    matrices,
    prunableParams: matrices.reduce((a, m) => a + m.params, 0),
    totalParams,
    fileBytes,
    hasPooler: !!model.pooler,
    opset,
  };
}

/** Every distinct ArrayBuffer behind the model's arrays (for a transfer list). */
export function bertBuffers(model: BertModel): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  const add = (a?: Float32Array) => a && set.add(a.buffer as ArrayBuffer);
  const e = model.embeddings;
  [e.word, e.position, e.tokenType, e.ln.gamma, e.ln.beta].forEach(add);
  for (const layer of model.layers) {
    [layer.ln1.gamma, layer.ln1.beta, layer.ln2.gamma, layer.ln2.beta].forEach(add);
  }
  for (const l of [...prunableLinears(model), model.classifier, ...(model.pooler ? [model.pooler] : [])]) {
    add(l.weight);
    add(l.bias);
  }
  return [...set];
}
