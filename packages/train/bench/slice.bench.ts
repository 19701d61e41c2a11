// The paper's step at real width (bench/anchors/torch_slice.py's work): a Llama-3.1-8B-shaped slice
// (hidden 4096, MLP 14336, 32 heads / 8 KV heads, vocab 128256, llama3 RoPE) with LAYERS decoder
// layers and random fp32 weights, LoRA r=32/alpha=32/dropout 0.1 on q,k,v,o, AdamW, batch B x T,
// labels = inputs. One JSON line per recomputation policy, each measured in its own process (peak
// RSS is per process): peak_rss_mib (the process's, as torch_slice.py reports it), weights_mib,
// activation_mib (the steps' peak minus the RSS before the session and the weights the graph reads),
// train_tokens_per_s (normalised as bench/train.bench.ts's, by bench/matmul-normalised.ts:
// matmul_gflops, this machine's ONNX Runtime 2048^3 MatMul rate measured in the same process after
// the steps, achieved_gflops and fraction_of_matmul_peak), and the torch figures it compares with. With PER_LAYER=1 (default) every
// policy also runs with a single layer (same weights file), and the difference gives the
// per-layer bytes behind predicted_gpu_peak_gib for the paper's setting (32 layers, 16-bit weights).
// Env: LAYERS (2) B (1) T (2048) WARMUP (1) STEPS (1 timed) THREADS (2) POLICIES
// (layer,selective,none) CHUNK (rows per chunk of the fused cross-entropy, 256; 0 = full logits)
// VOCAB_BLOCKS (vocabulary blocks of its head product; default linearCrossEntropy's) QUERY_BLOCKS
// (attention in causal query blocks, CausalLmOptions.queryBlocks; 1)
// MEMORY_ARENA (1; 0 turns ONNX Runtime's CPU memory arena off) MEMORY_PATTERN (0; 1 turns ONNX
// Runtime's memory pattern on) PER_LAYER (1 = every policy, 0 = none,
// or a list of policies) SCORED_ROWS (1; 0 sends every position through the head, as before the
// trainer scored only the loss's: with labels = inputs that is all but each row's last) INT8 (0; 1
// holds the frozen weights in 8 bits and computes their forward products in 8-bit integers,
// TrainOptions.load_in_8bit: achieved_gflops then counts them as the float32 products they stand for).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecomputePolicy } from '@codistill/graph';
import { llama31Slice, writeRandomLlama } from '@codistill/models';
import { createLoraStep, SLICE_LORA } from './lora-step.js';
import { matmulNormalised } from './matmul-normalised.js';
import { runTorchAnchor } from './torch-anchor.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const [LAYERS, B, T, WARMUP, STEPS, THREADS, CHUNK] = ['LAYERS:2', 'B:1', 'T:2048', 'WARMUP:1', 'STEPS:1', 'THREADS:2', 'CHUNK:256'].map((s) => Number(env(...(s.split(':') as [string, string]))));
const VOCAB_BLOCKS = process.env.VOCAB_BLOCKS ? Number(process.env.VOCAB_BLOCKS) : undefined;
const QUERY_BLOCKS = Number(env('QUERY_BLOCKS', '1'));
const MEMORY_ARENA = env('MEMORY_ARENA', '1') !== '0';
const MEMORY_PATTERN = env('MEMORY_PATTERN', '0') === '1';
const SCORED_ROWS = env('SCORED_ROWS', '1') !== '0';
const INT8 = env('INT8', '0') === '1';
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Peak resident memory (VmHWM), in MiB. */
const peakMiB = () => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024);
/** Start the peak over (Linux: writing 5 to clear_refs resets VmHWM), so a step's peak is not the session creation's. */
const resetPeak = () => fs.writeFileSync('/proc/self/clear_refs', '5');

/**
 * torch 2.13 + peft 0.21, LAYERS=2, B=1, T=2048, fp32 on CPU (shared/bench/README.md). Memory
 * carries over between machines; speed does not, so no recorded throughput is compared with.
 */
const RECORDED_TORCH = { source: 'shared/bench/README.md (recorded, LAYERS=2 B=1 T=2048)', peak_rss_mib: 11634, peak_rss_mib_gc: 10422, weights_mib: 5672 };

/** One policy's step, in this process. */
async function measure(dir: string, layers: number, policy: RecomputePolicy) {
  const before = mib(process.memoryUsage().rss);
  const step = await createLoraStep(dir, { lora: SLICE_LORA, B, T, chunkRows: CHUNK, vocabBlocks: VOCAB_BLOCKS, queryBlocks: QUERY_BLOCKS, policy, scoredRowsOnly: SCORED_ROWS, runner: { threads: THREADS, memoryArena: MEMORY_ARENA, memoryPattern: MEMORY_PATTERN, prepackWeights: false, ...(INT8 ? { int8Products: { cacheDir: path.join(dir, 'int8') } } : {}) } });
  const compilePeak = peakMiB();
  const afterCompile = mib(process.memoryUsage().rss);
  resetPeak();
  let loss = NaN;
  for (let i = 0; i < WARMUP; i++) loss = (await step.run(i)).loss;
  const start = performance.now();
  for (let i = WARMUP; i < WARMUP + STEPS; i++) loss = (await step.run(i)).loss;
  const stepS = (performance.now() - start) / 1000 / STEPS;
  const stepPeak = peakMiB();
  await step.release();
  const tokensPerS = (B * T) / stepS;
  const normalised = await matmulNormalised(tokensPerS, llama31Slice(layers), { seq: T, queryBlocks: QUERY_BLOCKS, training: true, recompute: policy }, THREADS);
  return {
    policy,
    layers,
    peak_rss_mib: Math.max(compilePeak, stepPeak),
    session_peak_rss_mib: compilePeak,
    step_peak_rss_mib: stepPeak,
    rss_after_session_mib: afterCompile,
    // Weights count where they are touched: with pre-packing off ONNX Runtime reads them during the first run.
    activation_mib: stepPeak - before - mib(step.weightBytes),
    train_tokens_per_s: tokensPerS,
    step_s: stepS,
    ...normalised,
    loss,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** torch_slice.py run now when torch and peft import, for both checkpointing settings. */
function torchFigures() {
  type Figures = { peak_rss_mib: number; train_tokens_per_s: number; weights_mib: number };
  const run = (GC: number) => runTorchAnchor<Figures>('torch_slice.py', { LAYERS, B, T, STEPS, THREADS, GC });
  const plain = run(0);
  if (!plain) return RECORDED_TORCH;
  const gc = run(1)!;
  return { source: 'torch_slice.py (run now)', peak_rss_mib: plain.peak_rss_mib, peak_rss_mib_gc: gc.peak_rss_mib, weights_mib: plain.weights_mib, train_tokens_per_s: plain.train_tokens_per_s, train_tokens_per_s_gc: gc.train_tokens_per_s };
}

/** Llama-3.1-8B's parameter count: 32 layers of the slice's widths, embeddings and head. */
const PAPER_PARAMS = (() => {
  const [h, m, v, kv] = [4096, 14336, 128256, 1024];
  return 32 * (2 * h * h + 2 * kv * h + 3 * h * m + 2 * h) + 2 * v * h + h;
})();

/**
 * The paper's step on a GPU from measured bytes: 16-bit weights, 32 layers of the measured
 * per-layer activation bytes and the rest (one layer's working set, the head's chunks, LoRA and
 * AdamW state) as measured. Activations are counted at the float32 bytes measured here, so the
 * figure is an upper bound for a float16 run (whose matrix-product outputs are half the size).
 */
function predictGpuPeakGiB(full: Measured, fewer: Measured): { per_layer_mib: number; predicted_gpu_peak_gib: number } {
  const perLayer = (full.activation_mib - fewer.activation_mib) / (full.layers - fewer.layers);
  const rest = full.activation_mib - perLayer * full.layers;
  return { per_layer_mib: Math.round(perLayer), predicted_gpu_peak_gib: +((PAPER_PARAMS * 2) / 2 ** 30 + (rest + 32 * perLayer) / 1024).toFixed(1) };
}

const self = fileURLToPath(import.meta.url);
if (process.env.SLICE_CHILD) {
  const [dir, layers, policy] = process.argv.slice(2);
  console.log(JSON.stringify(await measure(dir, Number(layers), policy as RecomputePolicy)));
} else {
  const policies = env('POLICIES', 'layer,selective,none').split(',') as RecomputePolicy[];
  const perLayerList = env('PER_LAYER', '1');
  const perLayer = (policy: string) => perLayerList === '1' || perLayerList.split(',').includes(policy);
  const torch = torchFigures();
  const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-slice-')), llama31Slice(LAYERS));
  const weightsMiB = mib(fs.statSync(path.join(dir, 'model.safetensors')).size);
  /** The same weights file under a config with `layers` decoder layers: the graph reads only theirs. */
  const withLayers = (layers: number): string => {
    if (layers === LAYERS) return dir;
    const fewer = `${dir}-${layers}`;
    if (fs.existsSync(fewer)) return fewer;
    fs.mkdirSync(fewer);
    fs.symlinkSync(path.join(dir, 'model.safetensors'), path.join(fewer, 'model.safetensors'));
    fs.writeFileSync(path.join(fewer, 'config.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), num_hidden_layers: layers }));
    return fewer;
  };
  const measureOne = (layers: number, policy: RecomputePolicy): Measured =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, withLayers(layers), String(layers), policy], { encoding: 'utf8', env: { ...process.env, SLICE_CHILD: '1' } }).trim().split('\n').at(-1)!);
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length };
  try {
    // One line per policy as soon as it is measured: a long run that fails later keeps what it has.
    for (const policy of policies) {
      const r = measureOne(LAYERS, policy);
      // Against one layer: the more layers apart, the less the arena's step-wise growth blurs a layer's bytes.
      const fewer = perLayer(policy) && LAYERS > 1 ? measureOne(1, policy) : undefined;
      const speed = 'train_tokens_per_s' in torch ? { tokens_per_s_vs_torch: +(r.train_tokens_per_s / torch.train_tokens_per_s).toFixed(3) } : {};
      const memory = LAYERS === 2 && B === 1 && T === 2048 ? { peak_vs_torch_gc: +(r.peak_rss_mib / torch.peak_rss_mib_gc).toFixed(3) } : {};
      const predicted = fewer ? predictGpuPeakGiB(r, fewer) : {};
      const load = +os.loadavg()[0].toFixed(2);
      console.log(JSON.stringify({ bench: 'LoRA step, Llama-3.1-8B-wide slice, CPU fp32', ...r, weights_mib: weightsMiB, ...predicted, ...memory, ...speed, torch, B, T, threads: THREADS, chunk_rows: CHUNK, vocab_blocks: VOCAB_BLOCKS ?? 'default', query_blocks: QUERY_BLOCKS, scored_rows_only: SCORED_ROWS, load_in_8bit: INT8, memory_arena: MEMORY_ARENA, memory_pattern: MEMORY_PATTERN, ...machine, load }));
    }
  } finally {
    for (const d of [dir, `${dir}-1`]) fs.rmSync(d, { recursive: true, force: true });
  }
}
