// A model whose weights hold NaN or infinity evaluates to chance accuracy without any error:
// refuse it at load time, naming the first tensor that does.
import { prunableLinears, type BertModel } from './bert-types';
import { ModelLoadError } from './model-error';

function nonFinite(values: Float32Array): number {
  let bad = 0;
  // v - v is 0 for every finite v, NaN for NaN and for either infinity.
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) bad++;
  return bad;
}

/** Throws 'bad-weights' for the first tensor of the model holding a NaN or infinite value. */
export function checkFiniteWeights(model: BertModel): void {
  const { embeddings: e } = model;
  const named: [string, Float32Array][] = [
    ['embeddings.word', e.word],
    ['embeddings.position', e.position],
    ['embeddings.token_type', e.tokenType],
    ['embeddings.layer_norm.gamma', e.ln.gamma],
    ['embeddings.layer_norm.beta', e.ln.beta],
  ];
  model.layers.forEach((l, i) => {
    for (const [which, p] of [
      ['ln1', l.ln1],
      ['ln2', l.ln2],
    ] as const)
      named.push([`layer.${i}.${which}.gamma`, p.gamma], [`layer.${i}.${which}.beta`, p.beta]);
  });
  const linears = [...prunableLinears(model), ...(model.pooler ? [model.pooler] : []), model.classifier];
  for (const l of linears) {
    const init = l.initializer ? ` (initializer '${l.initializer}')` : '';
    named.push([`${l.name}.weight${init}`, l.weight], [`${l.name}.bias`, l.bias]);
  }
  for (const [name, values] of named) {
    const bad = nonFinite(values);
    if (bad > 0) {
      throw new ModelLoadError(
        'bad-weights',
        `The model's weight ${name} holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'} of ${values.length}: ` +
          `it cannot give meaningful predictions. ` +
          `Re-export it from a healthy checkpoint.`,
      );
    }
  }
}
