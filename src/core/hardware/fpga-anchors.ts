// External anchors for the FPGA model: published FPGA BERT accelerators recreated in it (their
// board, precision, clock, parallelism and workload as published) and the modelled latency and
// resources set beside the published ones. Every published figure names its source; what we
// could not find is said, not invented. The calibration (fpga-calibration.ts) is fitted to
// these rows and its error reported leave-one-out.
import { FPGA_BOARDS } from './catalog';
import { defaultSfuLanes, type BitWidth, type FpgaDesign } from './fpga-design';
import { estimateFpga, type FpgaEstimate } from './fpga-model';
import type { FpgaBoard, Source } from './types';
import type { BertConfig } from '../model/bert-types';
import { BERT_BASE, bertWorkload, DENSE, type Workload } from './workload';

const SRC = {
  fqbert: {
    name:
      'Liu, Li, Cheng, "Hardware Acceleration of Fully Quantized BERT for Efficient NLP", ' +
      'DATE 2021 (arXiv 2103.02800): Tables III-IV and Sec. IV-A',
    url: 'https://arxiv.org/abs/2103.02800',
  },
  spatial: {
    name:
      'Chen et al., "Understanding the Potential of FPGA-Based Spatial Acceleration ' +
      'for Large Language Model Inference", ' +
      'ACM TRETS 2024 (arXiv 2312.15159): BERT on U280; ' +
      'figures as quoted in a public reading note of the paper, not checked against the PDF',
    url: 'https://arxiv.org/abs/2312.15159',
  },
  ftrans: {
    name:
      'Li et al., "FTRANS: Energy-Efficient Acceleration of Transformers using FPGA", ' +
      'ISLPED 2020 (arXiv 2007.08563): Tables 3-4, as quoted in a public reading note',
    url: 'https://arxiv.org/abs/2007.08563',
  },
  protea: {
    name:
      'Kabir, Bakos, Andrews, Huang, "ProTEA: Programmable Transformer Encoder Acceleration on FPGA", ' +
      'SC24 workshops (arXiv 2409.13975): evaluation on the U55C; ' +
      'figures as quoted in a public reading note of the paper (GitHub), not checked against the PDF',
    url: 'https://arxiv.org/abs/2409.13975',
  },
  adaptor: {
    name:
      'Kabir et al., "A Runtime-Adaptive Transformer Neural Network Accelerator on FPGAs" (ADAPTOR), ' +
      'TRETS (arXiv 2411.18148): Sec. 7, as quoted in a public reading note (GitHub); ' +
      'same group and U55C set-up as ProTEA',
    url: 'https://arxiv.org/abs/2411.18148',
  },
  huang: {
    name:
      'Huang, Luo, Ding, Wei, Huang, Yu, "An Integer-Only and Group-Vector Systolic Accelerator for ' +
      'Efficiently Mapping Vision Transformer on Edge", IEEE TCAS-I 2023 (DOI 10.1109/TCSI.2023.3312775): ' +
      'ZCU102, up to 300 MHz, Tin=64 x Tout=32, INT8, ViT-small 11.14 ms, ViT-tiny 4.077 ms, as read in a public ' +
      'summary of the full paper (GitHub); DSP/LUT/BRAM and the fps (89.7 / 245.3) as TATAA (arXiv 2411.03697) ' +
      'Table 7 quotes them; not checked against the PDF',
    url: 'https://doi.org/10.1109/TCSI.2023.3312775',
  },
  tataa: {
    name:
      'Wu et al., "TATAA: Programmable Mixed-Precision Transformer Acceleration with a Transformable ' +
      'Arithmetic Architecture" (arXiv 2411.03697): Table 7, comparison with FPGA transformer accelerators, ' +
      'as extracted in a public reading note (GitHub); not checked against the PDF',
    url: 'https://arxiv.org/abs/2411.03697',
  },
  ug1393: {
    name:
      'AMD UG1393 Vitis Application Acceleration Development: HBM Configuration and Use ' +
      '(U55C: 16 GB HBM2, 460 GB/s)',
    url: 'https://docs.amd.com/r/2023.1-English/ug1393-vitis-application-acceleration/HBM-Configuration-and-Use',
  },
  ds926: {
    name: 'AMD DS926 Zynq UltraScale+ RFSoC Data Sheet: Overview (XCZU28DR)',
    url: 'https://docs.amd.com/v/u/en-US/ds889-zynq-usp-rfsoc-overview',
  },
  zcu111: {
    name: 'AMD ZCU111 Evaluation Board User Guide (UG1271): PS DDR4 64-bit',
    url: 'https://docs.amd.com/v/u/en-US/ug1271-zcu111-eval-bd',
  },
} satisfies Record<string, Source>;

const board = (id: string) => FPGA_BOARDS.find((b) => b.id === id)!;

/** ZCU111 (XCZU28DR) is not a catalog board (RF SoC); its resources as FQ-BERT's Table III lists them. */
const ZCU111: FpgaBoard = {
  ...board('zcu102'),
  id: 'zcu111',
  name: 'ZCU111',
  chip: 'Zynq UltraScale+ RFSoC XCZU28DR',
  dsp: { value: 4_272, source: SRC.fqbert, note: 'Table III' },
  lut: { value: 425_280, source: SRC.fqbert, note: 'Table III' },
  bram36: { value: 1_080, source: SRC.fqbert, note: '2160 BRAM18K, Table III' },
  uram: { value: 80, source: SRC.ds926 },
  bandwidthGBs: { value: 19.2, source: SRC.zcu111, estimate: true, note: 'PS DDR4-2400 64-bit' },
};

/** Alveo U55C is not a catalog board. Its HBM as UG1393 gives it; its XCU55C resources taken as
 *  the U280's XCU280 (same HBM UltraScale+ die class), flagged as an estimate: ProTEA's
 *  3,612 DSP = 40% and 993,107 LUT = 76% put the part at ~9,030 DSPs and ~1.31 M LUTs, consistent. */
const U55C: FpgaBoard = {
  ...board('alveo-u280'),
  id: 'alveo-u55c',
  name: 'Alveo U55C',
  chip: 'XCU55C (UltraScale+ HBM)',
  dsp: { ...board('alveo-u280').dsp, estimate: true, note: "as the U280's XCU280; ProTEA's 3,612 = 40% agrees" },
  lut: { ...board('alveo-u280').lut, estimate: true, note: "as the U280's XCU280; ProTEA's 993,107 = 76% agrees" },
  bandwidthGBs: { value: 460, source: SRC.ug1393, note: '16 GB HBM2, 32 pseudo channels x 14.375 GB/s' },
};

export interface PublishedFigures {
  latencyMs: number;
  dsp?: number;
  lut?: number;
  /** 36 Kb block RAMs (BRAM18K / 2). */
  bram36?: number;
  uram?: number;
}

export interface PublishedFpgaDesign {
  id: string;
  name: string;
  source: Source;
  board: FpgaBoard;
  clockMHz: number;
  /** As published, e.g. 'W4A8 (8x4-bit multipliers)'. */
  precision: string;
  /** The model's nearest bit width. */
  bits: BitWidth;
  /** Parallel multipliers as published; null when only the DSP count is known. */
  multipliers: number | null;
  /** Model dimensions other than BERT-base's (e.g. 8 heads), when the design ran another encoder. */
  workload: { label: string; batch: number; seq: number; config?: Partial<BertConfig> };
  published: PublishedFigures;
  /** Host (CPU) and PCIe in the published latency? */
  pcie: boolean;
  /** What the model cannot represent, or what the source does not say. */
  caveats: string[];
}

const bert = (batch: number, seq: number) => ({ label: `BERT-base, batch ${batch}, ${seq} tokens`, batch, seq });

/** A ViT encoder at 224x224 with 16x16 patches: 196 patches + the class token. */
const vit = (name: string, hidden: number, heads: number) => ({
  label: `${name} (12 layers, d=${hidden}, ${heads} heads), batch 1, 197 tokens`,
  batch: 1,
  seq: 197,
  config: { hidden, heads, ffn: 4 * hidden },
});

const HUANG_CAVEATS = [
  'image size not in the sources we read: 224x224 with 16x16 patches (197 tokens) assumed, ' +
    'as for ViT-S/16 and ViT-Ti/16',
  'batch 1 assumed (the latency is 1 / the quoted fps)',
  'the 16x16 patch embedding (a 196 x 768 x d product, ~2% of the work) runs on the accelerator; ' +
    'the model has an embedding gather instead',
  'features stay in on-chip BRAM between operators (the paper: ~60% less latency than through DDR); ' +
    'the model streams activations',
];

/** The designs recreated. FQ-BERT's three configurations are one paper's design at three sizes;
 *  Huang et al.'s two rows are one design running two models. */
export const PUBLISHED_FPGA_DESIGNS: PublishedFpgaDesign[] = [
  {
    id: 'fqbert-zcu102-8x16',
    name: 'FQ-BERT (N=8 PEs, M=16), ZCU102',
    source: SRC.fqbert,
    board: board('zcu102'),
    clockMHz: 214,
    precision: 'W4A8 (8x4-bit multipliers, bit-split)',
    bits: 'int8',
    multipliers: 12 * 8 * 16,
    workload: bert(1, 128),
    published: { latencyMs: 43.89, dsp: 1_751, lut: 123_157, bram36: 419 },
    pcie: false,
    caveats: [
      '4-bit weights: the model streams int8 (twice the weight bytes; weights are streamed either way, overlapped)',
      'embeddings run on the ARM cores',
    ],
  },
  {
    id: 'fqbert-zcu102-16x8',
    name: 'FQ-BERT (N=16 PEs, M=8), ZCU102',
    source: SRC.fqbert,
    board: board('zcu102'),
    clockMHz: 214,
    precision: 'W4A8 (8x4-bit multipliers, bit-split)',
    bits: 'int8',
    multipliers: 12 * 16 * 8,
    workload: bert(1, 128),
    published: { latencyMs: 45.35, dsp: 1_671, lut: 154_192, bram36: 438.5 },
    pcie: false,
    caveats: ['same multipliers as 8x16, in shorter dot products'],
  },
  {
    id: 'fqbert-zcu111-16x16',
    name: 'FQ-BERT (N=16 PEs, M=16), ZCU111',
    source: SRC.fqbert,
    board: ZCU111,
    clockMHz: 214,
    precision: 'W4A8 (8x4-bit multipliers, bit-split)',
    bits: 'int8',
    multipliers: 12 * 16 * 16,
    workload: bert(1, 128),
    published: { latencyMs: 23.79, dsp: 3_287, lut: 189_724 },
    pcie: false,
    caveats: ['BRAM not comparable: part of the memory is in URAM, not reported'],
  },
  {
    id: 'huang-zcu102-vit-s',
    name: 'Integer-only group-vector systolic ViT accelerator (Huang et al.), ViT-small, ZCU102',
    source: SRC.huang,
    board: board('zcu102'),
    clockMHz: 300,
    precision: 'INT8 (integer-only, incl. LayerNorm/Softmax/GELU)',
    bits: 'int8',
    multipliers: 64 * 32,
    workload: vit('ViT-small', 384, 6),
    published: { latencyMs: 11.14, dsp: 1_268, lut: 144_500, bram36: 648 },
    pcie: false,
    caveats: [...HUANG_CAVEATS, 'BRAM from TATAA Table 7 (648, read as 36 Kb blocks)'],
  },
  {
    id: 'huang-zcu102-vit-t',
    name: 'Integer-only group-vector systolic ViT accelerator (Huang et al.), ViT-tiny, ZCU102',
    source: SRC.huang,
    board: board('zcu102'),
    clockMHz: 300,
    precision: 'INT8 (integer-only, incl. LayerNorm/Softmax/GELU)',
    bits: 'int8',
    multipliers: 64 * 32,
    workload: vit('ViT-tiny', 192, 3),
    published: { latencyMs: 4.077, dsp: 1_268, lut: 144_500, bram36: 648 },
    pcie: false,
    caveats: [...HUANG_CAVEATS, 'same bitstream as the ViT-small row (one design, two models)'],
  },
  {
    id: 'spatial-u280',
    name: 'Spatial BERT accelerator (Chen et al.), Alveo U280',
    source: SRC.spatial,
    board: board('alveo-u280'),
    clockMHz: 245,
    precision: 'W4A8',
    bits: 'int8',
    multipliers: null,
    workload: bert(1, 512),
    published: { latencyMs: 26.01, dsp: 1_780, lut: 569_000, bram36: 389, uram: 111 },
    pcie: true,
    caveats: [
      'multipliers not given in the source we read: the model builds the engines the published 1,780 DSPs hold',
      'batch 1 assumed (38.45 samples/s = 1 / 26.01 ms)',
      'a spatial dataflow (one unit per operator, pipelined across 3 SLRs); the model runs operators one after another',
    ],
  },
  {
    id: 'protea-u55c',
    name: 'ProTEA (8 parallel heads, TS_MHA=64, TS_FFN=128), Alveo U55C',
    source: SRC.protea,
    board: U55C,
    clockMHz: 200,
    precision: '8-bit fixed point',
    bits: 'int8',
    multipliers: null,
    workload: {
      label: '12-layer encoder, d=768, 8 heads, batch 1, 64 tokens',
      batch: 1,
      seq: 64,
      config: { heads: 8 },
    },
    published: { latencyMs: 279, dsp: 3_612, lut: 993_107 },
    pcie: true,
    caveats: [
      "FFN width not in the source we read: BERT-base's 3072 assumed; batch 1 assumed",
      'multipliers not given: the model builds the engines the published 3,612 DSPs hold (2 int8 MACs per DSP); ' +
        "ADAPTOR, the same group's design, maps one MAC per DSP48",
      'attention and FFN sub-modules run one after another with loop dependences: ' +
        'the paper reaches 53 GOPS, ~4% of the ~1,200 GOPS peak ADAPTOR gives for the same set-up; ' +
        'the model assumes a streaming MAC array',
      'BRAM not published in the source we read',
    ],
  },
];

/** Published designs found but not modelled, and designs whose figures we could not find. */
export const NOT_MODELLED: Array<{ name: string; why: string; source?: Source }> = [
  {
    name: 'FTRANS, VCU118 (RoBERTa-base, 16-bit fixed, block-circulant weights)',
    source: SRC.ftrans,
    why:
      '101.79 sequences/s at batch 16, 25.13 W, 6,531 of 6,840 DSPs (TATAA Table 7: 94.25 inferences/s, ' +
      '451.1k LUT, 506.6k FF, clock "-"); the clock and the sequence length were in no source we could read, ' +
      'and FFT-based block-circulant products are not a design this model has',
  },
  {
    name: 'NPE (Khan et al., FPGA 2021), VCU118',
    source: SRC.tataa,
    why:
      'TATAA Table 7 gives 200 MHz, int16, 2,020 DSPs, 192.4k LUT, 351.1k FF, 369 BRAM and 36.8 BERT ' +
      "inferences/s, but no sequence length or batch, and the paper's own tables were not reachable " +
      '(only its abstract and introduction): not modelled rather than guessed',
  },
  {
    name: 'HPTA (FPL 2023), ZCU102',
    source: SRC.tataa,
    why:
      'TATAA Table 7 gives 200 MHz, int8, 2,307 DSPs, 209.9k LUT, 345 BRAM and 81.9 BERT inferences/s ' +
      '(148.8 for Swin-T), but no sequence length or batch, and the paper itself was not reachable',
  },
  {
    name: 'Auto-ViT-Acc (Li et al., FPL 2022), ZCU102, 150 MHz, 1,552 DSPs',
    source: SRC.tataa,
    why:
      'three different DeiT-base rates in the sources we read (56.8 fps in its abstract, 34.0 in TATAA Table 7, ' +
      '25.9 fps / 38.61 ms in ME-ViT Table III) and mixed power-of-two / fixed-point weights (shifts in LUTs ' +
      'beside DSP multipliers) that the model cannot represent',
  },
  {
    name: 'ME-ViT (Marino et al., 2024), Alveo U200',
    why:
      'its 41.69 ms (300 MHz) and 83.38 ms (150 MHz) are HLS estimates, "theoretical values" without the ' +
      'P&R latencies, and the text we could read does not say which of its four ViT models they are for ' +
      '(https://arxiv.org/abs/2402.09709, as extracted in a public reading note)',
  },
  {
    name: 'ADAPTOR (Kabir et al., TRETS; U55C, 200 MHz, 3,612 DSPs)',
    source: SRC.adaptor,
    why:
      'for BERT only a throughput (40 GOPS) was reachable, ' +
      'no latency, sequence length or FFN width for that run: ' +
      'a latency would have to be derived from an op count we cannot check',
  },
  {
    name: 'TRAC (Plagwitz et al., FPL 2022) and Tzanos et al. (BERT)',
    why:
      'only second-hand throughputs (128 and 65.7 GOPS, quoted by ADAPTOR) ' +
      'and a 13.36x ratio to the spatial U280 design were reachable; ' +
      'no board, clock or latency of their own',
  },
  {
    name: "The ICCAD'21 group's earlier designs (Qi et al., GLSVLSI 2021; Peng et al., ISQED 2021)",
    why:
      'only abstracts were reachable: headline speedups (38x CPU, 1.93x GPU; 10.96x CPU, 2.08x GPU) and, for ' +
      'Peng et al., 10.35 ms at batch 32 without the board, clock, model size or sequence length',
  },
];

/** The model's engine layout for a published design: 16x16 MAC engines, as many as the
 *  published multipliers (or, when unknown, as many as the published DSPs hold). */
export function anchorDesign(d: PublishedFpgaDesign, dspPerMac: number): FpgaDesign {
  const perEngine = 16 * 16;
  const macs = d.multipliers ?? Math.floor((d.published.dsp ?? 0) / dspPerMac);
  const P = Math.max(1, Math.round(macs / perEngine));
  return { arch: 'dense', P, tr: 16, tc: 16, V: 16, bits: d.bits, sfuLanes: defaultSfuLanes(P, 16, 16) };
}

export function anchorWorkload(d: PublishedFpgaDesign): Workload {
  return bertWorkload(
    { ...BERT_BASE, ...d.workload.config, maxPositions: Math.max(512, d.workload.seq) },
    d.workload.batch,
    d.workload.seq,
    DENSE,
  );
}

/** The board at the published clock. */
export function atPublishedClock(d: PublishedFpgaDesign): FpgaBoard {
  return { ...d.board, clockMHz: { value: d.clockMHz, source: d.source, note: 'published clock' } };
}

export interface FpgaAnchorRow {
  design: PublishedFpgaDesign;
  modelled: FpgaEstimate;
  /** modelled / published - 1, for latency and each published resource. */
  latencyError: number;
  resourceError: Partial<Record<'dsp' | 'lut' | 'bram36' | 'uram', number>>;
}

/** The raw model (no calibration) against every published design. */
export function fpgaAnchors(dspPerMac = 0.5): FpgaAnchorRow[] {
  return PUBLISHED_FPGA_DESIGNS.map((d) => {
    const b = atPublishedClock(d);
    const modelled = estimateFpga(b, anchorDesign(d, dspPerMac), anchorWorkload(d));
    const resourceError: FpgaAnchorRow['resourceError'] = {};
    for (const k of ['dsp', 'lut', 'bram36', 'uram'] as const) {
      const p = d.published[k];
      if (p) resourceError[k] = modelled.plan.resources[k] / p - 1;
    }
    return { design: d, modelled, latencyError: modelled.latencyMs / d.published.latencyMs - 1, resourceError };
  });
}
