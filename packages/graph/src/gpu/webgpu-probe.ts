import { GraphBuilder } from '../builder.js';
import { add } from '../ops/add.js';
import { hostTensor, Runner } from '../runner.js';
import { missingForWebGpu } from './vulkan.js';

/**
 * Runs a one-node graph (float32 Add) on the WebGPU provider. Returns undefined when it computes
 * the right answer, else why not (no Vulkan loader or driver, with the fix; no adapter; ...).
 */
export async function probeWebGpu(): Promise<string | undefined> {
  const missing = missingForWebGpu();
  if (missing) return missing;
  const g = new GraphBuilder('webgpu-probe');
  const x = g.input('x', 'float32', [2]);
  g.output(add(x, x), 'y');
  try {
    const runner = await Runner.create(g.toModel(), { provider: 'webgpu' });
    const { outputs } = await runner.run({ x: hostTensor('float32', [2], [1, 2]) });
    await runner.release();
    const y = Array.from(outputs.y.data as Float32Array);
    return y[0] === 2 && y[1] === 4 ? undefined : `WebGPU computed [${y}] for [1,2] + [1,2]`;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
