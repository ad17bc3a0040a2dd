// Measures this machine's CPU (the page's CPU worker; Node too): the project's dense and
// HP-sparse linear kernels (TypeScript, JIT-compiled) on the TinyBERT matrix shapes at the
// current pruning configuration.
import { measureCpuLinear, type CpuLinearMeasurement } from '../core/cpu/measure';
import { pruneMatrix, type PruneConfig } from '../core/pruning';

export interface CpuMeasureRequest {
  shapes: Array<{ name: string; out: number; in: number }>;
  tokens: number;
  reps: number;
  /** HP configuration (pattern forced to 'hp'); weights are random: speed does not depend on values. */
  config: PruneConfig;
}

export type CpuShapeMeasurement = CpuLinearMeasurement & { name: string };

export class CpuBench {
  measure(req: CpuMeasureRequest, onProgress?: (done: number, total: number) => void): CpuShapeMeasurement[] {
    const results: CpuShapeMeasurement[] = [];
    for (const [i, shape] of req.shapes.entries()) {
      const weight = Float32Array.from({ length: shape.out * shape.in }, (_, j) => Math.sin(j * 78.233) * 0.1);
      const matrix = { name: shape.name, out: shape.out, in: shape.in, weight };
      const pruned = pruneMatrix(matrix, { ...req.config, pattern: 'hp', score: 'magnitude' });
      if (!pruned.hp) throw new Error('HP pruning returned no HP matrix');
      results.push({ name: shape.name, ...measureCpuLinear(pruned.hp, weight, req.tokens, req.reps) });
      onProgress?.(i + 1, req.shapes.length);
    }
    return results;
  }
}
