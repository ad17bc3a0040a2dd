// What the page has measured on this machine, as MeasuredDevice records for the device models.
import { measuredCpu, measuredFromLinears, type LinearMeasurement } from '../../../core/hardware/measured';
import type { MeasuredDevice } from '../../../core/hardware/roofline';
import type { CpuLinearMeasurement } from '../../../core/cpu/measure';

export interface LabMeasurements {
  cpu?: CpuLinearMeasurement[] | null;
  gpu?: LinearMeasurement[] | null;
  /** GPU adapter description, e.g. from describeAdapter. */
  gpuLabel?: string;
  /** The adapter is a software one (describeAdapter's isFallbackAdapter). */
  gpuSoftware?: boolean;
  /** Whole-model CPU time (ms) of onnxruntime-web's wasm backend, when measured. */
  cpuEncoder?: MeasuredDevice['encoder'];
  /** Whole-encoder GPU time (ms) of the encoder engine, when measured. */
  gpuEncoder?: MeasuredDevice['encoder'];
}

export function measuredDevices(m: LabMeasurements): MeasuredDevice[] {
  const out: MeasuredDevice[] = [];
  try {
    if (m.cpu?.length)
      out.push(measuredCpu('this browser, project CPU kernels', m.cpu, m.cpuEncoder ? { encoder: m.cpuEncoder } : {}));
  } catch {
    /* nothing usable measured yet */
  }
  try {
    if (m.gpu?.length)
      out.push(
        measuredFromLinears('gpu', m.gpuLabel ?? 'this GPU, project WGSL kernels', m.gpu, {
          ...(m.gpuEncoder ? { encoder: m.gpuEncoder } : {}),
          ...(m.gpuSoftware ? { software: true } : {}),
        }),
      );
  } catch {
    /* nothing usable measured yet */
  }
  return out;
}
