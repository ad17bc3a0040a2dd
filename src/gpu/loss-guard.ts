// A lost device never resolves the promises of work queued on it (mapAsync, onSubmittedWorkDone
// may hang or reject vaguely): racing every wait against device.lost turns a loss into one
// clear error, at once.

/** The device was lost during a measurement: no result of that run can be trusted. */
export class GpuDeviceLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuDeviceLostError';
  }
}

export type Guard = <T>(p: Promise<T>) => Promise<T>;

/** `onLost` runs once when the device is lost (e.g. to forget it and re-acquire next time). */
export function lossGuard(device: Pick<GPUDevice, 'lost'>, onLost?: () => void): Guard {
  const lost: Promise<never> = device.lost.then((info) => {
    onLost?.();
    throw new GpuDeviceLostError(
      `The GPU device was lost during the measurement (${info.reason}${info.message ? `: ${info.message}` : ''}). ` +
        'Measure again to start on a fresh device.',
    );
  });
  lost.catch(() => {}); // observed through the guard only
  return (p) => Promise.race([p, lost]);
}
