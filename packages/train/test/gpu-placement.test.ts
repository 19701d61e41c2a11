// Where codistill's graphs run on WebGPU (a software Vulkan device in CI: scripts/install-lavapipe.sh),
// whether they compute what the CPU computes, and which of their ops have CUDA kernels (static).
import {
  cpuFallbacks,
  cudaKernelGaps,
  hostTensor,
  isHalf,
  maxRelativeError,
  probeWebGpu,
  Runner,
  toFloat32,
  valueDTypes,
  type ExecutionProvider,
  type HostTensor,
  type ModelIR,
} from '@codistill/graph';
import { Checkpoint, KvCache, type ComputeDtype } from '@codistill/models';
import { decodeGraph, decodeRun, embedderRun, oddDropoutRun, prompt, student, trainStepRun, type GpuRun } from './gpu-graphs.js';

const externalDataDir = new Checkpoint(student).externalDataDir;

/** How close a WebGPU run's outputs must come to the CPU's. */
interface Tolerance {
  /** Largest |gpu - cpu| of a scalar output (a loss), relative to |cpu| when `relative`. */
  scalar: number;
  relative?: boolean;
  /** Largest maxRelativeError (relative to the output's largest element) of every other output. */
  tensor: number;
}

/** float32 on both providers. */
const FLOAT32: Tolerance = { scalar: 1e-5, tensor: 1e-4 };
/** A float16 training step against the float32 CPU step: float16 activations (11 mantissa bits) through two layers and the structural loss, a few percent. */
const FLOAT16_TRAIN: Tolerance = { scalar: 1e-2, relative: true, tensor: 1e-1 };
/** float16 decoding against float32: logits, keys and values to float16 precision. */
const FLOAT16_DECODE: Tolerance = { scalar: 0, tensor: 2e-2 };

interface GpuGraph {
  build: () => GpuRun;
  /** The graph whose CPU run this one's WebGPU run is compared with: a float16 graph's float32 twin; default itself. */
  cpu?: string;
  tolerance: Tolerance;
}

const MEMORY_SAVING = 'train, chunked cross-entropy and layer recomputation';
/**
 * Every graph codistill runs on a GPU, each placed and run once on WebGPU. The training steps run
 * with dropout on; the memory-saving ones as the paper preset trains (structural loss, chunked
 * cross-entropy with its code-position chunks recomputed, layer recomputation, causal query blocks).
 */
const GRAPHS: Record<string, GpuGraph> = {
  decode: { build: () => decodeRun(), tolerance: FLOAT32 },
  'decode with LoRA': { build: () => decodeRun('float32', true), tolerance: FLOAT32 },
  'float16 decode': { build: () => decodeRun('float16'), cpu: 'decode', tolerance: FLOAT16_DECODE },
  'float16 decode with LoRA': { build: () => decodeRun('float16', true), cpu: 'decode with LoRA', tolerance: FLOAT16_DECODE },
  embedder: { build: embedderRun, tolerance: FLOAT32 },
  'dropout on a value with no dim known to be even': { build: oddDropoutRun, tolerance: FLOAT32 },
  train: { build: () => trainStepRun(), tolerance: FLOAT32 },
  'float16 train': { build: () => trainStepRun('float16'), cpu: 'train', tolerance: FLOAT16_TRAIN },
  [MEMORY_SAVING]: { build: () => trainStepRun('float32', true), tolerance: FLOAT32 },
  [`float16 ${MEMORY_SAVING}`]: { build: () => trainStepRun('float16', true), cpu: MEMORY_SAVING, tolerance: FLOAT16_TRAIN },
};

/** Graphs for CUDA alone: --bf16 trains there only. */
const CUDA_GRAPHS: Record<string, () => GpuRun> = {
  'bfloat16 train': () => trainStepRun('bfloat16'),
  [`bfloat16 ${MEMORY_SAVING}`]: () => trainStepRun('bfloat16', true),
};
const build = (name: string): GpuRun => (GRAPHS[name]?.build ?? CUDA_GRAPHS[name])();

test.each([...Object.keys(GRAPHS), ...Object.keys(CUDA_GRAPHS)])('every op of the %s graph has a CUDA kernel for its dtypes at opset 18', (name) => {
  expect(cudaKernelGaps(build(name).model)).toEqual([]);
});

/**
 * Scatters that add, with their data dtype: WebGPU's ScatterND adds only 32-bit types and fails
 * when the node runs (placement cannot see it); CUDA's adds float16 with float16 atomics and
 * bfloat16 not at all. Gather's and GatherElements' gradients add in float32.
 */
function halfScatters(model: ModelIR): string[] {
  const types = valueDTypes(model);
  return model.graph.nodes.flatMap((n) => (n.op.startsWith('Scatter') && (n.attrs.reduction ?? 'none') !== 'none' && isHalf(types.get(n.inputs[0])!) ? [`${n.name} (${n.op}, ${types.get(n.inputs[0])})`] : []));
}

test.each([...Object.keys(GRAPHS), ...Object.keys(CUDA_GRAPHS)].filter((name) => name.includes('16')))('no scatter of the %s graph adds in 16 bits', (name) => {
  expect(halfScatters(build(name).model)).toEqual([]);
});

/**
 * Device <-> host copies a run may make: the input_ids feed, which ONNX Runtime uploads through a
 * MemcpyFromHost node because CPU shape nodes read it too (the decode graphs). Measured on Mesa's
 * lavapipe with onnxruntime-node 1.30; the embedder and the training steps make none.
 */
const FEED_COPIES = 1;

/** Each output's error against the CPU's (see Tolerance), and those beyond the tolerance. */
function compare(gpu: Record<string, HostTensor>, cpu: Record<string, HostTensor>, tol: Tolerance) {
  const errors: Record<string, number> = {};
  const failures: string[] = [];
  for (const [name, expected] of Object.entries(cpu)) {
    const [a, b] = [toFloat32(gpu[name]), toFloat32(expected)];
    const scalar = b.length === 1;
    const error = scalar ? Math.abs(a[0] - b[0]) / (tol.relative ? Math.abs(b[0]) : 1) : maxRelativeError(a, b);
    errors[name] = error;
    if (!(error <= (scalar ? tol.scalar : tol.tensor))) failures.push(`${name}: ${scalar ? `${a[0]} against ${b[0]}` : `relative error ${error}`}`);
  }
  return { errors, failures };
}

describe('on WebGPU', () => {
  let broken: string | undefined;
  beforeAll(async () => {
    broken = await probeWebGpu();
    if (broken) console.warn(`WebGPU tests skipped: ${broken}`);
  });

  /** One run of a graph on a provider: its placement and every output. */
  async function runOn(provider: ExecutionProvider, { model, feeds }: GpuRun) {
    const runner = await Runner.create(model, { provider, allowCpuFallback: true, placement: provider !== 'cpu', externalDataDir });
    try {
      return { placement: runner.placement, outputs: (await runner.run(feeds)).outputs };
    } finally {
      await runner.release();
    }
  }

  // Each reference graph runs on the CPU once, for itself and its float16 twin.
  const cpuRuns = new Map<string, Promise<Record<string, HostTensor>>>();
  const cpuOutputs = (name: string) => cpuRuns.get(name) ?? cpuRuns.set(name, runOn('cpu', GRAPHS[name].build()).then((r) => r.outputs)).get(name)!;

  test.each(Object.keys(GRAPHS))('every compute node of the %s graph runs on the GPU, and a run gives the CPU outputs', async (name) => {
    if (broken) return;
    const graph = GRAPHS[name];
    const { placement: p, outputs } = await runOn('webgpu', graph.build());
    const fallbacks = cpuFallbacks(p!);
    const { errors, failures } = compare(outputs, await cpuOutputs(graph.cpu ?? name), graph.tolerance);
    const worst = Object.entries(errors).reduce((a, b) => (b[1] > a[1] ? b : a));
    console.log(`${name}: ${p!.gpuNodes} nodes on WebGPU, ${p!.cpuNodes.length} on the CPU (shape arithmetic), ${p!.memcpyNodes} copies; against the CPU${graph.cpu ? ` (${graph.cpu})` : ''}: largest error ${worst[1]} (${worst[0]})`);
    expect(fallbacks).toEqual({});
    expect(p!.memcpyNodes).toBeLessThanOrEqual(name.includes('decode') ? FEED_COPIES : 0);
    expect(failures).toEqual([]);
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
