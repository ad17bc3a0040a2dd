// Structural pattern matching on a GraphIndex: linear layers (MatMul/Gemm with a constant 2-D
// weight), LayerNorm (fused or decomposed), and data-flow searches that ignore shape plumbing.
import { attr, type GraphIndex } from './onnx-graph';
import type { NodeProto } from './onnx-proto';

export interface LinearMatch {
  node: NodeProto;
  out: number;
  in: number;
  /** W, row-major out x in. */
  weight: Float32Array;
  bias: Float32Array;
  /** The output tensor after the bias add. */
  output: string;
  weightInit?: string;
  biasInit?: string;
  /** 'WT': the initializer holds Wᵀ (in x out, MatMul / Gemm transB=0); 'W': W itself. */
  layout: 'WT' | 'W';
  /** True when both tensors are float32 initializers that can be rewritten in place. */
  writable: boolean;
}

/** Blocks of 32 x 32 keep reads and writes in cache (a column-by-column walk over a 1200-wide
 *  matrix missed on every write: 4x slower on the shipped model's load). */
export function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c];
    }
  }
  return out;
}

/** The node as a dense layer y = x Wᵀ + b, or null. */
export function matchLinear(g: GraphIndex, node: NodeProto): LinearMatch | null {
  const inputs = node.input ?? [];
  if (node.opType !== 'MatMul' && node.opType !== 'Gemm') return null;
  if (g.isConstant(inputs[0])) return null;
  const b = g.constant(inputs[1]);
  if (!b || b.dims.length !== 2) return null;
  let layout: 'WT' | 'W' = 'WT';
  if (node.opType === 'Gemm') {
    if (
      (attr(node, 'transA')?.i ?? 0) !== 0 ||
      (attr(node, 'alpha')?.f ?? 1) !== 1 ||
      (attr(node, 'beta')?.f ?? 1) !== 1
    )
      return null;
    if ((attr(node, 'transB')?.i ?? 0) === 1) layout = 'W';
  }
  const [r, c] = b.dims;
  const out = layout === 'W' ? r : c;
  const inn = layout === 'W' ? c : r;
  const weight = layout === 'W' ? b.data.slice() : transpose(b.data, r, c);
  let output = node.output![0];
  let biasConst = node.opType === 'Gemm' && inputs[2] ? g.constant(inputs[2]) : null;
  if (node.opType === 'MatMul') {
    for (const add of g.consumersOf(output)) {
      if (add.opType !== 'Add') continue;
      const other = add.input![0] === output ? add.input![1] : add.input![0];
      const c2 = g.constant(other);
      if (c2 && c2.data.length === out) {
        biasConst = c2;
        output = add.output![0];
        break;
      }
    }
  }
  const bias = biasConst
    ? Float32Array.from({ length: out }, (_, i) => biasConst!.data[biasConst!.data.length === 1 ? 0 : i])
    : new Float32Array(out);
  const writable =
    b.direct &&
    !!b.initializer &&
    (!biasConst || (biasConst.direct && !!biasConst.initializer && biasConst.data.length === out));
  return {
    node,
    out,
    in: inn,
    weight,
    bias,
    output,
    weightInit: b.initializer?.name ?? undefined,
    biasInit: biasConst?.initializer?.name ?? undefined,
    layout,
    writable,
  };
}

export interface LayerNormMatch {
  gamma: Float32Array;
  beta: Float32Array;
  /** The tensors gamma and beta are read from (beta absent when the op has none). */
  gammaName: string;
  betaName?: string;
  eps: number;
  output: string;
}

/** LayerNorm over tensor `x`: the LayerNormalization op, or the ReduceMean/Sub/Pow/ReduceMean/
 *  Add(eps)/Sqrt/Div/Mul(gamma)/Add(beta) chain that older opsets export. */
export function matchLayerNorm(g: GraphIndex, x: string): LayerNormMatch | null {
  const consumers = g.consumersOf(x);
  const fused = consumers.find((n) => n.opType === 'LayerNormalization' && n.input![0] === x);
  if (fused) {
    const gamma = g.constant(fused.input![1]);
    const beta = fused.input![2] ? g.constant(fused.input![2]) : null;
    if (!gamma) return null;
    return {
      gamma: gamma.data,
      beta: beta ? beta.data : new Float32Array(gamma.data.length),
      gammaName: fused.input![1],
      betaName: beta ? fused.input![2] : undefined,
      eps: attr(fused, 'epsilon')?.f ?? 1e-5,
      output: fused.output![0],
    };
  }
  const mean = consumers.find((n) => n.opType === 'ReduceMean');
  if (!mean) return null;
  const sub = consumers.find((n) => n.opType === 'Sub' && n.input![1] === mean.output![0]);
  if (!sub) return null;
  const div = g.consumersOf(sub.output![0]).find((n) => n.opType === 'Div');
  if (!div) return null;
  const sqrt = g.producer.get(div.input![1]);
  const epsAdd = sqrt?.opType === 'Sqrt' ? g.producer.get(sqrt.input![0]) : undefined;
  let eps = 0;
  if (epsAdd?.opType === 'Add') eps = g.scalar(epsAdd.input![1]) ?? g.scalar(epsAdd.input![0]) ?? 0;
  const mul = g.consumersOf(div.output![0]).find((n) => n.opType === 'Mul');
  if (!mul) return null;
  const gammaName = mul.input![0] === div.output![0] ? mul.input![1] : mul.input![0];
  const gamma = g.constant(gammaName);
  const add = g.consumersOf(mul.output![0]).find((n) => n.opType === 'Add');
  if (!gamma || !add) return null;
  const betaName = add.input![0] === mul.output![0] ? add.input![1] : add.input![0];
  const beta = g.constant(betaName);
  if (!beta) return null;
  return { gamma: gamma.data, beta: beta.data, gammaName, betaName, eps, output: add.output![0] };
}

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'MatMul', 'Where', 'Concat']);

/** Whether data flows from `tensor` into `node` (not just its shape or an index input). */
function carriesData(node: NodeProto, tensor: string): boolean {
  if (node.opType === 'Shape' || node.opType === 'Size' || node.opType === 'ConstantOfShape') return false;
  const idx = node.input!.indexOf(tensor);
  return idx === 0 || ELEMENTWISE.has(node.opType ?? '');
}

export interface Reached {
  node: NodeProto;
  /** Input index through which the search entered `node`. */
  inputIndex: number;
  /** Op types passed on the way (for checks like "went through Erf"). */
  passed: Set<string>;
  /** Product of scalar Mul / reciprocal Div constants on the way (attention scaling). */
  scale: number;
}

/** Breadth-first search along data flow from `tensor`, stopping at nodes for which `stop` holds
 *  (they are returned, not passed through). Shape plumbing is not followed. */
export function reach(g: GraphIndex, tensor: string, stop: (n: NodeProto) => boolean, maxDepth = 24): Reached[] {
  const found: Reached[] = [];
  const seen = new Set<NodeProto>();
  let frontier: { t: string; passed: Set<string>; scale: number }[] = [{ t: tensor, passed: new Set(), scale: 1 }];
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const next: typeof frontier = [];
    for (const { t, passed, scale } of frontier) {
      for (const n of g.consumersOf(t)) {
        if (!carriesData(n, t) || seen.has(n)) continue;
        seen.add(n);
        if (stop(n)) {
          found.push({ node: n, inputIndex: n.input!.indexOf(t), passed, scale });
          continue;
        }
        let s = scale;
        if (n.opType === 'Mul' || n.opType === 'Div') {
          const other = n.input![0] === t ? n.input![1] : n.input![0];
          const k = g.scalar(other);
          if (k !== null && k !== 0) s = n.opType === 'Mul' ? s * k : s / k;
        }
        const p = new Set(passed).add(n.opType ?? '');
        for (const o of n.output ?? []) next.push({ t: o, passed: p, scale: s });
      }
    }
    frontier = next;
  }
  return found;
}
