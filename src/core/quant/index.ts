export * from './quantize';
export * from './int-linear';
export * from './int-attention';
export * from './quantized-bert';
export * from './calibration';
export * from './session';
export * from './gpu-layout';
export * from './measured-accuracy';
