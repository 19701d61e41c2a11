// `train` against TRL's SFTTrainer + PEFT on the same work: scripts/trl-reference.py trained the
// lora package's PEFT adapter on the tiny Llama for four steps ({"text"} rows, AdamW, linear decay,
// clipping at 1) and saved the adapter and its log into test/fixtures/trl-sft/. Here `train` starts
// from the same adapter (a checkpoint-0 holding it, fresh optimizer) with the same settings.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAdapter } from '@codistill/lora';
import { TextTokenizer } from '@codistill/models';
import { saveCheckpoint } from '../src/checkpoint.js';
import { LOG_FILE, readTrainingFile, tokenize, train, type StepLog } from '../src/index.js';
import { modelsFixture, tmp } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.join(here, 'fixtures', 'trl-sft', name);
const ref = JSON.parse(fs.readFileSync(fixture('reference.json'), 'utf8')) as {
  special_tokens: Record<string, string>;
  settings: { per_device_train_batch_size: number; max_steps: number; max_length: number } & Record<string, number | string>;
  input_ids: number[][];
  steps: { loss: number; grad_norm: number; learning_rate: number }[];
};

/** The tiny Llama with a tokenizer_config.json naming the special tokens the reference's tokenizer had. */
function modelWithSpecialTokens(): string {
  const dir = tmp();
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']) fs.copyFileSync(modelsFixture('tiny-llama', file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(ref.special_tokens));
  return dir;
}

/** An output folder whose checkpoint-0 is the PEFT adapter both runs start from, with no optimizer state yet. */
function outputStartingFrom(adapterDir: string): string {
  const out = tmp();
  const { config, weights, shapes } = loadAdapter(adapterDir);
  const state = { step: 0, epoch: 0, batchInEpoch: 0, optimizer: { kind: 'adamw' as const, step: 0 } };
  const hub = { epoch: 0, max_steps: ref.settings.max_steps, num_train_epochs: 1, logging_steps: 1, eval_steps: 500, save_steps: 500, train_batch_size: ref.settings.per_device_train_batch_size, num_input_tokens_seen: 0, log_history: [] };
  saveCheckpoint(out, { state, params: weights, optimizer: { kind: 'adamw', step: 0, buffers: {} } }, hub, config, shapes, Infinity);
  return out;
}

test("four LoRA steps on TRL's text format end where TRL's SFTTrainer + PEFT ends", async () => {
  const model = modelWithSpecialTokens();
  const start = path.join(here, '..', '..', 'lora', 'test', 'fixtures', 'peft-adapter');
  const { lora_alpha, r, target_modules, lora_dropout } = loadAdapter(start).config;
  // The same tokens: each text, then EOS.
  const tokenizer = TextTokenizer.fromDir(model);
  const records = await readTrainingFile(fixture('train.jsonl'));
  expect(records.map((rec) => Array.from(tokenize(rec, tokenizer, ref.settings.max_length).ids))).toEqual(ref.input_ids);

  const out = outputStartingFrom(start);
  const { settings } = ref;
  await train({
    model_name_or_path: model,
    train_file: fixture('train.jsonl'),
    output_dir: out,
    resume_from_checkpoint: true,
    lora: { r, lora_alpha, target_modules, lora_dropout },
    learning_rate: settings.learning_rate as number,
    lr_scheduler_type: 'linear',
    warmup_steps: settings.warmup_steps as number,
    max_grad_norm: settings.max_grad_norm as number,
    weight_decay: settings.weight_decay as number,
    adam_beta1: settings.adam_beta1 as number,
    adam_beta2: settings.adam_beta2 as number,
    adam_epsilon: settings.adam_epsilon as number,
    per_device_train_batch_size: settings.per_device_train_batch_size,
    max_steps: settings.max_steps,
    max_length: settings.max_length,
    threads: 1,
  });

  const log = fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StepLog);
  expect(log).toHaveLength(ref.steps.length);
  log.forEach((step, i) => {
    expect(step.learning_rate).toBeCloseTo(ref.steps[i].learning_rate, 10);
    expect(Math.abs(step.loss - ref.steps[i].loss)).toBeLessThan(1e-5 * ref.steps[i].loss);
    expect(Math.abs(step.grad_norm - ref.steps[i].grad_norm)).toBeLessThan(1e-4 * ref.steps[i].grad_norm);
  });
  // The adapters after the last step: every weight within 1e-5 of TRL's, against weights of order 1.
  const ours = loadAdapter(out).weights;
  const theirs = loadAdapter(path.join(here, 'fixtures', 'trl-sft')).weights;
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  for (const [name, w] of Object.entries(theirs)) {
    const scale = Math.max(...w.map(Math.abs));
    const worst = Math.max(...w.map((v, i) => Math.abs(v - ours[name][i])));
    expect({ name, relative: worst / scale < 1e-5 }).toEqual({ name, relative: true });
  }
});
