// The WGSL BERT encoder engine: see engine.ts.
export { createEncoderEngine } from './engine';
export type { EncoderEngine, EncoderEngineOptions, EncoderTiming } from './engine-api';
export type { IdArray } from './inputs';
