// Why the pruned ONNX is as large as the dense model, and where the small file is: ONNX stores
// each initializer densely (the pruned zeros included), the .hpw file only the kept weights in
// the HP layout. Shown beside the download buttons.
import type { PruneReport } from '../../../core/pruning';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function exportSizeNote(report: PruneReport, onnxBytes: number, hpStructured: boolean): string {
  const onnx =
    `The pruned ONNX is about as large as the dense model (${mb(onnxBytes)}): ` +
    'ONNX stores every weight, the pruned zeros included; it runs in any ONNX runtime.';
  const hp32 = report.totalBytes.f32.hp;
  const hp16 = report.totalBytes.f16.hp;
  if (!hpStructured || hp32 === null || hp16 === null) {
    return (
      `${onnx} A file that shrinks with the sparsity is the .hpw, ` +
      'for the HP-structured patterns (hp, tile, vector).'
    );
  }
  const dense = report.totalBytes.f32.dense ?? 0;
  return (
    `${onnx} The .hpw stores only the kept weights in the HP layout: ` +
    `the ${report.matrices.length} pruned matrices take ${mb(hp32)} in f32 (${mb(hp16)} in f16) ` +
    `instead of ${mb(dense)} dense.`
  );
}
