// onnxruntime refusing a model (issue 18): one line naming the reason, a typed error, no stack.
import { expect, test } from 'vitest';
import onnxProto from 'onnx-proto';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { createBertSession } from '../../../src/eval/ort-session';
import { ModelLoadError } from '../../../src/core/model/model-error';

const { onnx } = onnxProto;
const good = buildTinyBertOnnx({ layers: 1, hidden: 16, heads: 2, ffn: 32, vocab: 40 }).bytes;

function crafted(edit: (g: onnxProto.onnx.IGraphProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(good);
  edit(m.graph!);
  return onnx.ModelProto.encode(m).finish();
}

async function refusal(bytes: Uint8Array): Promise<ModelLoadError> {
  const err = await createBertSession(bytes, { backend: 'wasm' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  const e = err as ModelLoadError;
  expect(e.code).toBe('cannot-run');
  expect(e.userMessage).toMatch(/^This model cannot be run by onnxruntime: /);
  expect(e.userMessage).not.toContain('\n');
  expect(e.userMessage).not.toMatch(/\bat .*\.(js|mjs):\d+/);
  return e;
}

test('a node reading a tensor nothing produces (a dangling input)', async () => {
  const e = await refusal(
    crafted((g) => {
      const softmax = g.node!.find((n) => n.opType === 'Softmax')!;
      softmax.input = ['no_such_tensor'];
    }),
  );
  expect(e.userMessage).toContain('no_such_tensor');
}, 60_000);

test('an attribute the operator does not have', async () => {
  const e = await refusal(
    crafted((g) => {
      const softmax = g.node!.find((n) => n.opType === 'Softmax')!;
      softmax.attribute = [
        ...(softmax.attribute ?? []),
        { name: 'bogus_attr', type: onnx.AttributeProto.AttributeType.INT, i: 3 },
      ];
    }),
  );
  expect(e.userMessage).toContain('bogus_attr');
}, 60_000);
