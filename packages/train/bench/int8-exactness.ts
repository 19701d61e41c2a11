// How far load_in_8bit moves a training step from float32: the same LoRA step (58M-shaped random
// Llama, labels = inputs, LoRA B random so both A's and B's gradients are non-zero, no dropout)
// with and without the frozen weights in 8 bits (their products in 8-bit integers, the backward
// pass through the dequantised weights), on identical weights and batch. One JSON line per case:
// loss_rel_diff, the LoRA gradients' global relative error and cosine, and the smallest cosine of
// one LoRA tensor's gradient.
// Trained LLMs have outlier features: a few hidden channels far larger than the rest (LLM.int8,
// Dettmers et al. 2022), which per-row activation scales pay for in the other channels' precision.
// Random weights have none, so OUTLIERS (default "0:1,6:20", count:factor) also sets `count` channels of
// every RMSNorm weight to `factor`: every product reading a normed hidden state then meets them.
// The yardstick beside it: the same float32 step on weights rounded to bfloat16 (`bf16_weights_*`),
// the precision a GPU recipe loads an 8B model in.
// MODEL=<checkpoint folder> measures a model of yours instead (one line, no outliers added, no
// yardstick: checkpoints are mostly stored in bfloat16 already).
// Env: B (2) T (512) THREADS (2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bfloat16BitsToFloat32, float32ToHalf, type StepResult } from '@codistill/graph';
import { ANCHOR_SHAPE, readSafetensorsHeader, writeRandomLlama } from '@codistill/models';
import { createLoraStep } from './lora-step.js';

const [B, T, THREADS] = ['B', 'T', 'THREADS'].map((k, i) => Number(process.env[k] ?? [2, 512, 2][i]));
const CASES = (process.env.OUTLIERS ?? '0:1,6:20').split(',').map((c) => c.split(':').map(Number) as [number, number]);
const LORA = { r: 16, lora_alpha: 32, lora_dropout: 0, init_lora_weights: false as const, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

/** Sets channels [0, count) of every RMSNorm weight (ones in a random checkpoint) to `factor`, in the file. */
function scaleNormChannels(dir: string, count: number, factor: number): void {
  const file = path.join(dir, 'model.safetensors');
  const fd = fs.openSync(file, 'r+');
  for (const [name, t] of readSafetensorsHeader(file).tensors) {
    if (!name.endsWith('norm.weight')) continue;
    const values = new Float32Array(count).fill(factor);
    fs.writeSync(fd, new Uint8Array(values.buffer), 0, values.byteLength, t.offset);
  }
  fs.closeSync(fd);
}

/** A copy of the checkpoint with every weight rounded to bfloat16's precision (kept float32). */
function bf16Copy(dir: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-bf16-'));
  fs.copyFileSync(path.join(dir, 'config.json'), path.join(copy, 'config.json'));
  const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const header = readSafetensorsHeader(path.join(dir, 'model.safetensors'));
  for (const t of header.tensors.values()) {
    const values = new Float32Array(bytes.buffer, bytes.byteOffset + t.offset, t.length / 4);
    const bits = float32ToHalf('bfloat16', values);
    for (let i = 0; i < values.length; i++) values[i] = bfloat16BitsToFloat32(bits[i]);
  }
  fs.writeFileSync(path.join(copy, 'model.safetensors'), bytes);
  return copy;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** How far `b`'s loss and LoRA gradients are from `a`'s. */
function compare(a: StepResult, b: StepResult) {
  let [ab, aa, bb, diff, worst] = [0, 0, 0, 0, 1];
  for (const name of Object.keys(a.grads)) {
    const [ga, gb] = [a.grads[name], b.grads[name]];
    const [x, y, z] = [dot(ga, gb), dot(ga, ga), dot(gb, gb)];
    [ab, aa, bb] = [ab + x, aa + y, bb + z];
    diff += ga.reduce((s, v, i) => s + (v - gb[i]) ** 2, 0);
    worst = Math.min(worst, x / Math.sqrt(y * z));
  }
  return { loss_rel_diff: Math.abs(b.loss - a.loss) / a.loss, grad_rel_error: Math.sqrt(diff / aa), grad_cosine: ab / Math.sqrt(aa * bb), worst_tensor_cosine: worst };
}

/** The given model, or a random one with `count` outlier channels at `factor` and its bfloat16-rounded copy. */
function models(count: number, factor: number): { dir: string; bf16?: string; made: boolean } {
  if (process.env.MODEL) return { dir: process.env.MODEL, made: false };
  const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-int8-')), ANCHOR_SHAPE);
  if (count) scaleNormChannels(dir, count, factor);
  return { dir, bf16: bf16Copy(dir), made: true };
}

for (const [count, factor] of process.env.MODEL ? [[0, 1]] : CASES) {
  const { dir, bf16, made } = models(count, factor);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-int8-cache-'));
  const run = async (from: string, int8: boolean) => {
    const step = await createLoraStep(from, { lora: LORA, B, T, chunkRows: 256, policy: 'none', runner: { threads: THREADS, prepackWeights: false, ...(int8 ? { int8Products: { cacheDir } } : {}) } });
    const r = await step.run(0);
    await step.release();
    return r;
  };
  const float = await run(dir, false);
  const int8 = compare(float, await run(dir, true));
  const rounded = bf16 ? compare(float, await run(bf16, false)) : {};
  for (const d of [made ? dir : undefined, bf16, cacheDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  const prefixed = (prefix: string, o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));
  console.log(
    JSON.stringify({
      bench: 'load_in_8bit against float32, one LoRA step',
      model: process.env.MODEL ?? 'random',
      outlier_channels: count,
      outlier_factor: factor,
      loss_float32: float.loss,
      ...int8,
      ...prefixed('bf16_weights_', rounded),
      B,
      T,
      cpu: os.cpus()[0]?.model,
    }),
  );
}
