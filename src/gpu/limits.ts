// Checks a dispatch against the device's limits before it is encoded, so an oversized problem
// gets a clear error instead of a validation error at submit time or a lost device.

export class GpuLimitError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'GpuLimitError';
  }
}

function fmtBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`;
}

/** A storage binding of `bytes`: within maxStorageBufferBindingSize and maxBufferSize. */
export function checkStorageBinding(limits: GPUSupportedLimits, what: string, bytes: number): void {
  if (bytes > limits.maxStorageBufferBindingSize) {
    throw new GpuLimitError(
      `${what} needs a ${fmtBytes(bytes)} storage binding; ` +
        `this device allows ${fmtBytes(limits.maxStorageBufferBindingSize)} (maxStorageBufferBindingSize): ` +
        `use fewer tokens or a smaller matrix`,
    );
  }
  if (bytes > limits.maxBufferSize) {
    throw new GpuLimitError(
      `${what} needs a ${fmtBytes(bytes)} buffer; this device allows ${fmtBytes(limits.maxBufferSize)} (maxBufferSize)`,
    );
  }
}

/** Workgroup size, workgroup memory and grid size of one dispatch. */
export function checkDispatch(
  limits: GPUSupportedLimits,
  what: string,
  workgroup: { x: number; y: number; storageBytes: number },
  grid: { x: number; y: number; z?: number },
): void {
  const invocations = workgroup.x * workgroup.y;
  if (
    invocations > limits.maxComputeInvocationsPerWorkgroup ||
    workgroup.x > limits.maxComputeWorkgroupSizeX ||
    workgroup.y > limits.maxComputeWorkgroupSizeY
  ) {
    throw new GpuLimitError(
      `${what}: workgroup ${workgroup.x}x${workgroup.y} exceeds this device's limits ` +
        `(${limits.maxComputeInvocationsPerWorkgroup} invocations)`,
    );
  }
  if (workgroup.storageBytes > limits.maxComputeWorkgroupStorageSize) {
    throw new GpuLimitError(
      `${what}: needs ${workgroup.storageBytes} B of workgroup memory, ` +
        `device allows ${limits.maxComputeWorkgroupStorageSize}`,
    );
  }
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  for (const [axis, n] of [
    ['x', grid.x],
    ['y', grid.y],
    ['z', grid.z ?? 1],
  ] as const) {
    if (n > maxDim) {
      throw new GpuLimitError(
        `${what}: ${n} workgroups along ${axis} exceed maxComputeWorkgroupsPerDimension (${maxDim}): split the problem`,
      );
    }
  }
}

/** A caller's buffer binding holds at least `bytes` and can be bound as storage. */
export function checkBufferArg(what: string, binding: GPUBufferBinding, bytes: number): void {
  const { buffer } = binding;
  const offset = binding.offset ?? 0;
  const size = binding.size ?? buffer.size - offset;
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0)
    throw new GpuLimitError(`${what} buffer lacks GPUBufferUsage.STORAGE`);
  if (size < bytes) throw new GpuLimitError(`${what} binding holds ${size} B, the dispatch needs ${bytes} B`);
  if (offset + size > buffer.size)
    throw new GpuLimitError(`${what} binding [${offset}, ${offset + size}) runs past its ${buffer.size} B buffer`);
}
