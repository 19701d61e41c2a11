import { GraphBuilder } from '../builder.js';
import { add } from '../ops/add.js';
import { hostTensor, Runner, type ExecutionProvider } from '../runner.js';
import { missingForWebGpu } from './vulkan.js';

/**
 * Runs a one-node graph (float32 Add) on `provider`. Returns undefined when it computes the right
 * answer, else why not: on WebGPU no Vulkan loader or driver (with the fix) or no adapter; on CUDA
 * the provider's libraries missing (with the install command, and whether this machine has an
 * NVIDIA GPU at all) or a CUDA or cuDNN library that does not load. The CPU needs no probe.
 */
export function probeProvider(provider: ExecutionProvider): Promise<string | undefined> {
  if (provider === 'cpu') return Promise.resolve(undefined);
  // Read each time: the environment (VK_ICD_FILENAMES) may change between calls, and reading it is cheap.
  const missing = provider === 'webgpu' ? missingForWebGpu() : undefined;
  if (missing) return Promise.resolve(missing);
  // A session on the device is not: one probe per provider and process (`codistill run` asks in three stages).
  let probe = probes.get(provider);
  if (!probe) probes.set(provider, (probe = runProbe(provider)));
  return probe;
}

const probes = new Map<ExecutionProvider, Promise<string | undefined>>();

async function runProbe(provider: ExecutionProvider): Promise<string | undefined> {
  const g = new GraphBuilder(`${provider}-probe`);
  const x = g.input('x', 'float32', [2]);
  g.output(add(x, x), 'y');
  try {
    // allowCpuFallback: an Add has a kernel everywhere; the placement check would only cost a second session.
    const runner = await Runner.create(g.toModel(), { provider, allowCpuFallback: true });
    const { outputs } = await runner.run({ x: hostTensor('float32', [2], [1, 2]) });
    await runner.release();
    const y = Array.from(outputs.y.data as Float32Array);
    return y[0] === 2 && y[1] === 4 ? undefined : `${provider} computed [${y}] for [1,2] + [1,2]`;
  } catch (e) {
    // WebGPU's first line says it; CUDA's hint (what to install, or that there is no NVIDIA GPU) follows on the next.
    const message = (e as Error).message;
    return provider === 'webgpu' ? message.split('\n')[0] : message;
  }
}

/** Refuses a provider that cannot run here, before any model is loaded: `<setting> <provider>: why`, `setting` naming where it was chosen (`--device`, `run config: device`). */
export async function requireProvider(provider: ExecutionProvider, setting: string): Promise<void> {
  const problem = await probeProvider(provider);
  if (problem) throw new Error(`${setting} ${provider}: ${problem}`);
}

/** probeProvider('webgpu'): undefined when WebGPU computes here, else why not. */
export const probeWebGpu = (): Promise<string | undefined> => probeProvider('webgpu');
