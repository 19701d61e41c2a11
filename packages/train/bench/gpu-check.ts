// The prepared GPU check (scripts/gpu-check.sh runs it): on a random ~1B-parameter Llama, for each
// execution provider this machine has (cpu, then webgpu and cuda when present), it reports which
// provider runs each node of the training step and the decode graph, runs one LoRA training step
// and greedy decoding, compares both with the CPU's, and prints tokens/s and the device memory
// peak. It also runs one step of the paper preset's combination as the trainer builds it (float16
// on a GPU, the structural loss, 256-row chunked cross-entropy, layer recomputation) against the
// CPU's (which computes it in float32). One JSON line per provider, then a summary line. Installs
// nothing, downloads nothing.
// Env: SHAPE (1b | tiny: a 2-layer 256-wide model for a smoke run), T (512), QUERY_BLOCKS (4: attention in
// causal query blocks, as the trainer's default at the paper's max_length), NEW_TOKENS (32), THREADS,
// CODEBERT (a CodeBERT checkpoint folder for the preset step; default the tiny test fixture).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableProviders, cpuFallbacks, dropoutFeeds, GradScaler, hostTensor, maxRelativeError, mulberry32, probeWebGpu, Runner, TrainStep, type ExecutionProvider, type Placement } from '@codistill/graph';
import { buildCausalLm, Checkpoint, Generator, writeRandomLlama, type LlamaShape } from '@codistill/models';
import { initLoraWeights } from '@codistill/lora';
import { scoredRows, shiftLabels } from '@codistill/losses';
import { codePositionFeeds } from '@codistill/codebert';
import { LOSS_ROWS } from '../src/collate.js';
import { parseTrainOptions } from '../src/options.js';
import { buildTrainGraph } from '../src/train-graph.js';
import { createLoraStep } from './lora-step.js';

const SHAPES: Record<string, LlamaShape> = {
  // TinyLlama-1.1B's widths: 1.1 B parameters.
  '1b': { vocab_size: 32000, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4 },
  tiny: { vocab_size: 1024, hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 },
};
const shape = SHAPES[process.env.SHAPE ?? '1b'];
if (!shape) throw new Error(`SHAPE must be one of ${Object.keys(SHAPES).join(', ')}`);
const T = Number(process.env.T ?? 512);
const QUERY_BLOCKS = Number(process.env.QUERY_BLOCKS ?? 4);
const NEW_TOKENS = Number(process.env.NEW_TOKENS ?? 32);
const THREADS = process.env.THREADS ? Number(process.env.THREADS) : undefined;
// B random too (not PEFT's zeros), so every gradient is non-zero and comparable.
const LORA = { r: 16, lora_alpha: 32, lora_dropout: 0.1, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], init_lora_weights: false };

/** Highest GPU memory in use (MiB, all processes) while `fn` runs, sampled by nvidia-smi; undefined without it. */
async function deviceMemoryPeak<T>(fn: () => Promise<T>): Promise<{ result: T; peakMiB?: number }> {
  const smi = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '200'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let peak: number | undefined;
  smi.on('error', () => undefined);
  smi.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) peak = Math.max(peak ?? 0, ...line.split(',').map(Number));
  });
  try {
    return { result: await fn(), peakMiB: peak };
  } finally {
    smi.kill();
  }
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'test', 'fixtures');
const CODEBERT = process.env.CODEBERT ?? path.join(FIXTURES, 'tiny-roberta');

/**
 * One step of the paper preset's combination, built by the trainer's buildTrainGraph: bfloat16 on
 * CUDA as the preset, float16 on WebGPU (which has no bfloat16 kernels; the CPU computes in float32), the structural loss, chunked cross-entropy of 256 rows with its
 * code-position chunks recomputed, layer recomputation, dropout on. The batch: one row of T, its
 * first quarter a prompt, a code span in its second half. An error (a kernel failing when it runs)
 * is reported, not thrown, so the rest of the check still prints.
 */
async function presetStep(provider: ExecutionProvider, dir: string) {
  const codebertDim = (JSON.parse(fs.readFileSync(path.join(CODEBERT, 'config.json'), 'utf8')) as { hidden_size: number }).hidden_size;
  const o = parseTrainOptions({
    model_name_or_path: dir,
    train_file: '-',
    output_dir: '-',
    codebert: CODEBERT,
    lora: LORA,
    bf16: provider === 'cuda',
    fp16: provider === 'webgpu',
    device: provider,
    per_device_train_batch_size: 1,
    max_length: T,
    chunked_cross_entropy: 256,
    gradient_checkpointing: 'layer',
    attention_query_blocks: QUERY_BLOCKS,
  });
  const { loss, params, modules, fetch, recompute, codeCapacity, lossScale } = buildTrainGraph(o, codebertDim, path.join(dir, 'cache'), () => undefined);
  const rand = mulberry32(1);
  const ids = Array.from({ length: T }, () => Math.floor(rand() * shape.vocab_size));
  const { labels, weights } = shiftLabels(ids, ids.map((_, i) => (i >= T / 4 ? 1 : 0)), 1, T);
  const code = codePositionFeeds([{ start: T / 2, end: T / 2 + Math.min(T / 4, codeCapacity!) }], T, codeCapacity!);
  const feeds = {
    input_ids: hostTensor('int64', [1, T], ids),
    attention_mask: hostTensor('int64', [1, T], new Array(T).fill(1)),
    labels: hostTensor('int32', [1, T], Int32Array.from(labels, Number)),
    loss_weights: hostTensor('float32', [1, T], weights),
    [LOSS_ROWS]: scoredRows(weights),
    code_positions: hostTensor('int32', [code.C], code.positions),
    code_mask: hostTensor('int32', [1, code.C], code.mask),
    gt_embedding: hostTensor('float32', [1, codebertDim], Array.from({ length: codebertDim }, () => rand() - 0.5)),
    alpha: hostTensor('float32', [], [0.85]),
    beta: hostTensor('float32', [], [0.15]),
    ...dropoutFeeds(7),
  };
  try {
    const step = await TrainStep.create(loss, params, { provider, threads: THREADS, allowCpuFallback: true, prepackWeights: false, fetch, recompute, lossScale });
    // float16 scales its loss as the trainer does (GradScaler's first scale); the gradients are compared unscaled.
    const scaler = lossScale ? new GradScaler() : undefined;
    try {
      const t0 = performance.now();
      const r = await step.run(initLoraWeights(o.lora, modules, 0), { ...feeds, ...scaler?.feeds() });
      const overflowed = scaler ? !scaler.unscale(r.grads) : false;
      return { dtype: o.dtype, loss: r.loss, grads: r.grads, lossScale: scaler?.scale, overflowed, firstStepS: (performance.now() - t0) / 1000 };
    } finally {
      await step.release();
    }
  } catch (e) {
    return { dtype: o.dtype, error: (e as Error).message.split('\n')[0] };
  }
}

const counts = (p: Placement) => ({ gpu_nodes: p.gpuNodes, cpu_nodes: p.cpuNodes.length, cpu_fallbacks: cpuFallbacks(p), copies_per_run: p.memcpyNodes });

async function decodePlacement(provider: ExecutionProvider, dir: string) {
  const runner = await Runner.create(buildCausalLm(new Checkpoint(dir), { kvCache: true, logits: 'last' }).toModel(), { provider, placement: true, allowCpuFallback: true });
  await runner.release();
  return counts(runner.placement!);
}

async function check(provider: ExecutionProvider, dir: string) {
  const runner = { provider, threads: THREADS, allowCpuFallback: true };
  const gpu = provider !== 'cpu';
  const decode = gpu ? await decodePlacement(provider, dir) : undefined;
  const { result, peakMiB } = await deviceMemoryPeak(async () => {
    const step = await createLoraStep(dir, { lora: LORA, B: 1, T, chunkRows: 256, policy: 'layer', queryBlocks: QUERY_BLOCKS, runner: { ...runner, placement: gpu } });
    const placement = gpu ? { train_step: counts(step.placement!), decode } : undefined;
    const first = await step.run(0);
    const t0 = performance.now();
    await step.run(1);
    const stepS = (performance.now() - t0) / 1000;
    await step.release();
    const gen = await Generator.create(new Checkpoint(dir), runner);
    const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919) % shape.vocab_size);
    const out = await gen.generate(hostTensor('int64', [1, 64], prompt), hostTensor('int64', [1, 64], new Array(64).fill(1)), { maxNewTokens: NEW_TOKENS, eosTokenIds: [] });
    await gen.release();
    const preset = await presetStep(provider, dir);
    return { placement, loss: first.loss, grads: first.grads, stepS, tokens: out.tokenIds[0], decodeTokensPerS: (NEW_TOKENS - 1) / (out.decodeMs / 1000), preset };
  });
  return { provider, ...result, peakMiB };
}

type PresetResult = Awaited<ReturnType<typeof presetStep>>;

/** The preset step's line: its loss and gradients against the CPU's, or its error. */
function presetReport(r: PresetResult, cpu: PresetResult) {
  if (r.error !== undefined || cpu.error !== undefined) return { dtype: r.dtype, error: r.error ?? `the CPU step failed: ${cpu.error}` };
  const gradError = Math.max(...Object.keys(cpu.grads!).map((n) => maxRelativeError(r.grads![n], cpu.grads![n])));
  const scaled = r.lossScale !== undefined ? { loss_scale: r.lossScale, overflowed: r.overflowed } : {};
  return { dtype: r.dtype, loss: r.loss, loss_rel_diff_vs_cpu: Math.abs(r.loss! - cpu.loss!) / Math.abs(cpu.loss!), grad_max_rel_err_vs_cpu: gradError, ...scaled, first_step_s: r.firstStepS };
}

const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-gpu-check-')), shape);
// The structural loss's bridge reads the student's tokenizer: the random model borrows the tiny
// Llama's (ids past its 384 map to zero rows of the bridge).
fs.copyFileSync(path.join(FIXTURES, 'tiny-llama', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
try {
  const providers: ExecutionProvider[] = ['cpu'];
  const webgpuMissing = await probeWebGpu();
  if (webgpuMissing === undefined) providers.push('webgpu');
  if (availableProviders().has('cuda')) providers.push('cuda');
  const results = [];
  for (const provider of providers) {
    const r = await check(provider, dir);
    const cpu = results[0] ?? r;
    const gradError = Math.max(...Object.keys(cpu.grads).map((n) => maxRelativeError(r.grads[n], cpu.grads[n])));
    results.push(r);
    console.log(
      JSON.stringify({
        provider,
        placement: r.placement,
        loss: r.loss,
        loss_rel_diff_vs_cpu: Math.abs(r.loss - cpu.loss) / Math.abs(cpu.loss),
        grad_max_rel_err_vs_cpu: gradError,
        greedy_tokens_equal_cpu: r.tokens.every((t, i) => t === cpu.tokens[i]),
        paper_preset: presetReport(r.preset, cpu.preset),
        train_tokens_per_s: T / r.stepS,
        decode_tokens_per_s: r.decodeTokensPerS,
        device_memory_peak_mib: r.peakMiB ?? null,
      }),
    );
  }
  console.log(JSON.stringify({ summary: true, providers, ...(webgpuMissing ? { webgpu_missing: webgpuMissing } : {}), shape, T, query_blocks: QUERY_BLOCKS, new_tokens: NEW_TOKENS, cpu: os.cpus()[0]?.model, cores: os.cpus().length }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
