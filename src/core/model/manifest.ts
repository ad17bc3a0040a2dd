// public/models/manifest.json names the shipped model(s). Accepts {default: "x.onnx"} or
// {models: ["x.onnx" | {file|path|url|name}]}; returns the default model's file name.
export type Manifest = { default?: string; models?: Array<string | { file?: string; path?: string; url?: string; name?: string }> };

export function defaultModelFile(manifest: Manifest): string | undefined {
  const first = manifest.models?.[0];
  const entry = manifest.default ?? (typeof first === 'string' ? first : first?.file ?? first?.path ?? first?.url ?? first?.name);
  if (!entry) return undefined;
  const base = entry.split('/').pop()!;
  return base.endsWith('.onnx') ? base : `${base}.onnx`;
}
