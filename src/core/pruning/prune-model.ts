// All prunable matrices of a model under one config: uniform or per-group (attention vs FFN).
import { PRUNABLE_KINDS, type BertModel } from '../model/bert-types';
import { prunableLinears } from '../model/bert-types';
import { pruneMatrix } from './prune-matrix';
import type { MatrixGroup, MatrixInput, MatrixPruneResult, PruneConfig } from './types';

export interface ModelPruneResult {
  matrices: MatrixPruneResult[];
  /** Over all pruned matrices: 1 - kept / total. */
  achievedSparsity: number;
  kept: number;
  total: number;
}

export function groupOfKind(kind: (typeof PRUNABLE_KINDS)[number]): MatrixGroup {
  return kind === 'ffnIn' || kind === 'ffnOut' ? 'ffn' : 'attention';
}

/** The model's 24 (layers x 6) matrices as pruning inputs, in prunableLinears order. */
export function matrixInputs(model: BertModel, inputNorms?: Float32Array[]): MatrixInput[] {
  const linears = prunableLinears(model);
  if (inputNorms && inputNorms.length !== linears.length) {
    throw new RangeError(`got ${inputNorms.length} input-norm vectors for ${linears.length} matrices`);
  }
  return linears.map((l, i) => ({
    name: l.name,
    out: l.out,
    in: l.in,
    weight: l.weight,
    inputNorms: inputNorms?.[i],
    group: groupOfKind(PRUNABLE_KINDS[i % PRUNABLE_KINDS.length]),
  }));
}

export function pruneMatrices(inputs: MatrixInput[], config: PruneConfig): ModelPruneResult {
  const matrices = inputs.map((m) => pruneMatrix(m, config));
  let kept = 0;
  let total = 0;
  for (const r of matrices) {
    kept += r.kept;
    total += r.out * r.in;
  }
  return { matrices, kept, total, achievedSparsity: total ? 1 - kept / total : 0 };
}
