// A model plus a weights file (.hpw or .spw): the file's matrices replace the model's weights of
// the same name (the retrained or recovered values of a pruned model, shipped as a small file on
// top of the dense ONNX). Every matrix must match a prunable linear by name and shape; biases and
// everything else stay the model's.
import { denseMatrices, type WeightsFile } from '../formats/weights-file';
import { prunableLinears, type BertModel, type Linear } from './bert-types';
import type { OnnxBert } from './bert-from-onnx';
import { writeBertOnnx } from './onnx-writer';

export class HPWModelMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HPWModelMismatch';
  }
}

/** The prunable linears with the file's weights (new Linear objects; the model is not modified). */
export function linearsWithHPW(model: BertModel, w: WeightsFile): Linear[] {
  const ext = `.${w.kind}`;
  const byName = new Map(prunableLinears(model).map((l) => [l.name, l]));
  const seen = new Set<string>();
  const replaced: Linear[] = [];
  for (const m of denseMatrices(w)) {
    const lin = byName.get(m.name);
    if (!lin) throw new HPWModelMismatch(`the ${ext} file has a matrix '${m.name}' that this model does not have`);
    if (seen.has(m.name)) throw new HPWModelMismatch(`the ${ext} file has matrix '${m.name}' twice`);
    if (m.out !== lin.out || m.in !== lin.in) {
      throw new HPWModelMismatch(`${ext} matrix '${m.name}' is ${m.out}x${m.in}, the model's is ${lin.out}x${lin.in}`);
    }
    seen.add(m.name);
    replaced.push({ ...lin, weight: m.weight() });
  }
  return replaced;
}

/** The parsed model's ONNX with the weights file's matrices in place: what the app loads as
 *  "retrained" and what `hp-lab eval --hpw` evaluates. Throws HPWModelMismatch. */
export function onnxWithHPW(parsed: OnnxBert, file: WeightsFile): Uint8Array {
  return writeBertOnnx(parsed, linearsWithHPW(parsed.model, file));
}
