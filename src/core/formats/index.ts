export * from './hp';
export * from './f16';
export { FormatError, indexBytes, valueBytes } from './byte-io';
export * from './sparse';
export * from './hp-record';
export * from './hpw';
export * from './storage-sizes';
export * from './spw';
export * from './weights-file';
