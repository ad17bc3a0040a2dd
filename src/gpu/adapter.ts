// Adapter and device acquisition, the same in the page, in workers, in Node (Dawn) and on the
// GPU host: callers pass the GPU object (navigator.gpu, or the `webgpu` package's).

export interface GpuCapabilities {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Human label: description, else vendor + architecture. */
  label: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
  hasTimestampQuery: boolean;
  hasF16: boolean;
  hasSubgroups: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  /** Subgroup-matrix shapes and types (feature 'chromium-experimental-subgroup-matrix', behind
   *  Dawn's unsafe-APIs toggle; Chromium: --enable-unsafe-webgpu). */
  subgroupMatrixConfigs?: SubgroupMatrixConfig[];
}

export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';

export type GpuUnavailableReason = 'no-webgpu' | 'no-adapter' | 'device-request-failed';

export class GpuUnavailableError extends Error {
  constructor(
    readonly reason: GpuUnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'GpuUnavailableError';
  }
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
] as const;

/** Whether the adapter is a software one (SwiftShader, WARP, llvmpipe: the GPU emulated on the
 *  CPU), as the adapter itself says: GPUAdapterInfo.isFallbackAdapter (Chromium 156 and Dawn in
 *  Node both set it for SwiftShader), or the GPUAdapter attribute it replaced in older browsers. */
export function isFallback(adapter: GPUAdapter): boolean {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  return Boolean(info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
}

export function describeAdapter(adapter: GPUAdapter): GpuCapabilities {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const features = [...adapter.features].map(String).sort();
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = Number((adapter.limits as unknown as Record<string, number>)[name]);
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const sg = info as GPUAdapterInfo & {
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
    subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig>;
  };
  const matrixConfigs =
    features.includes(SUBGROUP_MATRIX_FEATURE) && sg.subgroupMatrixConfigs
      ? [...sg.subgroupMatrixConfigs].map((c) => ({
          componentType: String(c.componentType),
          resultComponentType: String(c.resultComponentType),
          M: c.M,
          N: c.N,
          K: c.K,
        }))
      : undefined;
  return {
    vendor,
    architecture,
    device: info.device ?? '',
    description,
    label: description || [vendor, architecture].filter(Boolean).join(' ') || 'unknown adapter',
    isFallbackAdapter: isFallback(adapter),
    features,
    limits,
    hasTimestampQuery: features.includes('timestamp-query'),
    hasF16: features.includes('shader-f16'),
    hasSubgroups: features.includes('subgroups'),
    subgroupMinSize: sg.subgroupMinSize,
    subgroupMaxSize: sg.subgroupMaxSize,
    ...(matrixConfigs ? { subgroupMatrixConfigs: matrixConfigs } : {}),
  };
}

export interface AcquiredGpu {
  adapter: GPUAdapter;
  device: GPUDevice;
  caps: GpuCapabilities;
}

/** Requests an adapter and a device with the optional features the kernels can use (less any in
 *  `skipFeatures`) and the
 *  adapter's own maximum buffer limits (the defaults are far below what TinyBERT-size work
 *  on a real GPU wants). */
export async function acquireGpu(
  gpu: GPU | undefined | null,
  options: GPURequestAdapterOptions = {},
  skipFeatures: readonly string[] = [],
): Promise<AcquiredGpu> {
  if (!gpu) throw new GpuUnavailableError('no-webgpu', 'WebGPU is not available here (no navigator.gpu).');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', ...options });
  if (!adapter) throw new GpuUnavailableError('no-adapter', 'WebGPU is present but no GPU adapter was found.');
  const wanted = ['timestamp-query', 'shader-f16', 'subgroups', SUBGROUP_MATRIX_FEATURE] as GPUFeatureName[];
  // skipFeatures: A/B measurements (e.g. the kernels without their subgroup variants).
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f) && !skipFeatures.includes(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxStorageBuffersPerShaderStage',
  ] as const) {
    requiredLimits[name] = (adapter.limits as unknown as Record<string, number>)[name];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    throw new GpuUnavailableError(
      'device-request-failed',
      `The GPU adapter refused a device: ${(err as Error).message}`,
    );
  }
  return { adapter, device, caps: describeAdapter(adapter) };
}
