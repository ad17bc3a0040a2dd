// onnxruntime-web behind one small interface, the same in a browser worker and in Node: a BERT
// classifier session made from ONNX bytes (never a URL: pruned variants exist only in memory),
// run on WebGPU when the visitor has a GPU and ORT's WebGPU backend starts, wasm otherwise.
import type * as Ort from 'onnxruntime-web';
import { ModelLoadError } from '../core/model/model-error';
import type { BertSession, OrtBackend } from './session';

export type { BertSession, OrtBackend } from './session';

export interface BertSessionOptions {
  /** 'auto' tries WebGPU where navigator.gpu exists, then wasm. Default 'auto'. */
  backend?: 'auto' | OrtBackend;
}

export type OrtModule = typeof Ort;

let configured = false;
let threadsWanted = 1;
const loaded: OrtModule[] = [];

function applyConfig(ort: OrtModule): void {
  ort.env.wasm.numThreads = threadsWanted;
  ort.env.logLevel = 'error';
}

const inNode = typeof process !== 'undefined' && !!(process as { versions?: { node?: string } }).versions?.node;
const builds: { full?: Promise<OrtModule>; wasm?: Promise<OrtModule> } = {};

/** onnxruntime-web with its WebGPU backend (a 28 MB wasm), or, in a browser that will not use
 *  WebGPU (none, or a software adapter), its wasm-only build: a 14 MB wasm, half the download and
 *  the compile before the first accuracy (page-ready: first number 13-16 s instead of 20-29 s at
 *  load 20). Node has one build. Either comes configured (configureOrt). */
export function loadOrt(webgpu: boolean): Promise<OrtModule> {
  const full = webgpu || inNode;
  const pending = full ? builds.full : builds.wasm;
  if (pending) return pending;
  const next = (full ? import('onnxruntime-web') : (import('onnxruntime-web/wasm') as Promise<OrtModule>)).then(
    (ort) => {
      if (!configured) configureOrt();
      applyConfig(ort);
      loaded.push(ort);
      return ort;
    },
  );
  if (full) builds.full = next;
  else builds.wasm = next;
  return next;
}

/** onnxruntime's wasm threads in a browser page: one per core but one, at most 4 (the page needs a
 *  core for itself while the first accuracy runs: its main thread, V8's compile of the 14 MB wasm,
 *  the model parse beside the session; on a 2-core machine a second ORT thread made the first
 *  number slower, page-ready A/B in BENCHMARKS.md); 1 without cross-origin isolation (no
 *  SharedArrayBuffer). */
export function pageWasmThreads(isolated: boolean, cores: number | undefined): number {
  return isolated ? Math.max(1, Math.min(4, (cores ?? 1) - 1)) : 1;
}

/** Sets ORT's wasm threads once per realm. Browser: pageWasmThreads; Node: one thread unless asked
 *  (shared 2-core machines). */
export function configureOrt(opts: { threads?: number } = {}): void {
  const g = globalThis as {
    crossOriginIsolated?: boolean;
    navigator?: { hardwareConcurrency?: number };
    process?: unknown;
    window?: unknown;
    document?: unknown;
    importScripts?: unknown;
  };
  const inBrowser = typeof g.navigator !== 'undefined' && g.process === undefined;
  let threads = opts.threads;
  if (threads === undefined) {
    threads = inBrowser ? pageWasmThreads(!!g.crossOriginIsolated, g.navigator?.hardwareConcurrency) : 1;
  }
  threadsWanted = threads;
  configured = true;
  loaded.forEach(applyConfig);
}

/** The smallest model ORT accepts (one Identity node, opset 13, 65 bytes; made with onnx-proto's
 *  ModelProto.encode): a session of it makes ORT fetch and compile its wasm and start its threads. */
const WARM_UP_MODEL = 'CAc6NwoQCgF4EgF5IghJZGVudGl0eRIBd1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=';

let warming: Promise<void> | undefined;

/** Starts onnxruntime's wasm runtime (download, compile, thread pool) before any model is here, so
 *  a page can do it while the model downloads instead of after. Never rejects: a runtime that
 *  cannot start fails again, with its message, when the real model's session is made. */
export function warmUpOrt(): Promise<void> {
  // ORT's thread workers load the bundle that imported it (named em-pthread…): a runtime started
  // there breaks the real one (seen: a hang, "memory access out of bounds").
  if ((globalThis as { name?: string }).name?.startsWith('em-pthread')) return Promise.resolve();
  if (!configured) configureOrt();
  warming ??= (async () => {
    try {
      const gpu = navigatorGpu();
      const ort = await loadOrt(!!gpu && !(await adapterReason(gpu)));
      const bytes = Uint8Array.from(atob(WARM_UP_MODEL), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
      await session.release();
    } catch {
      // reported by createBertSession
    }
  })();
  return warming;
}

const REQUIRED = ['input_ids', 'attention_mask'];

async function create(ort: OrtModule, bytes: Uint8Array, ep: OrtBackend): Promise<Ort.InferenceSession> {
  // ORT may keep a reference to the buffer: hand it a copy so callers may transfer theirs.
  return ort.InferenceSession.create(new Uint8Array(bytes), {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
}

/** ORT's own failure (a dangling input, an unknown attribute, a shape it cannot run) as one
 *  line for the person who chose the model, instead of its multi-line stack. */
export function cannotRun(err: unknown): ModelLoadError {
  const raw = String((err as Error)?.message ?? err);
  const line =
    raw
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'unknown error';
  const why = line.replace(/^.*ERROR_MESSAGE:\s*/, '').slice(0, 300);
  return new ModelLoadError('cannot-run', `This model cannot be run by onnxruntime: ${why}`, raw.slice(0, 2000));
}

/** A software adapter (SwiftShader: a fallback adapter) runs ORT's WebGPU kernels far slower
 *  than its wasm backend (7 vs 340 sentences/s measured): use wasm there. Null: use WebGPU.
 *  Software is what the adapter says of itself (GPUAdapterInfo.isFallbackAdapter, or the older
 *  GPUAdapter attribute), as gpu/adapter.ts isFallback reads it (eval/ does not import gpu/). */
async function softwareAdapterReason(gpu: GPU | undefined): Promise<string | undefined> {
  if (!gpu) return undefined;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter for onnxruntime';
    const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
    const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`;
    if (info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter) {
      return `the WebGPU adapter is a software renderer (${text.trim() || 'fallback adapter'}); WebAssembly is faster`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const navigatorGpu = () => (typeof navigator !== 'undefined' ? (navigator as { gpu?: GPU }).gpu : undefined);
let adapterChecked: Promise<string | undefined> | undefined;
/** The adapter does not change while the page lives: asked once. */
const adapterReason = (gpu: GPU | undefined) => (adapterChecked ??= softwareAdapterReason(gpu));

export async function createBertSession(bytes: Uint8Array, opts: BertSessionOptions = {}): Promise<BertSession> {
  if (!configured) configureOrt();
  const want = opts.backend ?? 'auto';
  const gpu = navigatorGpu();
  let session: Ort.InferenceSession | undefined;
  let backend: OrtBackend = 'wasm';
  // ORT refuses a second runtime start while one is under way (warmUpOrt's): wait for it, and
  // ask the adapter meanwhile.
  let [fallbackReason] = await Promise.all([want === 'auto' ? adapterReason(gpu) : undefined, warming]);
  const tryWebGpu = want === 'webgpu' || (want === 'auto' && !!gpu && !fallbackReason);
  const ort = await loadOrt(tryWebGpu);
  if (tryWebGpu) {
    try {
      session = await create(ort, bytes, 'webgpu');
      backend = 'webgpu';
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      fallbackReason = /adapter/i.test(msg)
        ? 'no WebGPU adapter for onnxruntime'
        : `onnxruntime's WebGPU backend did not start: ${msg}`;
      if (want === 'webgpu') throw new Error(fallbackReason, { cause: err });
    }
  } else if (want === 'auto' && !gpu) {
    fallbackReason = 'this environment has no WebGPU (navigator.gpu is missing)';
  }
  if (!session) {
    try {
      session = await create(ort, bytes, 'wasm');
    } catch (err) {
      throw cannotRun(err);
    }
  }
  for (const name of REQUIRED) {
    if (!session.inputNames.includes(name)) {
      await session.release();
      throw new ModelLoadError(
        'missing-input',
        `The model has no '${name}' input. ` +
          `This app feeds input_ids, attention_mask and token_type_ids (int64), as Hugging Face exports do.`,
      );
    }
  }
  const s = session;
  const output = s.outputNames.includes('logits') ? 'logits' : s.outputNames[0];
  const withTypes = s.inputNames.includes('token_type_ids');
  return {
    backend,
    fallbackReason,
    async run(b) {
      const dims = [b.batch, b.seqLen];
      const feeds: Record<string, Ort.Tensor> = {
        input_ids: new ort.Tensor('int64', b.inputIds, dims),
        attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
      };
      if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', b.tokenTypeIds, dims);
      let result: Ort.InferenceSession.OnnxValueMapType;
      try {
        result = await s.run(feeds, [output]);
      } catch (err) {
        throw cannotRun(err);
      }
      const t = result[output];
      const data = (await t.getData()) as Float32Array;
      t.dispose();
      return { logits: data, labels: data.length / b.batch };
    },
    release: () => s.release(),
  };
}
