// LoRA training throughput on the PyTorch anchor's shape and work (bench/anchors/torch_lora_anchor.py):
// 58 M-parameter Llama, LoRA r=32 alpha=32 on q_proj+v_proj, dropout 0.1, AdamW, batch 4 x 256,
// labels = inputs, 2 threads; 2 warm-up steps, then STEPS timed ones. Prints one JSON line with
// train_tokens_per_s and peak_rss_mib, the anchor's figures and the ratios: the memory ratio
// always (memory carries over between machines), the throughput ratio only against torch run now.
// Throughput is also normalised by this machine's ONNX Runtime MatMul rate (same process, same
// threads, measured before and after the steps: their mean, both, and the fraction against each as
// fraction_range): achieved_gflops, fraction_of_matmul_peak, and against torch + PEFT's recorded fraction
// of the same peak (shared/bench/README.md: 0.67 x ORT's MatMul GFLOP/s / 0.175 GFLOP per token).
// Env: B T STEPS THREADS, INT8=1 (the frozen weights in 8 bits, as load_in_8bit), LORA_ALPHA (32, the anchor's: scaling 1), LORA_DROPOUT (0.1, the anchor's), MEMORY_ARENA=0, MEMORY_PATTERN=1, PREPACK=1 (ONNX Runtime pre-packs weights; off as the
// trainer runs), GRADIENT_CHECKPOINTING (none|layer|selective), CHUNK (rows per chunk of the fused
// cross-entropy, default 256 as the trainer's; 0 = full logits), VOCAB_BLOCKS (vocabulary blocks of its head
// product; default linearCrossEntropy's), QUERY_BLOCKS (attention in causal query blocks, default 1),
// PROMPT_FRACTION (each row's first share of positions out of the loss, as SFT prompts; default 0:
// the normalised figures still count the head for every position, and torch computes every
// position's logits either way, so its run stays labels = inputs), SCORED_ROWS=0 (send every
// position through the head, as before the trainer scored only the loss's; default 1), PROFILE=1 (ONNX Runtime's profile of
// the timed steps: kernel time by op type, top_ops, step_breakdown (products, other kernels, time
// between kernels, the products' GFLOP/s), and the trace's profile_file; profiling costs some speed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMatrixProduct, measureMatmulGflops, profileRuns, summariseProfile, type KernelEvent, type RecomputePolicy } from '@codistill/graph';
import { ANCHOR_SHAPE, llamaFlopsPerToken, writeRandomLlama } from '@codistill/models';
import { createLoraStep } from './lora-step.js';
import { matmulNormalised } from './matmul-normalised.js';
import { runTorchAnchor } from './torch-anchor.js';

const B = Number(process.env.B ?? 4);
const T = Number(process.env.T ?? 256);
const STEPS = Number(process.env.STEPS ?? 5);
const THREADS = Number(process.env.THREADS ?? 2);
const MEMORY_ARENA = process.env.MEMORY_ARENA !== '0';
const MEMORY_PATTERN = process.env.MEMORY_PATTERN === '1';
const PREPACK = process.env.PREPACK === '1';
const INT8 = process.env.INT8 === '1';
const POLICY = (process.env.GRADIENT_CHECKPOINTING ?? 'none') as RecomputePolicy;
const CHUNK = Number(process.env.CHUNK ?? 256);
const VOCAB_BLOCKS = process.env.VOCAB_BLOCKS ? Number(process.env.VOCAB_BLOCKS) : undefined;
const QUERY_BLOCKS = Number(process.env.QUERY_BLOCKS ?? 1);
const PROMPT_FRACTION = Number(process.env.PROMPT_FRACTION ?? 0);
const SCORED_ROWS = process.env.SCORED_ROWS !== '0';
// The matrix products computed per trained token (causal query blocks skip part of attention's).
const FLOPS = { seq: T, training: true, recompute: POLICY, queryBlocks: QUERY_BLOCKS };
const PROFILE = process.env.PROFILE === '1' ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-profile-')), 'step') : undefined;
const TORCH_FRACTION_OF_MATMUL = 0.67;
const TORCH_GFLOP_PER_TOKEN = 0.175;
const LORA = { r: 32, lora_alpha: Number(process.env.LORA_ALPHA ?? 32), lora_dropout: Number(process.env.LORA_DROPOUT ?? 0.1), target_modules: ['q_proj', 'v_proj'] };
// torch 2.13 + peft 0.21's peak on this shape (shared/bench/README.md, the lower of the recorded
// figures), used when torch cannot run here: memory carries over between machines, speed does not.
const RECORDED_ANCHOR = { peak_rss_mib: 1668, source: 'shared/bench/README.md (recorded peak; no throughput: speed does not carry over)' };

/** The anchor run beside us when torch is importable; else the recorded figures. */
function anchor(): { peak_rss_mib: number; train_tokens_per_s?: number; source: string } {
  const now = runTorchAnchor<{ train_tokens_per_s: number; peak_rss_mib: number }>('torch_lora_anchor.py', { B, T, STEPS, THREADS });
  return now ? { ...now, source: 'torch_lora_anchor.py (run now)' } : RECORDED_ANCHOR;
}

/**
 * A timed step's milliseconds (from the profile; profiling slows the step a little): matrix
 * products, other kernels, and the time between kernels (mostly the profiler's own, ~17 us a
 * node: without it a node costs ONNX Runtime well under 1 us beside its kernel); and the products' own
 * GFLOP/s, which the MatMul probe's rate in the same run puts in proportion (the fraction of the
 * MatMul rate is about products_ms / step_ms x products_gflops / matmul_gflops).
 */
function stepBreakdown(file: string, stepS: number) {
  const runs = profileRuns(file, 2);
  const ms = (keep: (e: KernelEvent) => boolean) => runs.flat().reduce((a, e) => a + (keep(e) ? e.us : 0), 0) / runs.length / 1000;
  const [products, kernels] = [ms(isMatrixProduct), ms(() => true)];
  const gflop = (B * T * llamaFlopsPerToken(ANCHOR_SHAPE, FLOPS)) / 1e9;
  const round = (v: number) => +v.toFixed(1);
  return { step_ms: round(stepS * 1000), products_ms: round(products), other_kernels_ms: round(kernels - products), between_kernels_ms: round(stepS * 1000 - kernels), products_gflops: round(gflop / (products / 1000)) };
}

// The MatMul rate before the steps, while the process is small (the other after them, see matmulNormalised).
const matmulBefore = await measureMatmulGflops(THREADS);
// The checkpoint streams to disk (writeRandomLlama holds one chunk at a time): it adds nothing to our peak.
const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-train-bench-')));
const t0 = performance.now();
const step = await createLoraStep(dir, { lora: LORA, B, T, chunkRows: CHUNK, vocabBlocks: VOCAB_BLOCKS, policy: POLICY, queryBlocks: QUERY_BLOCKS, promptFraction: PROMPT_FRACTION, scoredRowsOnly: SCORED_ROWS, runner: { threads: THREADS, memoryArena: MEMORY_ARENA, memoryPattern: MEMORY_PATTERN, prepackWeights: PREPACK, profile: PROFILE, ...(INT8 ? { int8Products: { cacheDir: path.join(dir, 'int8') } } : {}) } });
const compileMs = performance.now() - t0;
for (let i = 0; i < 2; i++) await step.run(i);
const stepMs: number[] = [];
for (let i = 2; i < 2 + STEPS; i++) {
  const t = performance.now();
  await step.run(i);
  stepMs.push(performance.now() - t);
}
// The mean, as the torch anchor times its steps; the spread says how noisy the machine was.
const stepS = stepMs.reduce((a, b) => a + b, 0) / 1000 / STEPS;
const spread = [...stepMs].sort((a, b) => a - b);
// Kernel time of the timed steps by op type (the two warm-up runs left out).
const profileFile = PROFILE ? step.endProfiling() : undefined;
const topOps = profileFile ? summariseProfile(profileFile, 2).slice(0, 10).map((t) => ({ op: t.op, share: +t.share.toFixed(3), ms_per_step: +(t.ms / STEPS).toFixed(1) })) : undefined;
const breakdown = profileFile ? stepBreakdown(profileFile, stepS) : undefined;
await step.release();
fs.rmSync(dir, { recursive: true, force: true });
const ours = { train_tokens_per_s: (B * T) / stepS, peak_rss_mib: (process.resourceUsage().maxRSS * 1024) / 2 ** 20 };
const normalised = await matmulNormalised(ours.train_tokens_per_s, ANCHOR_SHAPE, FLOPS, THREADS, matmulBefore);
// What torch + PEFT would train at here, from its recorded fraction of ORT's MatMul rate.
const torchTokensPerSHere = (TORCH_FRACTION_OF_MATMUL * normalised.matmul_gflops) / TORCH_GFLOP_PER_TOKEN;
const ref = anchor();
console.log(
  JSON.stringify({
    bench: 'LoRA training step, 58M Llama, CPU',
    ...ours,
    train_step_s: stepS,
    train_step_s_min_median_max: [spread[0], spread[spread.length >> 1], spread[spread.length - 1]].map((ms) => +(ms / 1000).toFixed(4)),
    compile_ms: compileMs,
    anchor: ref,
    ...(ref.train_tokens_per_s ? { throughput_ratio: ours.train_tokens_per_s / ref.train_tokens_per_s } : {}),
    memory_ratio: ours.peak_rss_mib / ref.peak_rss_mib,
    ...normalised,
    normalised_throughput_ratio_vs_torch: ours.train_tokens_per_s / torchTokensPerSHere,
    B,
    T,
    threads: THREADS,
    memory_arena: MEMORY_ARENA,
    memory_pattern: MEMORY_PATTERN,
    prepack_weights: PREPACK,
    load_in_8bit: INT8,
    gradient_checkpointing: POLICY,
    chunk_rows: CHUNK,
    vocab_blocks: VOCAB_BLOCKS ?? 'default',
    query_blocks: QUERY_BLOCKS,
    prompt_fraction: PROMPT_FRACTION,
    scored_rows_only: SCORED_ROWS,
    ...(profileFile ? { profile_file: profileFile, top_ops: topOps, step_breakdown: breakdown } : {}),
    cpu: os.cpus()[0]?.model,
    load: os.loadavg()[0],
    lora: LORA,
    ...ANCHOR_SHAPE,
  }),
);
