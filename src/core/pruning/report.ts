// A JSON-able summary of a pruning run: per-matrix sparsity and bytes in every format, totals
// and compression ratios. The CLI prints it, the worker returns it, the UI charts it.
import type { ValueType } from '../formats/hp';
import {
  compressionRatios,
  storageSizes,
  sumSizes,
  type FormatName,
  type StorageSizes,
} from '../formats/storage-sizes';
import type { ModelPruneResult } from './prune-model';
import type { PruneConfig } from './types';

export interface MatrixReport {
  name: string;
  shape: [number, number];
  targetSparsity: number;
  achievedSparsity: number;
  kept: number;
  params: Record<string, number>;
  bytes: Record<ValueType, StorageSizes>;
}

export interface PruneReport {
  config: PruneConfig;
  achievedSparsity: number;
  kept: number;
  total: number;
  matrices: MatrixReport[];
  totalBytes: Record<ValueType, StorageSizes>;
  /** Dense f32 bytes / format bytes, over all matrices. */
  compression: Record<ValueType, Record<FormatName, number | null>>;
}

/** BCSR is counted on the configured tile (Tr x Tc), the same grid HP and tile-only use. */
export function bcsrBlock(c: PruneConfig): { br: number; bc: number } {
  return { br: c.tr, bc: c.tc };
}

export function pruneReport(result: ModelPruneResult, config: PruneConfig): PruneReport {
  const block = bcsrBlock(config);
  const matrices = result.matrices.map((m): MatrixReport => {
    const input = { out: m.out, in: m.in, mask: m.mask, block, hp: m.hp };
    return {
      name: m.name,
      shape: [m.out, m.in],
      targetSparsity: m.targetSparsity,
      achievedSparsity: m.achievedSparsity,
      kept: m.kept,
      params: m.params,
      bytes: { f32: storageSizes(input, 'f32'), f16: storageSizes(input, 'f16') },
    };
  });
  const totalBytes = {
    f32: sumSizes(matrices.map((m) => m.bytes.f32)),
    f16: sumSizes(matrices.map((m) => m.bytes.f16)),
  };
  const dense = totalBytes.f32.dense!;
  return {
    config,
    achievedSparsity: result.achievedSparsity,
    kept: result.kept,
    total: result.total,
    matrices,
    totalBytes,
    compression: { f32: compressionRatios(totalBytes.f32, dense), f16: compressionRatios(totalBytes.f16, dense) },
  };
}
