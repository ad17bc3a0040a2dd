// Node 20's V8 (11.3) compiles WebAssembly relaxed SIMD only behind a flag; Chromium has it on
// by default since 114 (V8 11.4), as later Node versions do. Imported first where the CLI and the
// reconstruction bench start: with it, the reconstruction's products (core/recover/wasm-gemm.ts)
// use fused multiply-adds (f32x4.relaxed_madd) in Node as they do on the page. V8's flags are
// per process, so the recovery worker threads (recover-threads.ts) get it too.
import v8 from 'node:v8';
import { hasRelaxedSimd } from '../core/recover/wasm-asm';

if (!hasRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
