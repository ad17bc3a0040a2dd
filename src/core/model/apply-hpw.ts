// A model plus an .hpw file: the file's HP matrices replace the model's weights of the same
// name (the retrained or recovered values of a pruned model, shipped as a small file on top of
// the dense ONNX). Every matrix must match a prunable linear by name and shape; biases and
// everything else stay the model's.
import { decodeHP } from '../formats/hp';
import type { HPWFile } from '../formats/hpw';
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
export function linearsWithHPW(model: BertModel, file: HPWFile): Linear[] {
  const byName = new Map(prunableLinears(model).map((l) => [l.name, l]));
  const seen = new Set<string>();
  const replaced: Linear[] = [];
  for (const { name, hp } of file.matrices) {
    const lin = byName.get(name);
    if (!lin) throw new HPWModelMismatch(`the .hpw file has a matrix '${name}' that this model does not have`);
    if (seen.has(name)) throw new HPWModelMismatch(`the .hpw file has matrix '${name}' twice`);
    if (hp.out !== lin.out || hp.in !== lin.in) {
      throw new HPWModelMismatch(`.hpw matrix '${name}' is ${hp.out}x${hp.in}, the model's is ${lin.out}x${lin.in}`);
    }
    seen.add(name);
    replaced.push({ ...lin, weight: decodeHP(hp) });
  }
  return replaced;
}

/** The parsed model's ONNX with the .hpw file's matrices in place: what the app loads as
 *  "retrained" and what `hp-lab eval --hpw` evaluates. Throws HPWModelMismatch. */
export function onnxWithHPW(parsed: OnnxBert, hpw: HPWFile): Uint8Array {
  return writeBertOnnx(parsed, linearsWithHPW(parsed.model, hpw));
}
