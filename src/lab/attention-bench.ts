// The encoder's attention kernel alone (`hp-lab bench attention`): every variant asked for, on
// random Q/K/V in the fused layout the Q/K/V linear writes, with Q/K/V blocks of `block` floats
// (the hidden size for the dense linear, whole tile-rows for the stacked HP one: TinyBERT 312 and
// 320), timed with timestamps and checked against the CPU reference on the first sequences; the
// register-blocked variants also with stages left out (`ablations`), to time each by difference.
import {
  createAblatedAttention,
  createAttentionKernel,
  type AttentionKernel,
  type QkvLayout,
} from '../gpu/encoder/attention';
import type { ABLATIONS } from '../gpu/encoder/attention-tiled';
import { createWholeAttention, parseWholeVariant } from '../gpu/encoder/attention-whole';
import { autoQkvPad } from '../gpu/encoder/qkv-plan';
import { readBuffer, uploadBuffer } from '../gpu/kernel';
import { timeCompute } from '../gpu/timing';
import { randomArray, rng } from '../core/random';
import { referenceAttention } from '../core/model/reference-forward';
import { intAttention, type IntAttentionRow } from '../core/quant/int-attention';
import { createInt8AttentionKernel } from '../gpu/encoder/attention-int8';
import { createInt8MatrixAttentionKernel, parseInt8MatrixVariant } from '../gpu/encoder/attention-int8-matrix';
import type { GpuCapabilities } from '../gpu/adapter';
import { GpuLimitError } from '../gpu/limits';

export interface AttentionBenchCase {
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
  /** Floats of each of the Q, K and V blocks in a row (>= hidden). */
  block: number;
  /** Value dims of each head a later kernel reads (random ones, fixed by the seed; 0: the head is not
   *  run): the engine's live heads and read dims (Params.heads, Params.dims). Default: all. */
  reads?: number[];
}

export interface AttentionBenchRow extends AttentionBenchCase {
  variant: string;
  /** With `reads`: the most value dims a head reads where the variant computes those alone
   *  (attention-whole.ts's 'v' and 'r'), else 'all'. */
  value_dims?: number | 'all';
  /** Stages left out (ABLATIONS' names; 'none': the real kernel, checked against the reference). */
  ablate: string;
  ms_median: number;
  ms_min: number;
  timing: string;
  gflops: number;
  /** Max |GPU - reference| over the checked sequences. */
  max_abs_err: number;
  checked_sequences: number;
  /** `residency` (whole-sequence variants): the most of its workgroups live at once and how many
   *  finished, counted by the kernel itself with atomics (attention-whole.ts `probe`). */
  resident?: number;
  finished?: number;
  /** int8: outputs more than 1e-6 off the CPU integer attention (int-attention.ts). */
  mismatches?: number;
  /** int8: the first mismatches (sequence, head, query, channel, GPU, CPU) and how many query rows
   *  (sequence, head, query) have any. */
  first_mismatches?: [number, number, number, number, number, number][];
  mismatch_rows?: number;
  /** '~dump' variants: per field of the dumped row numbers, the rows where the GPU's differ from
   *  the CPU's (int-attention.ts trace), and the first such rows with both values. */
  dump?: { rows: number; differ: Record<string, number>; first: unknown[] };
}

/** Fields of the matrix kernel's '~dump' rows (attention-int8-matrix.wgsl ABL 16), channel order. */
const DUMP_FIELDS = ['max', 'c', 'psum', 'qa', 'qinv', 'acc0'] as const;
const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/** GPU dump words vs the CPU trace, per field (i32 fields as integers, f32 ones by their bits). */
function compareDump(
  got: Float32Array,
  rows: Map<string, IntAttentionRow>,
  seq: number,
  hidden: number,
  heads: number,
): NonNullable<AttentionBenchRow['dump']> {
  const bits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const ints = new Int32Array(got.buffer, got.byteOffset, got.length);
  const d = hidden / heads;
  const differ: Record<string, number> = Object.fromEntries(DUMP_FIELDS.map((f) => [f, 0]));
  const first: unknown[] = [];
  for (const [key, r] of rows) {
    const [b, h, i] = key.split(',').map(Number);
    const at = (b * seq + i) * hidden + h * d;
    const cpu = [r.max, f32Bits(r.c), r.psum, f32Bits(r.qa), f32Bits(r.qinv), r.acc0];
    const gpu = [ints[at], bits[at + 1], ints[at + 2], bits[at + 3], bits[at + 4], ints[at + 5]];
    const off = DUMP_FIELDS.filter((_, j) => cpu[j] !== gpu[j]);
    for (const f of off) differ[f]++;
    if (off.length && first.length < 16) first.push({ b, h, i, off, cpu, gpu });
  }
  return { rows: rows.size, differ, first };
}

/** The int8 attention's variants: 'int8' (dot4I8Packed, attention-int8.ts) and 'int8-matrix'
 *  (subgroup matrices, attention-int8-matrix.ts; tuned forms by name: parseInt8MatrixVariant). */
export const INT8_ATTENTION_VARIANTS = ['int8', 'int8-matrix'] as const;

/** Sequence b keeps its first seq - (b % 4) * seq / 8 tokens (some padding, never none). */
function benchMask(batch: number, seq: number): Uint32Array {
  const mask = new Uint32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const keep = seq - Math.floor(((b % 4) * seq) / 8);
    for (let i = 0; i < keep; i++) mask[b * seq + i] = 1;
  }
  return mask;
}

/** Per head, `reads[h]` of its d value dims drawn at random (bit e: dim e), the heads with any
 *  (bits), how many, and the most a head reads; undefined without reads. */
function readMasks(reads: number[] | undefined, d: number, rand: () => number) {
  if (!reads) return undefined;
  const dims = reads.map((n) => {
    const order = Array.from({ length: d }, (_, e) => e);
    for (let i = d - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice(0, n).reduce((m, e) => (m | (1 << e)) >>> 0, 0);
  });
  const bits = reads.reduce((m, n, h) => (n > 0 ? (m | (1 << h)) >>> 0 : m), 0);
  return { dims, bits, count: reads.filter((n) => n > 0).length, most: Math.max(...reads) };
}

export async function benchAttention(
  device: GPUDevice,
  c: AttentionBenchCase,
  variants: string[],
  opts: {
    reps: number;
    warmup: number;
    checkSequences?: number;
    ablations?: string[];
    /** 'int8': the variants are INT8_ATTENTION_VARIANTS, checked against intAttention. */
    quant?: 'int8';
    /** Whole-sequence variants: also one run of the kernel counting its live workgroups (`resident`). */
    residency?: boolean;
    caps?: GpuCapabilities;
    /** Given, a variant this device cannot run at the case's shape (a GpuLimitError: its workgroup
     *  memory or threads, checked when it is made or first encoded) is left out, with its ablations,
     *  and reported here once instead of ending the bench: `bench attention`'s 'all' on an adapter
     *  with less than the H200's 48 KiB of workgroup memory. */
    onUnfit?: (variant: string, why: string) => void;
  },
): Promise<AttentionBenchRow[]> {
  const { batch, seq, hidden, heads, block, reads } = c;
  const tokens = batch * seq;
  const rand = rng(seq * 31 + batch);
  // Rows as the engine lays them out: the stacked HP blocks padded where it pads them (qkv-plan.ts).
  const stride = 3 * block + autoQkvPad(block);
  const rows = randomArray(tokens * stride, rand);
  const d = hidden / heads;
  if (reads && (reads.length !== heads || heads > 32 || reads.some((n) => !(n >= 0 && n <= d))))
    throw new RangeError(`reads: ${heads} counts of 0..${d} (at most 32 heads), got ${reads.join(',')}`);
  const live = readMasks(reads, d, rand);
  const mask = benchMask(batch, seq);
  const layout: QkvLayout = { stride, q: 0, k: block, v: 2 * block };
  const checked = Math.min(batch, opts.checkSequences ?? 2);
  const part = (j: number) => {
    const out = new Float32Array(checked * seq * hidden);
    for (let t = 0; t < checked * seq; t++)
      out.set(rows.subarray(t * stride + j * block, t * stride + j * block + hidden), t * hidden);
    return out;
  };
  const int8 = opts.quant === 'int8';
  const traced = new Map<string, IntAttentionRow>();
  const args = [part(0), part(1), part(2), mask, checked, seq, hidden, heads] as const;
  const expected = int8
    ? intAttention(...args, (b, h, i, row) => traced.set(`${b},${h},${i}`, row))
    : referenceAttention(...args);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const qkv = uploadBuffer(device, rows, 'bench.qkv', usage);
  const maskBuf = uploadBuffer(device, mask, 'bench.mask', usage);
  const params = new Uint32Array(4 + 4 * Math.ceil(heads / 4));
  params[0] = seq;
  new Float32Array(params.buffer)[1] = 1 / Math.sqrt(hidden / heads);
  if (live) {
    params[2] = live.bits;
    params.set(live.dims, 4);
  }
  const uniform = uploadBuffer(device, params, 'bench.params', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const ctx = device.createBuffer({
    size: tokens * hidden * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const poison = new Float32Array(tokens * hidden).fill(NaN);
  const out: AttentionBenchRow[] = [];
  try {
    const int8Kernel = (variant: string) =>
      variant.startsWith('int8-matrix')
        ? createInt8MatrixAttentionKernel(
            device,
            opts.caps!,
            hidden,
            heads,
            layout,
            seq,
            parseInt8MatrixVariant(variant)!,
          )
        : createInt8AttentionKernel(device, hidden, heads, layout, seq);
    /** Variants opts.onUnfit was told of: reported once, their other ablations not tried. */
    const unfit = new Set<string>();
    /** `make()`, or undefined where it throws a GpuLimitError and opts.onUnfit takes it. */
    const unlessUnfit = async <T>(variant: string, make: () => T | Promise<T>): Promise<T | undefined> => {
      try {
        return await make();
      } catch (e) {
        if (!(opts.onUnfit && e instanceof GpuLimitError)) throw e;
        unfit.add(variant);
        opts.onUnfit(variant, e.message);
        return undefined;
      }
    };
    type Kernel = Pick<AttentionKernel, 'layout' | 'encode'>;
    const runs = variants.flatMap((variant) =>
      (opts.ablations ?? ['none'])
        .filter((ablate) => !int8 || ablate === 'none')
        .map((ablate) => ({ variant, ablate })),
    );
    // Each kernel made just before its run, so a variant the device cannot run is left out at its
    // turn whether it says so when made or when first encoded. (Dropping it after does not give its
    // memory back on SwiftShader: ~100 pipelines there outgrew 12 GiB either way; the CLI's default
    // on a software adapter is 'auto'.)
    for (const { variant, ablate } of runs) {
      if (unfit.has(variant)) continue;
      const kernel: Kernel | null | undefined = await unlessUnfit(variant, () =>
        int8
          ? int8Kernel(variant)
          : ablate === 'none'
            ? createAttentionKernel(device, hidden, heads, layout, variant)
            : createAblatedAttention(device, hidden, heads, layout, variant, ablate as keyof typeof ABLATIONS),
      );
      if (!kernel) continue; // not fit for this device, or an ablation its kind does not know
      const bits = ablate !== 'none';
      const group = device.createBindGroup({
        layout: kernel.layout.group,
        entries: [uniform, qkv, qkv, qkv, maskBuf, ctx].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      device.queue.writeBuffer(ctx, 0, poison); // every checked output must be written
      const record = (pass: GPUComputePassEncoder) =>
        kernel.encode(pass, group, batch, seq, live?.count, { valueDims: live?.most });
      // The kinds whose workgroup memory depends on the keys check it when first encoded.
      const t = await unlessUnfit(variant, () => timeCompute(device, record, { reps: opts.reps, warmup: opts.warmup }));
      if (!t) continue;
      const got = await readBuffer(device, ctx, checked * seq * hidden * 4);
      // The same kernel built with its workgroups counting themselves, dispatched once.
      const countResident = async () => {
        const k = createWholeAttention(device, hidden, heads, layout, variant, 0, true);
        const counters = device.createBuffer({ size: 16, usage: usage | GPUBufferUsage.COPY_SRC });
        try {
          const entries = [uniform, qkv, qkv, qkv, maskBuf, ctx, counters];
          const g = device.createBindGroup({
            layout: k.layout.group,
            entries: entries.map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          k.encode(pass, g, batch, seq, live?.count, { valueDims: live?.most });
          pass.end();
          device.queue.submit([enc.finish()]);
          const [, most, done] = new Uint32Array((await readBuffer(device, counters, 16)).buffer);
          return { resident: most, finished: done };
        } finally {
          counters.destroy();
        }
      };
      let err = 0;
      let mismatches = 0;
      const first: [number, number, number, number, number, number][] = [];
      const badRows = new Set<number>();
      const written = (i: number) => !live || ((live.dims[Math.floor((i % hidden) / d)] >>> (i % d)) & 1) === 1;
      for (let i = 0; i < got.length; i++) {
        if (!written(i)) continue; // only the read dims of the heads run are written
        const diff = Math.abs(got[i] - expected[i]);
        err = Math.max(err, diff);
        if (!(diff <= 1e-6)) {
          mismatches++;
          const t = Math.floor(i / hidden);
          const ch = i % hidden;
          badRows.add(t * heads + Math.floor(ch / d));
          if (first.length < 12)
            first.push([Math.floor(t / seq), Math.floor(ch / d), t % seq, ch % d, got[i], expected[i]]);
        }
      }
      const resident = opts.residency && ablate === 'none' && parseWholeVariant(variant) ? await countResident() : {};
      const dumped = int8 && variant.includes('dump');
      if (got.some((x, i) => written(i) && !Number.isFinite(x))) err = Infinity;
      out.push({
        ...c,
        variant,
        ...(live ? { value_dims: parseWholeVariant(variant)?.read ? live.most : ('all' as const) } : {}),
        ablate: int8 ? (variant.split('~')[1] ?? 'none') : ablate,
        ms_median: t.msMedian,
        ms_min: t.msMin,
        timing: t.timing,
        gflops: (4 * batch * seq * seq * hidden) / t.msMedian / 1e6,
        max_abs_err: bits ? NaN : err,
        checked_sequences: checked,
        ...resident,
        ...(int8 && !dumped ? { mismatches } : {}),
        ...(mismatches && int8 && !dumped ? { first_mismatches: first, mismatch_rows: badRows.size } : {}),
        ...(dumped ? { dump: compareDump(got, traced, seq, hidden, heads) } : {}),
      });
    }
  } finally {
    for (const b of [qkv, maskBuf, uniform, ctx]) b.destroy();
  }
  return out;
}
