// float16 training on WebGPU (a software Vulkan device in CI: scripts/install-lavapipe.sh) scales
// its loss as Trainer does with fp16 (torch's GradScaler): the CPU computes float32 and has no scale.
import fs from 'node:fs';
import path from 'node:path';
import { probeWebGpu } from '@codistill/graph';
import { loadAdapter } from '@codistill/lora';
import { LOG_FILE, learningRate, loadCheckpoint, train, type StepLog } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const readLog = (out: string): StepLog[] =>
  fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepLog);

const opts = (out: string) => ({
  model_name_or_path: modelsFixture('tiny-llama'),
  train_file: writeData(out),
  output_dir: out,
  device: 'webgpu' as const,
  fp16: true,
  per_device_train_batch_size: 2,
  learning_rate: 5e-3,
  warmup_steps: 1,
  max_steps: 4,
  save_steps: 1,
  lora: { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] },
});

let broken: string | undefined;
beforeAll(async () => {
  broken = await probeWebGpu();
  if (broken) console.warn(`WebGPU tests skipped: ${broken}`);
});

test('fp16: a step whose gradients overflow is skipped, the scale halves, the schedule waits, and a resumed run continues the scale', async () => {
  if (broken) return;
  const whole = tmp();
  const warnings: string[] = [];
  await train(opts(whole), { onWarning: (m) => warnings.push(m) });
  const log = readLog(whole);
  // The tiny model's float16 gradients pass 1 somewhere, so GradScaler's first scale, 65536, overflows them.
  expect(log.map((l) => [l.loss_scale, l.skipped ?? false])).toEqual([[65536, true], [32768, false], [32768, false], [32768, false]]);
  expect(warnings.filter((w) => w.includes('overflowed'))).toEqual([expect.stringMatching(/^step 1: the float16 gradients overflowed at loss scale 65536: the step is skipped and the scale is now 32768/)]);
  // Trainer steps its scheduler only after an applied update: step 2 uses step 1's rate.
  expect(log.map((l) => l.learning_rate)).toEqual([0, 0, 1, 2].map((s) => learningRate(s, 4, 5e-3, 1, 'linear')));
  const first = loadCheckpoint(path.join(whole, 'checkpoint-1'));
  expect(first.state).toMatchObject({ optimizer: { step: 0 }, gradScaler: { scale: 32768, growth_tracker: 0 } });
  // LoRA's B starts at zero; the skipped update left it there.
  for (const [name, w] of Object.entries(first.adapter.weights)) if (name.includes('lora_B')) expect(w.every((v) => v === 0)).toBe(true);
  expect(loadCheckpoint(path.join(whole, 'checkpoint-3')).state.gradScaler).toEqual({ scale: 32768, growth_tracker: 2 });

  const stopped = tmp();
  const stop = new AbortController();
  await train(opts(stopped), { signal: stop.signal, onStep: (l) => l.step === 2 && stop.abort(), onWarning: () => undefined });
  await train({ ...opts(stopped), resume_from_checkpoint: true }, { onWarning: () => undefined });
  expect(readLog(stopped).map((l) => l.loss_scale)).toEqual(log.map((l) => l.loss_scale));
  const [a, b] = [loadAdapter(whole).weights, loadAdapter(stopped).weights];
  for (const [name, w] of Object.entries(a)) expect(Array.from(b[name])).toEqual(Array.from(w));
});

test('fp16: gradients that overflow at every scale down to 1 stop the run, naming the way out; the last checkpoint stays', async () => {
  if (broken) return;
  const out = tmp();
  const warnings: string[] = [];
  // A learning rate no run would use: after two steps the float16 forward pass itself overflows.
  const wild = { ...opts(out), learning_rate: 30, max_grad_norm: 0, max_steps: 40, save_steps: 2, lora: { r: 4, lora_alpha: 8, target_modules: 'all-linear' } };
  await expect(train(wild, { onWarning: (m) => warnings.push(m) })).rejects.toThrow(/the float16 gradients overflow even at loss scale 1: the forward pass itself leaves float16's range .* or train in bf16 \(--bf16, cuda\) or float32; the last checkpoint is intact/);
  const skipped = warnings.filter((w) => w.includes('overflowed'));
  expect(skipped.at(-1)).toMatch(/at loss scale 2: the step is skipped and the scale is now 1 /);
  expect(fs.readdirSync(out).filter((f) => f.startsWith('checkpoint-')).length).toBeGreaterThan(0);
});
