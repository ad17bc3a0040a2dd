// Comlink keeps only name/message/stack of a thrown Error. Every service method exposed through
// endpoint.ts answers this union instead, and the client (service-client.ts) rebuilds the typed
// error (ModelLoadError with its code and user message; else an Error of the same name).
import { ModelLoadError, type ModelErrorCode } from '../core/model/model-error';

export type WorkerResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: { code?: ModelErrorCode; userMessage?: string; detail?: string; name: string; message: string };
    };

export async function capture<T>(fn: () => Promise<T> | T): Promise<WorkerResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const e = err as Partial<ModelLoadError> & Error;
    return {
      ok: false,
      error: {
        code: e.code,
        userMessage: e.userMessage,
        detail: e.detail,
        name: e.name ?? 'Error',
        message: e.message ?? String(err),
      },
    };
  }
}

export function unwrap<T>(r: WorkerResult<T>): T {
  if (r.ok) return r.value;
  const { code, userMessage, detail, name, message } = r.error;
  if (code && userMessage) throw new ModelLoadError(code, userMessage, detail);
  const err = new Error(message);
  err.name = name;
  throw err;
}
