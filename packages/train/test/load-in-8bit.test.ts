// load_in_8bit: the frozen base model in 8 bits (its products in 8-bit integers, quantised once into
// the cache, the float weights not loaded where only products read them), with losses near the
// float32 run's; refused where it cannot run, and a resume that changes it is told so.
import fs from 'node:fs';
import path from 'node:path';
import { LOG_FILE, train, type StepLog } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const readLog = (out: string): StepLog[] =>
  fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepLog);

const opts = (dir: string, out: string, extra: object = {}) => ({
  model_name_or_path: modelsFixture('tiny-llama'),
  train_file: writeData(dir),
  output_dir: out,
  per_device_train_batch_size: 2,
  learning_rate: 5e-3,
  max_steps: 3,
  save_steps: 2,
  val_fraction: 0.3,
  eval_steps: 2,
  threads: 1,
  seed: 3,
  ...extra,
});

test('load_in_8bit trains on losses within 2 % of float32, quantising each frozen weight once into the cache', async () => {
  const dir = tmp();
  const float = path.join(dir, 'float');
  const int8 = path.join(dir, 'int8');
  await train(opts(dir, float));
  const result = await train(opts(dir, int8, { load_in_8bit: true }));
  // 2 layers x 7 projections and lm_head; every chunk of the chunked loss reads lm_head.
  // All but the head are held in 8 bits only: the chunked cross-entropy also reads the head's label rows.
  expect(result.int8Products).toMatchObject({ weights: 15, int8Only: 14, written: 15 });
  expect(result.int8Products!.products).toBeGreaterThan(15);
  expect(fs.readdirSync(path.join(int8, 'cache', 'int8')).filter((f) => f.endsWith('.int8'))).toHaveLength(15);
  const [a, b] = [readLog(float), readLog(int8)];
  expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
  for (const [i, l] of b.entries()) {
    expect(Math.abs(l.loss - a[i].loss) / a[i].loss).toBeLessThan(0.02);
    expect(l.loss).not.toBe(a[i].loss);
  }
  // The resumed run reads the quantised weights from the cache; turning load_in_8bit off on resume is warned about.
  const again = await train(opts(dir, int8, { load_in_8bit: true, max_steps: 4, resume_from_checkpoint: true }), { onWarning: () => undefined });
  expect(again.int8Products).toMatchObject({ weights: 15, written: 0 });
  const warnings: string[] = [];
  await train(opts(dir, int8, { max_steps: 5, resume_from_checkpoint: true }), { onWarning: (m) => warnings.push(m) });
  expect(warnings.join('\n')).toContain('load_in_8bit (--load_in_8bit) true -> false');
});

test('load_in_8bit off a CPU is refused before the output folder is made', async () => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  await expect(train(opts(dir, out, { load_in_8bit: true, device: 'webgpu' }))).rejects.toThrow('load_in_8bit (--load_in_8bit) runs on the cpu device only, not webgpu');
  expect(fs.existsSync(out)).toBe(false);
});
