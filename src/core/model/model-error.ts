// Every way loading a model, tokenizer or dataset can fail because of the input (not a bug):
// a typed code for tests and UI logic, and a message written for the person who chose the file.

export type ModelErrorCode =
  | 'not-found'
  | 'empty'
  | 'truncated'
  | 'not-onnx'
  | 'too-large'
  | 'external-data'
  | 'missing-input'
  | 'not-bert'
  | 'unsupported-tensor'
  | 'bad-tokenizer'
  | 'bad-dataset'
  | 'label-mismatch';

export class ModelLoadError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    /** One or two sentences for the UI / CLI, saying what is wrong and what to do. */
    readonly userMessage: string,
    /** Technical detail (which node, which tensor) for logs. */
    readonly detail?: string,
  ) {
    super(detail ? `${userMessage} (${detail})` : userMessage);
    this.name = 'ModelLoadError';
  }
}

/** Errors cross worker boundaries as plain objects: rebuild the class on the other side. */
export function isModelLoadError(err: unknown): err is ModelLoadError {
  return err instanceof ModelLoadError || (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ModelLoadError');
}
