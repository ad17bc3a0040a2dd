// The page's GPU state, shared by every panel: which adapter, or why there is none.
import { GpuSession, type GpuStatus } from '../../lab/gpu-session';

export const gpu = $state<{ status: GpuStatus }>({ status: { state: 'probing' } });

let session: GpuSession | undefined;

export function startGpu(): GpuSession {
  session ??= new GpuSession((navigator as Navigator & { gpu?: GPU }).gpu, (status) => {
    gpu.status = status; // a statement, not an expression: its value is never read
  });
  void session.start();
  return session;
}

/** True when GPU work can run now. */
export function gpuReady(status: GpuStatus): status is Extract<GpuStatus, { state: 'ready' }> {
  return status.state === 'ready';
}
