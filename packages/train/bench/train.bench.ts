// LoRA training throughput on the PyTorch anchor's shape and work (shared/bench/torch_lora_anchor.py):
// 58 M-parameter Llama, LoRA r=32 alpha=32 on q_proj+v_proj, dropout 0.1, AdamW, batch 4 x 256,
// labels = inputs, 2 threads; 2 warm-up steps, then STEPS timed ones. Prints one JSON line with
// train_tokens_per_s and peak_rss_mib, the anchor's figures and the ratios.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW, GraphBuilder, hostTensor, mulberry32, TrainStep } from '@codistill/graph';
import { ANCHOR_SHAPE, buildCausalLm, Checkpoint } from '@codistill/models';
import { initLoraWeights, loraHook, parseLoraConfig } from '@codistill/lora';
import { shiftLabels, tokenLoss } from '@codistill/losses';

const B = Number(process.env.B ?? 4);
const T = Number(process.env.T ?? 256);
const STEPS = Number(process.env.STEPS ?? 5);
const THREADS = Number(process.env.THREADS ?? 2);
const MEMORY_ARENA = process.env.MEMORY_ARENA !== '0';
// Recorded on this kind of machine (shared/bench/README.md), used when torch cannot run here.
const RECORDED_ANCHOR = { train_tokens_per_s: 510, peak_rss_mib: 1.6 * 1024, source: 'shared/bench/README.md (recorded)' };

/** Run the anchor script beside us when torch is importable; else the recorded figures. */
function anchor() {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/bench/torch_lora_anchor.py');
  if (!fs.existsSync(script) || spawnSync('python3', ['-c', 'import torch, peft'], { stdio: 'ignore' }).status !== 0) return RECORDED_ANCHOR;
  const r = spawnSync('python3', [script], { env: { ...process.env, B: String(B), T: String(T), STEPS: String(STEPS), THREADS: String(THREADS) }, encoding: 'utf8', timeout: 600_000 });
  const line = r.stdout?.trim().split('\n').at(-1);
  return line ? { ...(JSON.parse(line) as { train_tokens_per_s: number; peak_rss_mib: number }), source: 'torch_lora_anchor.py (run now)' } : RECORDED_ANCHOR;
}

/** The checkpoint is written by a child process so its JS arrays do not count in our peak RSS. */
function checkpointDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-train-bench-'));
  const code = `import('@codistill/models').then((m) => m.writeRandomLlama(${JSON.stringify(dir)}))`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('writing the random checkpoint failed');
  return dir;
}

const dir = checkpointDir();
const ckpt = new Checkpoint(dir);
const config = parseLoraConfig({ r: 32, lora_alpha: 32, lora_dropout: 0.1, target_modules: ['q_proj', 'v_proj'] });
const { hook, modules } = loraHook(config, { training: true });
const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder('bench') });
const labels = lm.graph.input('labels', 'int64', ['batch', 'seq']);
const weights = lm.graph.input('loss_weights', 'float32', ['batch', 'seq']);
const t0 = performance.now();
const step = await TrainStep.create(tokenLoss(lm.logits, labels, weights).loss, modules.flatMap((m) => [m.A, m.B]), { threads: THREADS, memoryArena: MEMORY_ARENA });
const compileMs = performance.now() - t0;
const params = initLoraWeights(config, modules, 0);
const rand = mulberry32(0);
const ids = Array.from({ length: B * T }, () => Math.floor(rand() * ANCHOR_SHAPE.vocab_size));
const shifted = shiftLabels(ids, new Array(B * T).fill(1), B, T);
const feeds = {
  input_ids: hostTensor('int64', [B, T], ids),
  attention_mask: hostTensor('int64', [B, T], new Array(B * T).fill(1)),
  labels: hostTensor('int64', [B, T], shifted.labels),
  loss_weights: hostTensor('float32', [B, T], shifted.weights),
};
const opt = new AdamW({ lr: 5e-5 });
const trainStep = async () => opt.step(params, (await step.run(params, feeds)).grads);
for (let i = 0; i < 2; i++) await trainStep();
const start = performance.now();
for (let i = 0; i < STEPS; i++) await trainStep();
const stepS = (performance.now() - start) / 1000 / STEPS;
await step.release();
const ours = { train_tokens_per_s: (B * T) / stepS, peak_rss_mib: (process.resourceUsage().maxRSS * 1024) / 2 ** 20 };
const ref = anchor();
console.log(
  JSON.stringify({
    bench: 'LoRA training step, 58M Llama, CPU',
    ...ours,
    train_step_s: stepS,
    compile_ms: compileMs,
    anchor: ref,
    throughput_ratio: ours.train_tokens_per_s / ref.train_tokens_per_s,
    memory_ratio: ours.peak_rss_mib / ref.peak_rss_mib,
    B,
    T,
    threads: THREADS,
    memory_arena: MEMORY_ARENA,
    lora: { r: 32, lora_alpha: 32, lora_dropout: 0.1, target_modules: ['q_proj', 'v_proj'] },
    ...ANCHOR_SHAPE,
  }),
);
