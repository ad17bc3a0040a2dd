// The device catalog: FPGA boards, CPUs and GPUs, each figure with its source. Written without
// internet access from the named datasheets and product pages; resource counts of the FPGA
// chips and the GPU/CPU peak formulas are datasheet figures, prices and typical design clocks
// and power are estimates and flagged so. Peak f32 = units x clock x FLOP/cycle (FMA = 2).
import type { Catalog, CpuDevice, Figure, FpgaBoard, GpuDevice, Source } from './types';

const S = {
  ds190: { name: 'AMD DS190 Zynq-7000 SoC Data Sheet: Overview', url: 'https://docs.amd.com/v/u/en-US/ds190-Zynq-7000-Overview' },
  ds891: { name: 'AMD DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview', url: 'https://docs.amd.com/v/u/en-US/ds891-zynq-ultrascale-plus-overview' },
  ds965: { name: 'AMD DS965 Alveo U50 Data Center Accelerator Card Data Sheet', url: 'https://docs.amd.com/r/en-US/ds965-u50' },
  ds962: { name: 'AMD DS962 Alveo U200 and U250 Data Center Accelerator Cards Data Sheet', url: 'https://docs.amd.com/r/en-US/ds962-u200-u250' },
  ds963: { name: 'AMD DS963 Alveo U280 Data Center Accelerator Card Data Sheet', url: 'https://docs.amd.com/r/en-US/ds963-u280' },
  pynq: { name: 'TUL PYNQ-Z2 product page', url: 'https://www.tulembedded.com/FPGA/ProductsPYNQ-Z2.html' },
  ultra96: { name: 'Avnet Ultra96-V2 product page / hardware user guide', url: 'https://www.avnet.com/wps/portal/us/products/avnet-boards/avnet-board-families/ultra96-v2/' },
  zcu102: { name: 'AMD UG1182 ZCU102 Evaluation Board User Guide + product page', url: 'https://www.xilinx.com/products/boards-and-kits/ek-u1-zcu102-g.html' },
  zcu104: { name: 'AMD UG1267 ZCU104 Evaluation Board User Guide + product page', url: 'https://www.xilinx.com/products/boards-and-kits/zcu104.html' },
  xpe: { name: 'AMD Xilinx Power Estimator (XPE), typical static power of the family', url: 'https://www.xilinx.com/products/technology/power/xpe.html' },
  fqbert: { name: 'Liu et al., Hardware Acceleration of Fully Quantized BERT, DATE 2021 (arXiv 2103.02800), Sec. IV-A', url: 'https://arxiv.org/abs/2103.02800' },
  spatial: { name: 'Chen et al., FPGA-Based Spatial Acceleration for LLM Inference, TRETS 2024 (arXiv 2312.15159), BERT on U280', url: 'https://arxiv.org/abs/2312.15159' },
  hlsClock: { name: 'Typical closed clock of HLS DNN accelerators on the family (e.g. FINN, Vitis AI DPU docs PG338)', url: 'https://docs.amd.com/r/en-US/pg338-dpu' },
  rpi3: { name: 'Raspberry Pi 3 Model B product brief (BCM2837, 4x Cortex-A53 1.2 GHz)', url: 'https://www.raspberrypi.com/products/raspberry-pi-3-model-b/' },
  rpi4: { name: 'Raspberry Pi 4 Model B product brief (BCM2711, 4x Cortex-A72 1.5 GHz)', url: 'https://www.raspberrypi.com/products/raspberry-pi-4-model-b/' },
  armA53: { name: 'Arm Cortex-A53 Technical Reference Manual (NEON 64-bit datapath)', url: 'https://developer.arm.com/documentation/ddi0500/latest' },
  armA72: { name: 'Arm Cortex-A72 Software Optimization Guide (two 128-bit FP/ASIMD pipes)', url: 'https://developer.arm.com/documentation/uan0016/latest' },
  i7: { name: 'Intel ark: Core i7-1165G7 (4C, 2.8 GHz base, AVX-512, LPDDR4x-4266)', url: 'https://www.intel.com/content/www/us/en/products/sku/208662/intel-core-i71165g7-processor-12m-cache-up-to-4-70-ghz/specifications.html' },
  epyc: { name: 'AMD EPYC 7763 product page (64C, 2.45 GHz base, 8ch DDR4-3200, 280 W)', url: 'https://www.amd.com/en/products/processors/server/epyc/7003-series/amd-epyc-7763.html' },
  nano: { name: 'NVIDIA Jetson Nano Developer Kit product page / module data sheet', url: 'https://developer.nvidia.com/embedded/jetson-nano-developer-kit' },
  rtx3060: { name: 'NVIDIA GeForce RTX 3060 family specifications', url: 'https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3060-3060ti/' },
  rtx4090: { name: 'NVIDIA GeForce RTX 4090 specifications / Ada whitepaper', url: 'https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/' },
  a100: { name: 'NVIDIA A100 Tensor Core GPU data sheet', url: 'https://www.nvidia.com/en-us/data-center/a100/' },
  h100: { name: 'NVIDIA H100 Tensor Core GPU data sheet', url: 'https://www.nvidia.com/en-us/data-center/h100/' },
  h200: { name: 'NVIDIA H200 Tensor Core GPU product page / data sheet', url: 'https://www.nvidia.com/en-us/data-center/h200/' },
  orinSuper: { name: 'NVIDIA Technical Blog: Jetson Orin Nano Developer Kit gets a "Super" boost (Dec 2024)', url: 'https://developer.nvidia.com/blog/nvidia-jetson-orin-nano-developer-kit-gets-a-super-boost/' },
  ga102: { name: 'NVIDIA Ampere GA102 GPU Architecture whitepaper (per-SM tensor rates)', url: 'https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf' },
  ada: { name: 'NVIDIA Ada GPU Architecture whitepaper (RTX 4090 tensor rates)', url: 'https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf' },
  launch: { name: 'CUDA kernel launch latency, typical measured values (NVIDIA forums / CUDA Graphs blog)', url: 'https://developer.nvidia.com/blog/cuda-graphs/' },
  ortOverhead: { name: 'ONNX Runtime per-operator dispatch cost, typical profiled values', url: 'https://onnxruntime.ai/docs/performance/tune-performance/profiling-tools.html' },
} satisfies Record<string, Source>;

const f = (value: number, source: Source, note?: string): Figure => (note ? { value, source, note } : { value, source });
const est = (value: number, source: Source, note?: string): Figure => ({ value, source, estimate: true, ...(note ? { note } : {}) });

export const FPGA_BOARDS: FpgaBoard[] = [
  {
    id: 'pynq-z2', name: 'PYNQ-Z2', kind: 'fpga', chip: 'Zynq-7020 (XC7Z020)', tier: 1, dspFamily: 'DSP48E1',
    dsp: f(220, S.ds190), bram36: f(140, S.ds190), uram: f(0, S.ds190), lut: f(53_200, S.ds190),
    bandwidthGBs: est(2.1, S.pynq, '512 MB DDR3, 16-bit bus at 1050 Mb/s'),
    clockMHz: est(125, S.hlsClock), powerW: est(5, S.pynq, 'board under load, USB/barrel powered'),
    staticW: est(2, S.xpe), priceUsd: est(200, S.pynq, 'distributor price, academic discounts lower'),
  },
  {
    id: 'ultra96-v2', name: 'Ultra96-V2', kind: 'fpga', chip: 'Zynq UltraScale+ ZU3EG', tier: 2, dspFamily: 'DSP48E2',
    dsp: f(360, S.ds891), bram36: f(216, S.ds891), uram: f(0, S.ds891), lut: f(70_560, S.ds891),
    bandwidthGBs: est(8.5, S.ultra96, '2 GB LPDDR4, 32-bit'),
    clockMHz: est(200, S.hlsClock), powerW: est(10, S.ultra96), staticW: est(3, S.xpe),
    priceUsd: est(249, S.ultra96, 'Avnet list price'),
  },
  {
    id: 'zcu104', name: 'ZCU104', kind: 'fpga', chip: 'Zynq UltraScale+ ZU7EV', tier: 3, dspFamily: 'DSP48E2',
    dsp: f(1_728, S.ds891), bram36: f(312, S.ds891), uram: f(96, S.ds891), lut: f(230_400, S.ds891),
    bandwidthGBs: est(19.2, S.zcu104, 'PS DDR4 64-bit at 2400 MT/s'),
    clockMHz: f(214, S.fqbert, 'FQ-BERT closed at 214 MHz on ZCU102/ZCU111 (same family)'), powerW: est(25, S.zcu104), staticW: est(6, S.xpe),
    priceUsd: est(1_678, S.zcu104, 'AMD list price'),
  },
  {
    id: 'zcu102', name: 'ZCU102', kind: 'fpga', chip: 'Zynq UltraScale+ ZU9EG', tier: 3, dspFamily: 'DSP48E2',
    dsp: f(2_520, S.ds891), bram36: f(912, S.ds891), uram: f(0, S.ds891), lut: f(274_080, S.ds891),
    bandwidthGBs: est(19.2, S.zcu102, 'PS DDR4 64-bit at 2400 MT/s'),
    clockMHz: f(214, S.fqbert, 'FQ-BERT, BERT-base, closed at 214 MHz on this board'), powerW: est(30, S.zcu102), staticW: est(7, S.xpe),
    priceUsd: est(3_234, S.zcu102, 'AMD list price'),
  },
  {
    id: 'alveo-u50', name: 'Alveo U50', kind: 'fpga', chip: 'XCU50 (UltraScale+ HBM)', tier: 4, dspFamily: 'DSP48E2',
    dsp: f(5_952, S.ds965), bram36: f(1_344, S.ds965), uram: f(640, S.ds965), lut: f(872_000, S.ds965),
    bandwidthGBs: f(316, S.ds965, '8 GB HBM2'),
    clockMHz: f(245, S.spatial, 'a BERT accelerator closed at 245 MHz on a U280'), pcie: true, powerW: f(75, S.ds965, 'maximum total power'), staticW: est(18, S.xpe),
    priceUsd: est(2_900, S.ds965, 'distributor price'),
  },
  {
    id: 'alveo-u200', name: 'Alveo U200', kind: 'fpga', chip: 'XCU200 (VU9P class)', tier: 4, dspFamily: 'DSP48E2',
    dsp: f(6_840, S.ds962), bram36: f(2_160, S.ds962), uram: f(960, S.ds962), lut: f(1_182_000, S.ds962),
    bandwidthGBs: f(77, S.ds962, '4x DDR4-2400 64 GB'),
    clockMHz: f(245, S.spatial, 'a BERT accelerator closed at 245 MHz on a U280'), pcie: true, powerW: f(225, S.ds962, 'maximum total power'), staticW: est(30, S.xpe),
    priceUsd: est(8_995, S.ds962, 'list price at launch'),
  },
  {
    id: 'alveo-u250', name: 'Alveo U250', kind: 'fpga', chip: 'XCU250 (VU13P class)', tier: 4, dspFamily: 'DSP48E2',
    dsp: f(12_288, S.ds962), bram36: f(2_688, S.ds962), uram: f(1_280, S.ds962), lut: f(1_728_000, S.ds962),
    bandwidthGBs: f(77, S.ds962, '4x DDR4-2400 64 GB'),
    clockMHz: f(245, S.spatial, 'a BERT accelerator closed at 245 MHz on a U280'), pcie: true, powerW: f(225, S.ds962, 'maximum total power'), staticW: est(40, S.xpe),
    priceUsd: est(12_995, S.ds962, 'list price at launch'),
  },
  {
    id: 'alveo-u280', name: 'Alveo U280', kind: 'fpga', chip: 'XCU280 (UltraScale+ HBM)', tier: 4, dspFamily: 'DSP48E2',
    dsp: f(9_024, S.ds963), bram36: f(2_016, S.ds963), uram: f(960, S.ds963), lut: f(1_304_000, S.ds963),
    bandwidthGBs: f(460, S.ds963, '8 GB HBM2 (plus 32 GB DDR4 at 38 GB/s, unused here)'),
    clockMHz: f(245, S.spatial, 'a BERT accelerator closed at 245 MHz on a U280'), pcie: true, powerW: f(225, S.ds963, 'maximum total power'), staticW: est(35, S.xpe),
    priceUsd: est(7_500, S.ds963, 'distributor price'),
  },
];

export const CPUS: CpuDevice[] = [
  {
    id: 'cortex-a53', name: 'Cortex-A53 x4 @1.2 GHz (Raspberry Pi 3B)', kind: 'cpu', tier: 1, cores: 4,
    peakGflops: est(19.2, S.armA53, '4 cores x 1.2 GHz x 4 FLOP/cycle (one 64-bit NEON FMA pipe)'),
    bandwidthGBs: est(3.6, S.rpi3, 'LPDDR2-900, 32-bit'), powerW: est(4, S.rpi3, 'board under CPU load'),
    priceUsd: f(35, S.rpi3), opOverheadUs: est(20, S.ortOverhead),
  },
  {
    id: 'cortex-a72', name: 'Cortex-A72 x4 @1.5 GHz (Raspberry Pi 4B)', kind: 'cpu', tier: 2, cores: 4,
    peakGflops: est(48, S.armA72, '4 cores x 1.5 GHz x 8 FLOP/cycle (2x 128-bit ASIMD, one FMA/cycle sustained)'),
    bandwidthGBs: est(12.8, S.rpi4, 'LPDDR4-3200, 32-bit'), powerW: est(6.4, S.rpi4, 'board under CPU load'),
    priceUsd: f(55, S.rpi4, '4 GB model'), opOverheadUs: est(10, S.ortOverhead),
  },
  {
    id: 'x86-laptop', name: 'Intel Core i7-1165G7 (laptop, 4C)', kind: 'cpu', tier: 3, cores: 4,
    peakGflops: est(358, S.i7, '4 cores x 2.8 GHz base x 32 FLOP/cycle (one 512-bit FMA port)'),
    bandwidthGBs: f(68.3, S.i7, 'LPDDR4x-4266, 128-bit'), powerW: f(28, S.i7, 'TDP'),
    priceUsd: f(426, S.i7, 'Intel recommended customer price'), opOverheadUs: est(3, S.ortOverhead),
  },
  {
    id: 'x86-server', name: 'AMD EPYC 7763 (server, 64C)', kind: 'cpu', tier: 5, cores: 64,
    peakGflops: f(5_018, S.epyc, '64 cores x 2.45 GHz x 32 FLOP/cycle (2x 256-bit FMA)'),
    bandwidthGBs: f(204.8, S.epyc, '8 channels DDR4-3200'), powerW: f(280, S.epyc, 'TDP'),
    priceUsd: f(7_890, S.epyc, '1k-unit price'), opOverheadUs: est(5, S.ortOverhead, 'thread-pool wake-up over 64 cores'),
  },
];

export const GPUS: GpuDevice[] = [
  {
    id: 'jetson-nano', name: 'Jetson Nano', kind: 'gpu', tier: 1, arch: { name: 'Maxwell', year: 2014 }, sms: 1,
    peakGflops: f(236, S.nano, '128 Maxwell cores x 921.6 MHz x 2'), bandwidthGBs: f(25.6, S.nano, 'LPDDR4 64-bit'),
    powerW: f(10, S.nano, '10 W mode'), priceUsd: f(99, S.nano, 'developer kit launch price'), launchUs: est(15, S.launch),
  },
  {
    id: 'jetson-orin-nano', name: 'Jetson Orin Nano Super 8GB', kind: 'gpu', tier: 2, arch: { name: 'Ampere', year: 2020 }, sms: 8,
    peakGflops: est(2_089, S.orinSuper, '1024 Ampere cores x 1020 MHz x 2 (Super mode clock)'),
    tensor: {
      tf32: est(8_375, S.orinSuper, '1/4 of the dense int8 rate (A100 ratios)'),
      fp16: est(16_750, S.orinSuper, '1/2 of the dense int8 rate (A100 ratios)'),
      int8: est(33_500, S.orinSuper, '67 TOPS sparse int8 / 2 (dense)'),
    },
    sparseTensor: true,
    bandwidthGBs: f(102, S.orinSuper, 'LPDDR5 128-bit, Super mode'),
    powerW: f(25, S.orinSuper, '25 W (Super) mode'), priceUsd: f(249, S.orinSuper, 'Super developer kit price'), launchUs: est(10, S.launch),
  },
  {
    id: 'rtx-3060', name: 'GeForce RTX 3060 12GB', kind: 'gpu', tier: 3, arch: { name: 'Ampere', year: 2020 }, sms: 28,
    peakGflops: f(12_740, S.rtx3060, '3584 cores x 1.777 GHz boost x 2'),
    tensor: {
      tf32: est(12_740, S.ga102, 'GA10x per-SM dense rates x 28 SMs x 1.777 GHz'),
      fp16: est(25_480, S.ga102, 'fp32 accumulate (GeForce: half the fp16-accumulate rate)'),
      int8: est(101_900, S.ga102, 'dense'),
    },
    sparseTensor: true,
    bandwidthGBs: f(360, S.rtx3060),
    powerW: f(170, S.rtx3060, 'total graphics power'), priceUsd: f(329, S.rtx3060, 'launch MSRP'), launchUs: est(5, S.launch),
  },
  {
    id: 'rtx-4090', name: 'GeForce RTX 4090', kind: 'gpu', tier: 4, arch: { name: 'Ada Lovelace', year: 2022 }, sms: 128,
    peakGflops: f(82_580, S.rtx4090, '16384 cores x 2.52 GHz boost x 2'),
    tensor: {
      tf32: est(82_600, S.ada, 'dense'),
      fp16: est(165_200, S.ada, 'dense, fp32 accumulate'),
      int8: est(660_600, S.ada, 'dense'),
    },
    sparseTensor: true,
    bandwidthGBs: f(1_008, S.rtx4090),
    powerW: f(450, S.rtx4090, 'total graphics power'), priceUsd: f(1_599, S.rtx4090, 'launch MSRP'), launchUs: est(4, S.launch),
  },
  {
    id: 'a100', name: 'A100 SXM4 40GB', kind: 'gpu', tier: 5, arch: { name: 'Ampere', year: 2020 }, sms: 108,
    peakGflops: f(19_500, S.a100, 'FP32 (non-tensor-core)'),
    tensor: { tf32: f(156_000, S.a100, 'dense (312 with sparsity)'), fp16: f(312_000, S.a100, 'dense'), int8: f(624_000, S.a100, 'dense') },
    sparseTensor: true,
    bandwidthGBs: f(1_555, S.a100, 'HBM2 40 GB'),
    powerW: f(400, S.a100, 'max TDP'), priceUsd: est(10_000, S.a100, 'street price'), launchUs: est(4, S.launch),
  },
  {
    id: 'h100', name: 'H100 SXM5 80GB', kind: 'gpu', tier: 5, arch: { name: 'Hopper', year: 2022 }, sms: 132,
    peakGflops: f(67_000, S.h100, 'FP32 (non-tensor-core)'),
    tensor: { tf32: f(494_700, S.h100, 'dense (989 with sparsity)'), fp16: f(989_500, S.h100, 'dense'), int8: f(1_979_000, S.h100, 'dense') },
    sparseTensor: true,
    bandwidthGBs: f(3_350, S.h100, 'HBM3'),
    powerW: f(700, S.h100, 'max TDP'), priceUsd: est(30_000, S.h100, 'street price'), launchUs: est(4, S.launch),
  },
  {
    id: 'h200', name: 'H200 SXM 141GB', kind: 'gpu', tier: 5, arch: { name: 'Hopper', year: 2022 }, sms: 132,
    peakGflops: f(67_000, S.h200, 'FP32 (non-tensor-core), as H100 SXM'),
    tensor: { tf32: f(494_700, S.h200, 'dense (989 with sparsity)'), fp16: f(989_500, S.h200, 'dense'), int8: f(1_979_000, S.h200, 'dense') },
    sparseTensor: true,
    bandwidthGBs: f(4_800, S.h200, 'HBM3e 141 GB'),
    powerW: f(700, S.h200, 'max TDP'), priceUsd: est(32_000, S.h200, 'street price'), launchUs: est(4, S.launch),
  },
];

export const CATALOG: Catalog = { fpgas: FPGA_BOARDS, cpus: CPUS, gpus: GPUS };
