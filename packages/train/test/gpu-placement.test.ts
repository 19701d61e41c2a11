// Where codistill's graphs run on WebGPU (a software Vulkan device in CI: scripts/install-lavapipe.sh),
// whether they compute what the CPU computes, and which of their ops have CUDA kernels (static).
import {
  cpuFallbacks,
  dropoutFeeds,
  cudaKernelGaps,
  hostTensor,
  maxRelativeError,
  probeWebGpu,
  Runner,
  toFloat32,
  TrainStep,
  type ExecutionProvider,
  type ModelIR,
  type Placement,
  type StepResult,
} from '@codistill/graph';
import { Checkpoint, KvCache, type ComputeDtype } from '@codistill/models';
import { decodeGraph, embedderGraph, oddDropoutGraph, prompt, student, trainFeeds, trainGraph, trainStepModel } from './gpu-graphs.js';

const externalDataDir = new Checkpoint(student).externalDataDir;
const GRAPHS: Record<string, () => ModelIR> = {
  decode: () => decodeGraph(),
  'decode with LoRA': () => decodeGraph('float32', true),
  'float16 decode': () => decodeGraph('float16'),
  'float16 decode with LoRA': () => decodeGraph('float16', true),
  embedder: embedderGraph,
  'dropout on a value with no dim known to be even': oddDropoutGraph,
  train: () => trainStepModel(),
  'float16 train': () => trainStepModel('float16'),
  'train, chunked cross-entropy and layer recomputation': () => trainStepModel('float32', true),
  'float16 train, chunked cross-entropy and layer recomputation': () => trainStepModel('float16', true),
};

test.each(Object.keys(GRAPHS))('every op of the %s graph has a CUDA kernel for its dtypes at opset 18', (name) => {
  expect(cudaKernelGaps(GRAPHS[name]())).toEqual([]);
});

/**
 * Device <-> host copies a run may make: the input_ids feed, which ONNX Runtime uploads through a
 * MemcpyFromHost node because CPU shape nodes read it too (the decode graphs). Measured on Mesa's
 * lavapipe with onnxruntime-node 1.30; the embedder and the training steps make none.
 */
const FEED_COPIES = 1;

describe('on WebGPU', () => {
  let broken: string | undefined;
  beforeAll(async () => {
    broken = await probeWebGpu();
    if (broken) console.warn(`WebGPU tests skipped: ${broken}`);
  });

  const placementOf = async (model: ModelIR): Promise<Placement> => {
    const runner = await Runner.create(model, { provider: 'webgpu', allowCpuFallback: true, placement: true, externalDataDir });
    await runner.release();
    return runner.placement!;
  };

  test.each(Object.keys(GRAPHS))('every compute node of the %s graph runs on the GPU', async (name) => {
    if (broken) return;
    const p = await placementOf(GRAPHS[name]());
    const fallbacks = cpuFallbacks(p);
    console.log(`${name}: ${p.gpuNodes} nodes on WebGPU, ${p.cpuNodes.length} on the CPU (shape arithmetic), ${p.memcpyNodes} copies`);
    expect(fallbacks).toEqual({});
    expect(p.memcpyNodes).toBeLessThanOrEqual(name.includes('decode') ? FEED_COPIES : 0);
  });

  /** One training step of the tiny model on a provider (dropout masks are a hash of the seed: the same on every provider). */
  async function trainStep(provider: ExecutionProvider, dtype: ComputeDtype = 'float32', memorySaving = false, dropout = 0): Promise<StepResult> {
    const { loss, params, fetch, weights, recompute } = trainGraph(dropout, dtype, memorySaving);
    const step = await TrainStep.create(loss, params, { provider, externalDataDir, fetch, recompute });
    try {
      return await step.run(weights, { ...trainFeeds(memorySaving), ...(dropout ? dropoutFeeds(7) : {}) });
    } finally {
      await step.release();
    }
  }

  test('a training step on WebGPU gives the CPU step loss and gradients', async () => {
    if (broken) return;
    const [cpu, gpu] = [await trainStep('cpu'), await trainStep('webgpu')];
    const errors = Object.keys(cpu.grads).map((n) => maxRelativeError(gpu.grads[n], cpu.grads[n]));
    console.log(`training step: loss cpu ${cpu.loss} webgpu ${gpu.loss} (|diff| ${Math.abs(cpu.loss - gpu.loss)}); max gradient relative error ${Math.max(...errors)}`);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-5);
    expect(Math.max(...errors)).toBeLessThan(1e-4);
  });

  test('with dropout, chunked cross-entropy, layer recomputation and causal query blocks, the WebGPU step gives the CPU step', async () => {
    if (broken) return;
    const [cpu, gpu] = [await trainStep('cpu', 'float32', true, 0.3), await trainStep('webgpu', 'float32', true, 0.3)];
    const errors = Object.keys(cpu.grads).map((n) => maxRelativeError(gpu.grads[n], cpu.grads[n]));
    console.log(`memory-saving training step with dropout: loss cpu ${cpu.loss} webgpu ${gpu.loss}; max gradient relative error ${Math.max(...errors)}`);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-5);
    expect(Math.max(...errors)).toBeLessThan(1e-4);
  });

  test('a float16 training step on WebGPU stays close to the float32 CPU step', async () => {
    if (broken) return;
    const [cpu, gpu] = [await trainStep('cpu'), await trainStep('webgpu', 'float16')];
    const errors = Object.keys(cpu.grads).map((n) => maxRelativeError(gpu.grads[n], cpu.grads[n]));
    console.log(`float16 training step: loss cpu ${cpu.loss} webgpu ${gpu.loss}; max gradient relative error ${Math.max(...errors)}`);
    expect(Math.abs(gpu.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-2);
    // float16 activations (11 mantissa bits) through two layers and the structural loss: a few percent.
    expect(Math.max(...errors)).toBeLessThan(1e-1);
  });

  /** Each step's last logits of greedy decoding through the KV cache: the prompt, then one token a run. */
  async function greedy(provider: ExecutionProvider, steps: number, dtype: ComputeDtype = 'float32'): Promise<{ ids: number[]; logits: Float32Array[] }> {
    const model = decodeGraph(dtype);
    const runner = await Runner.create(model, { provider, externalDataDir });
    const ids = Array.from(prompt().ids.data as BigInt64Array, Number);
    const pasts = model.graph.inputs.filter((v) => v.name.startsWith('past_key_values'));
    const cache = new KvCache({ layers: pasts.length / 2, kvHeads: Number(pasts[0].shape[2]), headDim: Number(pasts[0].shape[3]) }, 1, ids.length + steps, dtype);
    const logits: Float32Array[] = [];
    for (let s = 0, fed = 0; s < steps; s++, fed = ids.length - 1) {
      const fresh = ids.slice(fed);
      const feeds = { ...cache.past(), input_ids: hostTensor('int64', [1, fresh.length], fresh), attention_mask: hostTensor('int64', [1, ids.length], ids.map(() => 1)) };
      const { outputs } = await runner.run(feeds);
      cache.append(outputs);
      logits.push(toFloat32(outputs.logits));
      ids.push(logits[s].indexOf(Math.max(...logits[s])));
    }
    await runner.release();
    return { ids, logits };
  }

  test('greedy decoding through the KV cache on WebGPU picks the CPU tokens', async () => {
    if (broken) return;
    const [cpu, gpu] = [await greedy('cpu', 8), await greedy('webgpu', 8)];
    console.log(`greedy: cpu ${cpu.ids.join(' ')} | webgpu ${gpu.ids.join(' ')}`);
    expect(gpu.ids).toEqual(cpu.ids);
  });

  test('float16 decoding on WebGPU gives the float32 CPU logits to float16 precision', async () => {
    if (broken) return;
    const [cpu, gpu] = [await greedy('cpu', 4), await greedy('webgpu', 4, 'float16')];
    // Same tokens fed to both: compare the first step's logits, and the later ones while the tokens agree.
    const agree = cpu.ids.findIndex((id, i) => gpu.ids[i] !== id);
    const steps = agree < 0 ? cpu.logits.length : Math.max(1, agree - (cpu.ids.length - cpu.logits.length));
    const error = Math.max(...cpu.logits.slice(0, steps).map((l, i) => maxRelativeError(gpu.logits[i], l)));
    console.log(`float16 decode: max logits relative error ${error} over ${steps} steps`);
    expect(error).toBeLessThan(2e-2);
  });
});
