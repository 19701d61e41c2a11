// `train` against TRL's SFTTrainer + PEFT on the same work: scripts/trl-reference.py trained the
// lora package's PEFT adapter on the tiny Llama for four steps (AdamW, linear decay, clipping at 1)
// on TRL's {"text"} and {"prompt", "completion"} rows and saved, per format, the token ids and loss
// mask it trained on, its log and the adapter it ended with into test/fixtures/trl-sft/<format>/.
// Here `train` starts from the same adapter (adapter_name_or_path, as PEFT's is_trainable load)
// with the same settings.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAdapter } from '@codistill/lora';
import { TextTokenizer } from '@codistill/models';
import { LOG_FILE, readTrainingFile, tokenize, train, type StepLog, type TrainOptionsInput } from '../src/index.js';
import { modelsFixture, tmp } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const start = path.join(here, '..', '..', 'lora', 'test', 'fixtures', 'peft-adapter');

interface Reference {
  special_tokens: Record<string, string>;
  /** TrainingArguments' names, which `train` takes as they are. */
  settings: TrainOptionsInput & { per_device_train_batch_size: number; max_steps: number; max_length: number };
  input_ids: number[][];
  in_loss: number[][];
  steps: { loss: number; grad_norm: number; learning_rate: number }[];
}

/** The tiny Llama with a tokenizer_config.json naming the special tokens the reference's tokenizer had. */
function modelWithSpecialTokens(ref: Reference): string {
  const dir = tmp();
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']) fs.copyFileSync(modelsFixture('tiny-llama', file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(ref.special_tokens));
  return dir;
}

test.each(['text', 'prompt-completion'])("four LoRA steps on TRL's %s format end where TRL's SFTTrainer + PEFT ends", async (format) => {
  const dir = path.join(here, 'fixtures', 'trl-sft', format);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
  const model = modelWithSpecialTokens(ref);
  // The same tokens (each row's, then EOS) and the same ones in the loss.
  const tokenizer = TextTokenizer.fromDir(model);
  const examples = (await readTrainingFile(path.join(dir, 'train.jsonl'))).map((rec) => tokenize(rec, tokenizer, ref.settings.max_length));
  expect(examples.map((e) => Array.from(e.ids))).toEqual(ref.input_ids);
  expect(examples.map((e) => Array.from(e.ids, (_, i) => (i >= e.targetStart ? 1 : 0)))).toEqual(ref.in_loss);

  const out = tmp();
  await train({ ...ref.settings, model_name_or_path: model, train_file: path.join(dir, 'train.jsonl'), output_dir: out, adapter_name_or_path: start, threads: 1 });

  const log = fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StepLog);
  expect(log).toHaveLength(ref.steps.length);
  log.forEach((step, i) => {
    expect(step.learning_rate).toBeCloseTo(ref.steps[i].learning_rate, 10);
    expect(Math.abs(step.loss - ref.steps[i].loss)).toBeLessThan(1e-5 * ref.steps[i].loss);
    expect(Math.abs(step.grad_norm - ref.steps[i].grad_norm)).toBeLessThan(1e-4 * ref.steps[i].grad_norm);
  });
  // The adapters after the last step, each weight against the tensor's largest (measured: within 1e-5;
  // an element whose gradient is near zero takes Adam steps of either sign from rounding alone).
  const ours = loadAdapter(out).weights;
  const theirs = loadAdapter(dir).weights;
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  for (const [name, w] of Object.entries(theirs)) {
    const scale = Math.max(...w.map(Math.abs));
    const worst = Math.max(...w.map((v, i) => Math.abs(v - ours[name][i])));
    expect({ name, relative: worst / scale < 1e-4 }).toEqual({ name, relative: true });
  }
});
