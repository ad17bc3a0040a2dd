// WebGPU in Node (tests, CLI, the bundled GPU-host benchmark) through the `webgpu` package
// (Dawn). Never imported by the browser app.
import { acquireGpu, type AcquiredGpu } from './adapter';
import { GpuLease, type LeasedGpu } from './gpu-lease';

let cached: Promise<GPU> | undefined;
/** Dawn's instance must outlive every device: once the GC frees it, the next ProcessEvents
 *  dereferences freed memory and the process dies at random (SIGSEGV / futex aborts). */
let keepInstance: GPU | undefined;

/** Dawn's GPU object, one per process; SwiftShader's Vulkan ICD is used when no other is set and
 *  Chromium ships one (this machine and CI), the GPU host's prelude sets the NVIDIA ICD. */
export function dawnGpu(): Promise<GPU> {
  cached ??= (async () => {
    const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
    process.env.XDG_RUNTIME_DIR ??= '/tmp'; // the Vulkan loader warns without one
    if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
      const { existsSync } = await import('node:fs');
      if (existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
    }
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    // HP_LAB_UNSAFE_APIS=1: Dawn's unsafe APIs, which expose experimental features such as
    // chromium-experimental-subgroup-matrix (the int8 tensor-core kernels).
    // HP_LAB_DISABLE_ROBUSTNESS=1 (measurements only): no bounds clamping or predication of
    // shader memory accesses (Dawn's disable_robustness), to see what robustness costs a kernel.
    // HP_LAB_DAWN_ENABLE / HP_LAB_DAWN_DISABLE (comma lists, measurements only): more of Dawn's
    // toggles on or off, e.g. vulkan_use_cooperative_matrix_robust_access.
    const list = (v: string | undefined) => (v ?? '').split(',').filter(Boolean);
    const toggles = [
      ...(process.env.HP_LAB_UNSAFE_APIS === '1' ? ['allow_unsafe_apis'] : []),
      ...(process.env.HP_LAB_DISABLE_ROBUSTNESS === '1' ? ['disable_robustness'] : []),
      ...list(process.env.HP_LAB_DAWN_ENABLE),
    ];
    const off = list(process.env.HP_LAB_DAWN_DISABLE);
    keepInstance = create([
      ...(toggles.length ? [`enable-dawn-features=${toggles.join(',')}`] : []),
      ...(off.length ? [`disable-dawn-features=${off.join(',')}`] : []),
    ]) as unknown as GPU;
    return keepInstance;
  })();
  return cached;
}

/** HP_LAB_GPU_SKIP_FEATURES=subgroups (comma list) creates the device without those optional
 *  features, to measure the kernels without their variants. */
export async function acquireNodeGpu(): Promise<AcquiredGpu> {
  const skip = (process.env.HP_LAB_GPU_SKIP_FEATURES ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  return acquireGpu(await dawnGpu(), {}, skip);
}

/** The process's device (Dawn), under GpuLease's lost-device policy: after a loss the next
 *  call acquires a fresh device. */
export const nodeGpuLease = new GpuLease(undefined, acquireNodeGpu);

/** The process's device: the same one on every call until it is lost. */
export function nodeGpu(): Promise<LeasedGpu> {
  return nodeGpuLease.get();
}
