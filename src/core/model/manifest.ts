// public/models/manifest.json names the shipped model: {file, maxLength, labels, ...} (what
// scripts/train writes); {default} or {models: [...]} are accepted too.
export type Manifest = {
  file?: string;
  /** Tokens per sentence the model was trained and evaluated with ([CLS] and [SEP] included). */
  maxLength?: number;
  labels?: string[];
  default?: string;
  models?: Array<string | { file?: string; path?: string; url?: string; name?: string }>;
};

export function defaultModelFile(manifest: Manifest): string | undefined {
  const first = manifest.models?.[0];
  const entry =
    manifest.file ??
    manifest.default ??
    (typeof first === 'string' ? first : (first?.file ?? first?.path ?? first?.url ?? first?.name));
  if (!entry) return undefined;
  const base = entry.split('/').pop()!;
  return base.endsWith('.onnx') ? base : `${base}.onnx`;
}
