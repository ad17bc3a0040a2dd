// hp-lab gpu-info: the WebGPU adapter this machine offers (Dawn in Node), its features and limits.
import { nodeGpu } from '../../gpu/node-gpu';

export const usage = 'hp-lab gpu-info\n  Prints the WebGPU adapter (via Dawn), its features and limits as JSON.';

export async function run(): Promise<unknown> {
  const { caps, device } = await nodeGpu();
  device.destroy();
  return { adapter: caps.label, ...caps };
}
