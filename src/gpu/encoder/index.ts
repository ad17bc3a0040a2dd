// The WGSL BERT encoder engine: see engine.ts.
export { createEncoderEngine, type EncoderEngine, type EncoderEngineOptions, type EncoderTiming } from './engine';
export type { IdArray } from './inputs';
