import { probeProvider } from '@codistill/graph';
import type { TrainOptions } from './options.js';

/**
 * Refuses a device that cannot run here (CUDA without its libraries or an NVIDIA GPU, WebGPU
 * without a Vulkan device), by running a one-node graph on it: before the output folder is made,
 * the data read or the model built.
 */
export async function checkDevice(o: TrainOptions): Promise<void> {
  const problem = await probeProvider(o.device);
  if (problem) throw new Error(`device (--device) ${o.device}: ${problem}`);
}
