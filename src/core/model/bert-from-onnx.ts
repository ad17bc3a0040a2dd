// Recognises a BERT encoder classifier in an ONNX graph by its structure, not its tensor names:
// embedding Gathers -> LayerNorm -> per layer {three MatMuls fed by one tensor (Q, K, V), the
// attention output MatMul, residual + LayerNorm, FFN in -> Erf/Gelu -> FFN out, residual +
// LayerNorm} -> optional pooler (Tanh) -> classifier. Produces a BertModel (bert-types.ts).
import type { BertConfig, BertModel, EncoderLayer, Linear, LayerNormParams } from './bert-types';
import { GraphIndex } from './onnx-graph';
import {
  decodeModel,
  toNumber,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-proto';
import { matchLayerNorm, matchLinear, reach, type LinearMatch, type LayerNormMatch } from './graph-walk';
import { ModelLoadError } from './model-error';
import { checkTensor, rawDataOffset } from './onnx-tensor';
import { checkFiniteWeights } from './finite-weights';

/** More parameters than this will not fit a browser tab next to an ORT session. */
export const MAX_PARAMS = 150_000_000;

/** Where a Linear lives in the file, for writing modified weights back. */
export interface LinearSite {
  weightInit?: string;
  biasInit?: string;
  layout: 'WT' | 'W';
  writable: boolean;
  /** Byte offsets of the float32 raw_data of the weight / bias inside the file, when the writer
   *  can patch them in place (plain data: survives structured clone to another worker). */
  weightOffset?: number;
  biasOffset?: number;
}

/** Where a layer's LayerNorm gamma or beta lives: a float32 initializer (patched in place when
 *  `offset` is known), or undefined when it is not one (a Constant node: not writable). */
export interface TensorSite {
  init: string;
  offset?: number;
}

export interface OnnxBert {
  model: BertModel;
  /** The ONNX file as loaded (kept: pruned variants are written by patching a copy). */
  bytes: Uint8Array;
  proto: ModelProto;
  /** Keyed by Linear.name. */
  sites: Map<string, LinearSite>;
  /** Per layer, where ln1's and ln2's gamma and beta live (for writing trained values back). */
  lnSites: { ln1: { gamma?: TensorSite; beta?: TensorSite }; ln2: { gamma?: TensorSite; beta?: TensorSite } }[];
  /** Graph input names the runtime must feed. */
  inputs: { inputIds: string; attentionMask: string; tokenTypeIds?: string };
  /** The logits output. */
  output: string;
  opset: number;
  params: number;
}

const notBert = (why: string, detail?: string) =>
  new ModelLoadError('not-bert', `This ONNX model is not a BERT encoder classifier: ${why}.`, detail);

/** Erf: exact GELU decomposed; Tanh: the approximate one; the rest are fused forms. */
const GELU_OPS = new Set(['Erf', 'Gelu', 'FastGelu', 'BiasGelu', 'Tanh']);

const isDynamicMatMul = (g: GraphIndex) => (n: NodeProto) =>
  n.opType === 'MatMul' && !g.isConstant(n.input![1]) && !g.isConstant(n.input![0]);

function findInput(g: GraphIndex, proto: ModelProto, name: string, required: boolean): string | undefined {
  const vi = proto.graph!.input!.find((v) => v.name === name);
  if (!vi || !g.inputs.includes(name)) {
    if (!required) return undefined;
    throw new ModelLoadError(
      'missing-input',
      `The model has no '${name}' input. ` +
        `This app feeds input_ids, attention_mask and token_type_ids (int64), as Hugging Face exports do.`,
      `inputs: ${g.inputs.join(', ')}`,
    );
  }
  const elem = vi.type?.tensorType?.elemType;
  if (elem !== undefined && elem !== null && elem !== 7) {
    throw new ModelLoadError(
      'missing-input',
      `The model's '${name}' input is not int64 (type ${elem}); export it with int64 token inputs.`,
    );
  }
  return name;
}

/** The tensor a Gather's indices come from, seen through Cast/Identity. */
function indexSource(g: GraphIndex, t: string): string {
  let cur = t;
  for (let i = 0; i < 4; i++) {
    const p = g.producer.get(cur);
    if (!p || (p.opType !== 'Cast' && p.opType !== 'Identity')) break;
    cur = p.input![0];
  }
  return cur;
}

function toLinear(name: string, m: LinearMatch): Linear {
  return { name, out: m.out, in: m.in, weight: m.weight, bias: m.bias, initializer: m.weightInit ?? '' };
}

const ln = (m: LayerNormMatch): LayerNormParams => ({ gamma: m.gamma, beta: m.beta });

interface Embeddings {
  word: Float32Array;
  position: Float32Array;
  tokenType: Float32Array;
  vocab: number;
  hidden: number;
  maxPositions: number;
  typeVocab: number;
  ln: LayerNormMatch;
}

/** Word vectors may be stored quantised and dequantised after the lookup: Gather(int8) ->
 *  DequantizeLinear (per tensor), or Gather(int8|fp16) -> Cast [-> Mul by Gather(per-row scale)].
 *  Returns the dequantised table and the tensor that carries the looked-up vectors. */
function dequantisedLookup(
  g: GraphIndex,
  lookup: NodeProto,
  inputIds: string,
): { table: Float32Array; output: string } {
  const table = g.constant(lookup.input![0])!;
  let out = lookup.output![0];
  let data = table.data;
  const next = (op: string) => g.consumersOf(out).find((n) => n.opType === op);
  const deq = next('DequantizeLinear');
  if (deq) {
    const s = g.constant(deq.input![1]);
    const z = deq.input![2] ? g.constant(deq.input![2]) : null;
    if (!s || s.data.length !== 1)
      throw notBert('the word embedding is dequantised per channel after the lookup, which is not supported');
    const zero = z ? z.data[0] : 0;
    const scale = s.data[0];
    const table = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) table[i] = (data[i] - zero) * scale;
    return { table, output: deq.output![0] };
  }
  const cast = next('Cast');
  if (!cast) return { table: data, output: out };
  out = cast.output![0];
  const mul = next('Mul');
  const other = mul ? (mul.input![0] === out ? mul.input![1] : mul.input![0]) : undefined;
  const scaleLookup = other ? g.producer.get(other) : undefined;
  if (mul && scaleLookup?.opType === 'Gather' && indexSource(g, scaleLookup.input![1]) === inputIds) {
    const scale = g.constant(scaleLookup.input![0]);
    const [rows, cols] = table.dims;
    if (!scale || scale.data.length !== rows)
      throw notBert('the word embedding scale table does not have one scale per row');
    // A plain loop, row by row: Float32Array.map with a closure per element cost ~0.4 s of the
    // shipped model's 1.3 s parse (9.5 M embedding values).
    const scaled = new Float32Array(data.length);
    for (let r = 0; r < rows; r++) {
      const k = scale.data[r];
      for (let i = r * cols; i < (r + 1) * cols; i++) scaled[i] = data[i] * k;
    }
    data = scaled;
    out = mul.output![0];
  }
  return { table: data, output: out };
}

function matchEmbeddings(g: GraphIndex, inputIds: string, tokenTypeIds: string | undefined): Embeddings {
  // Table lookups: Gather (by ids) or Slice (positions 0..seq-1) of a constant 2-D table.
  const lookups = g.nodes.filter(
    (n) => (n.opType === 'Gather' || n.opType === 'Slice') && (g.constant(n.input![0])?.dims.length ?? 0) === 2,
  );
  const width = (n: NodeProto) => g.constant(n.input![0])!.dims[1];
  const byIds = lookups.filter((n) => n.opType === 'Gather' && indexSource(g, n.input![1]) === inputIds);
  // The widest table read by input_ids is the word table (a per-row scale table is 1 wide).
  const word = byIds.sort((a, b) => width(b) - width(a))[0];
  if (!word) throw notBert('no embedding lookup (Gather) reads input_ids');
  const hidden = width(word);
  const typeNode = tokenTypeIds
    ? lookups.find((n) => n.opType === 'Gather' && indexSource(g, n.input![1]) === tokenTypeIds)
    : undefined;
  const words = dequantisedLookup(g, word, inputIds);
  // Sum of the lookups: follow Adds from the word vectors until a LayerNorm starts.
  let sum = words.output;
  let norm: LayerNormMatch | null = null;
  const summed = new Set<NodeProto>();
  for (let i = 0; i < 4 && !norm; i++) {
    const add = g.consumersOf(sum).find((n) => n.opType === 'Add');
    if (!add) break;
    summed.add(add);
    sum = add.output![0];
    norm = matchLayerNorm(g, sum);
  }
  if (!norm) throw notBert('the embedding sum is not followed by a LayerNorm');
  // Position table: another lookup of the model width whose result joins the same sum.
  const feedsSum = (n: NodeProto) => reach(g, n.output![0], (m) => summed.has(m), 4).length > 0;
  const posNode = lookups.find((n) => !byIds.includes(n) && n !== typeNode && width(n) === hidden && feedsSum(n));
  if (!posNode) throw notBert('no position embedding table joins the embedding sum');
  const wordTable = g.constant(word.input![0])!;
  const pos = g.constant(posNode.input![0])!;
  const type = typeNode ? g.constant(typeNode.input![0])! : { dims: [1, hidden], data: new Float32Array(hidden) };
  if (pos.dims[1] !== hidden || type.dims[1] !== hidden) throw notBert('embedding tables have different widths');
  return {
    word: words.table,
    position: pos.data,
    tokenType: type.data,
    vocab: wordTable.dims[0],
    hidden,
    maxPositions: pos.dims[0],
    typeVocab: type.dims[0],
    ln: norm,
  };
}

interface LayerMatch {
  layer: EncoderLayer;
  linears: Record<string, LinearMatch>;
  headDim: number | null;
  ln1: LayerNormMatch;
  ln2: LayerNormMatch;
  output: string;
}

/** Head size from the attention scaling (1/sqrt(d), spread over Q, K and the scores) or, failing
 *  that, from a constant 4-D Reshape of Q. */
function headDimOf(
  g: GraphIndex,
  q: LinearMatch,
  qScale: number,
  kScale: number,
  scores: NodeProto,
  hidden: number,
): number | null {
  const toSoftmax = reach(g, scores.output![0], (n) => n.opType === 'Softmax', 6)[0];
  const s = qScale * kScale * (toSoftmax?.scale ?? 1);
  if (s > 0 && s < 1) {
    const d = Math.round(1 / (s * s));
    if (Math.abs(1 / (s * s) - d) < 1e-2 * d && hidden % d === 0) return d;
  }
  const reshape = reach(g, q.output, (n) => n.opType === 'Reshape', 3)[0]?.node;
  if (!reshape) return null;
  const shape = g.constant(reshape.input![1]);
  if (shape && shape.data.length === 4 && shape.data[3] > 0 && hidden % shape.data[3] === 0) return shape.data[3];
  // Exporters that trace batch and sequence build the shape as Concat(dynamic B, dynamic S,
  // const heads, const headDim): read the two constant tails.
  const concat = g.producer.get(reshape.input![1]);
  if (concat?.opType === 'Concat' && concat.input!.length === 4) {
    const [h, d] = concat.input!.slice(2).map((t) => g.constant(t));
    if (h?.data.length === 1 && d?.data.length === 1 && h.data[0] * d.data[0] === hidden) return d.data[0];
  }
  return null;
}

function matchLayer(g: GraphIndex, input: string, index: number): LayerMatch | null {
  const qkv = g
    .consumersOf(input)
    .map((n) => matchLinear(g, n))
    .filter((m): m is LinearMatch => m !== null);
  if (qkv.length === 0) return null;
  const where = `layer ${index}`;
  if (qkv.length !== 3) throw notBert(`${where} starts with ${qkv.length} matrix products, not the three of Q, K, V`);
  const hits = qkv.map((m) => ({ m, hit: reach(g, m.output, isDynamicMatMul(g), 8)[0] }));
  if (hits.some((h) => !h.hit)) throw notBert(`${where}: a projection of Q/K/V does not reach an attention product`);
  const scores = hits.map((h) => h.hit.node).find((n, i, all) => all.indexOf(n) !== i);
  if (!scores) throw notBert(`${where}: no attention-score product of two projections`);
  const q = hits.find((h) => h.hit.node === scores && h.hit.inputIndex === 0);
  const k = hits.find((h) => h.hit.node === scores && h.hit.inputIndex === 1);
  const v = hits.find((h) => h.hit.node !== scores);
  if (!q || !k || !v) throw notBert(`${where}: cannot tell Q, K and V apart`);
  if (!reach(g, scores.output![0], (n) => n.opType === 'Softmax', 6).length)
    throw notBert(`${where}: attention scores do not go through a Softmax`);
  const context = v.hit.node;
  const outs = reach(g, context.output![0], (n) => matchLinear(g, n) !== null, 8);
  if (outs.length !== 1) throw notBert(`${where}: no single attention output projection`);
  const attnOut = matchLinear(g, outs[0].node)!;
  const res1 = g.consumersOf(attnOut.output).find((n) => n.opType === 'Add');
  const ln1 = res1 ? matchLayerNorm(g, res1.output![0]) : null;
  if (!ln1) throw notBert(`${where}: the attention output is not followed by residual + LayerNorm`);
  const ffnIns = g
    .consumersOf(ln1.output)
    .map((n) => matchLinear(g, n))
    .filter((m): m is LinearMatch => m !== null);
  if (ffnIns.length !== 1)
    throw notBert(`${where}: no single feed-forward input projection after the attention LayerNorm`);
  const ffnIn = ffnIns[0];
  const ffnOutHit = reach(g, ffnIn.output, (n) => matchLinear(g, n) !== null, 12);
  if (ffnOutHit.length !== 1) throw notBert(`${where}: no single feed-forward output projection`);
  const gelu = reach(g, ffnIn.output, (n) => GELU_OPS.has(n.opType ?? '') || matchLinear(g, n) !== null, 12);
  if (!gelu.some((r) => GELU_OPS.has(r.node.opType ?? '')))
    throw notBert(`${where}: the feed-forward block has no GELU`);
  const ffnOut = matchLinear(g, ffnOutHit[0].node)!;
  const res2 = g.consumersOf(ffnOut.output).find((n) => n.opType === 'Add');
  const ln2 = res2 ? matchLayerNorm(g, res2.output![0]) : null;
  if (!ln2) throw notBert(`${where}: the feed-forward output is not followed by residual + LayerNorm`);
  const p = `layer.${index}`;
  const linears = { q: q.m, k: k.m, v: v.m, attnOut, ffnIn, ffnOut };
  const layer: EncoderLayer = {
    q: toLinear(`${p}.attention.q`, q.m),
    k: toLinear(`${p}.attention.k`, k.m),
    v: toLinear(`${p}.attention.v`, v.m),
    attnOut: toLinear(`${p}.attention.out`, attnOut),
    ffnIn: toLinear(`${p}.ffn.in`, ffnIn),
    ffnOut: toLinear(`${p}.ffn.out`, ffnOut),
    ln1: ln(ln1),
    ln2: ln(ln2),
  };
  const headDim = headDimOf(g, q.m, q.hit.scale, k.hit.scale, scores, q.m.in);
  return { layer, linears, headDim, ln1, ln2, output: ln2.output };
}

/** Every tensor the graph stores: initializers and the values of Constant nodes. */
function allTensors(graph: GraphProto): TensorProto[] {
  const constants = (graph.node ?? []).flatMap((n) =>
    n.opType === 'Constant' ? (n.attribute ?? []).map((a) => a.t).filter((t): t is TensorProto => !!t) : [],
  );
  return [...(graph.initializer ?? []), ...constants];
}

/** Parses ONNX bytes into a BertModel, or throws ModelLoadError saying what is wrong. */
export function parseBertOnnx(input: Uint8Array, limits: { maxBytes?: number; maxParams?: number } = {}): OnnxBert {
  // A plain Uint8Array view (Node Buffers have view-returning slice()).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const proto = decodeModel(bytes, limits.maxBytes);
  if (!proto.opsetImport || proto.opsetImport.length === 0) {
    throw new ModelLoadError(
      'truncated',
      'The model file is incomplete: it has no operator-set declaration (truncated?).',
    );
  }
  const g = new GraphIndex(proto.graph!);
  // Check every tensor's dims against its stored bytes and count, before reading any weight: a
  // too-large or malformed model fails fast, naming the tensor.
  let params = 0;
  for (const t of allTensors(proto.graph!)) params += checkTensor(t);
  const maxParams = limits.maxParams ?? MAX_PARAMS;
  if (params > maxParams) {
    throw new ModelLoadError(
      'too-large',
      `The model has ${(params / 1e6).toFixed(1)} M parameters; ` +
        `the browser limit here is ${maxParams / 1e6} M. Use a smaller BERT (e.g. TinyBERT, BERT-mini).`,
    );
  }
  if (!g.inputs.includes('input_ids') && !g.inputs.includes('attention_mask')) {
    throw notBert(`it has no token inputs (input_ids, attention_mask), only: ${g.inputs.join(', ') || 'none'}`);
  }
  const inputs = {
    inputIds: findInput(g, proto, 'input_ids', true)!,
    attentionMask: findInput(g, proto, 'attention_mask', true)!,
    tokenTypeIds: findInput(g, proto, 'token_type_ids', false),
  };
  const emb = matchEmbeddings(g, inputs.inputIds, inputs.tokenTypeIds);
  const layers: LayerMatch[] = [];
  let cur = emb.ln.output;
  for (let i = 0; ; i++) {
    const m = matchLayer(g, cur, i);
    if (!m) break;
    layers.push(m);
    cur = m.output;
  }
  if (layers.length === 0) throw notBert('no transformer layer (Q, K, V projections) follows the embeddings');
  // Head: [CLS] -> pooler dense -> Tanh -> classifier, or straight to the classifier.
  const first = reach(g, cur, (n) => matchLinear(g, n) !== null, 12);
  if (first.length !== 1) throw notBert('no classifier after the encoder');
  let head = matchLinear(g, first[0].node)!;
  let pooler: LinearMatch | undefined;
  const tanh = g.consumersOf(head.output).find((n) => n.opType === 'Tanh');
  if (tanh) {
    pooler = head;
    const cls = reach(g, tanh.output![0], (n) => matchLinear(g, n) !== null, 8);
    if (cls.length !== 1) throw notBert('no classifier after the pooler');
    head = matchLinear(g, cls[0].node)!;
  }
  const output = g.outputs.includes(head.output)
    ? head.output
    : reach(g, head.output, (n) => (n.output ?? []).some((o) => g.outputs.includes(o)), 4).map((r) =>
        r.node.output!.find((o) => g.outputs.includes(o))!,
      )[0];
  if (!output) throw notBert('the classifier does not produce a graph output');
  const hidden = emb.hidden;
  const headDims = layers.map((l) => l.headDim).filter((d): d is number => d !== null);
  if (headDims.length === 0)
    throw notBert(
      'the number of attention heads cannot be read from the graph (no 1/sqrt(d) scaling or constant head reshape)',
    );
  const headDim = headDims[0];
  const config: BertConfig = {
    layers: layers.length,
    hidden,
    heads: hidden / headDim,
    ffn: layers[0].linears.ffnIn.out,
    vocab: emb.vocab,
    maxPositions: emb.maxPositions,
    typeVocab: emb.typeVocab,
    labels: head.out,
    layerNormEps: emb.ln.eps,
  };
  for (const l of layers) {
    const { q, attnOut, ffnIn, ffnOut } = l.linears;
    if (q.in !== hidden || attnOut.out !== hidden || ffnIn.out !== config.ffn || ffnOut.out !== hidden)
      throw notBert('layer widths do not match the embedding width');
  }
  const model: BertModel = {
    config,
    embeddings: { word: emb.word, position: emb.position, tokenType: emb.tokenType, ln: ln(emb.ln) },
    layers: layers.map((l) => l.layer),
    pooler: pooler ? toLinear('pooler', pooler) : undefined,
    classifier: toLinear('classifier', head),
  };
  checkFiniteWeights(model);
  const sites = new Map<string, LinearSite>();
  const all: [Linear, LinearMatch][] = layers.flatMap((l) =>
    (['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const).map(
      (k) => [l.layer[k], l.linears[k]] as [Linear, LinearMatch],
    ),
  );
  if (pooler) all.push([model.pooler!, pooler]);
  all.push([model.classifier, head]);
  const offset = (name?: string) => {
    const t = name ? g.initializers.get(name) : undefined;
    return t && t.dataType === 1 ? (rawDataOffset(t, bytes) ?? undefined) : undefined;
  };
  for (const [lin, m] of all) {
    sites.set(lin.name, {
      weightInit: m.weightInit,
      biasInit: m.biasInit,
      layout: m.layout,
      writable: m.writable,
      weightOffset: offset(m.weightInit),
      biasOffset: offset(m.biasInit),
    });
  }
  const site = (name?: string): TensorSite | undefined => {
    const t = name ? g.initializers.get(name) : undefined;
    return t && t.dataType === 1 ? { init: name!, offset: offset(name) } : undefined;
  };
  const lnSites = layers.map((l) => ({
    ln1: { gamma: site(l.ln1.gammaName), beta: site(l.ln1.betaName) },
    ln2: { gamma: site(l.ln2.gammaName), beta: site(l.ln2.betaName) },
  }));
  const opset = toNumber(proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version as number);
  return { model, bytes, proto, sites, lnSites, inputs, output, opset, params };
}
