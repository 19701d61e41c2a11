import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_JSONL_LINE_BYTES } from '@codistill/util';
import { maxRelativeError, Runner } from '@codistill/graph';
import { loadAdapter, saveAdapter } from '@codistill/lora';
import { TextTokenizer, type ChatMessage } from '@codistill/models';
import { listCheckpoints, loadCheckpoint, LOG_FILE, parseTrainOptions, readTrainingFile, tokenize, train, type StepLog, type TrainOptionsInput } from '../src/index.js';
import { learningRate, type SchedulerType } from '../src/lr-schedule.js';
import { idPacker } from '../src/data.js';
import { hubTrainerState } from '../src/step-log.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const model = modelsFixture('tiny-llama');
const codebert = modelsFixture('tiny-roberta');
const base = { model_name_or_path: model, per_device_train_batch_size: 2, learning_rate: 5e-3, warmup_steps: 2, threads: 1, lora: { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] } };
const readLog = (out: string): StepLog[] =>
  fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepLog);

test('prompt and spans are tokenised separately; only target tokens are in the loss', async () => {
  const dir = tmp();
  const [rec] = await readTrainingFile(writeData(dir, 1));
  const tok = TextTokenizer.fromDir(model);
  const ex = tokenize(rec, tok, 512);
  const promptLen = tok.encode(rec.prompt as string, true).length;
  expect(ex.targetStart).toBe(promptLen);
  expect(ex.spans.context!.start).toBe(promptLen);
  expect(ex.spans.code!.start).toBe(ex.spans.context!.end);
  expect(ex.ids).toBeInstanceOf(Int32Array); // a large file is held as ids, not text and number arrays
  expect(Array.from(ex.ids.slice(ex.spans.code!.start, ex.spans.code!.end))).toEqual(tok.encode(`\n${rec.spans[1].text}`, false));
  expect(tokenize(rec, tok, 10).ids).toHaveLength(10);
  // The target ends with EOS, the model's eos_token_id 1 (the fixture has no tokenizer_config.json to name it).
  expect(ex.ids.at(-1)).toBe(1);
});

test("TRL's SFT formats: messages, prompt + completion (text or messages), text; the prompt stays out of the loss", async () => {
  const file = path.join(tmp(), 'trl.jsonl');
  const rows = [
    { messages: [{ role: 'user', content: 'Add 1 and 2.' }, { role: 'assistant', content: '3' }] },
    { prompt: 'Say hi.', completion: ' hi' },
    { prompt: [{ role: 'user', content: 'Say hi.' }], completion: [{ role: 'assistant', content: 'hi' }] },
    { text: 'def f(): pass' },
  ];
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const tok = TextTokenizer.fromDir(model);
  const [chat, plain, chatCompletion, text] = await readTrainingFile(file);
  expect(chat).toMatchObject({ prompt: [{ role: 'user', content: 'Add 1 and 2.' }], spans: [{ name: 'target', text: '3' }] });
  expect(plain).toMatchObject({ prompt: 'Say hi.', spans: [{ name: 'target', text: ' hi' }] });
  expect(chatCompletion).toMatchObject({ prompt: [{ role: 'user', content: 'Say hi.' }], spans: [{ name: 'target', text: 'hi' }] });
  expect(text).toMatchObject({ prompt: '', spans: [{ name: 'target', text: 'def f(): pass' }] });
  const ex = tokenize(chat, tok, 512);
  expect(Array.from(ex.ids.slice(0, ex.targetStart))).toEqual(tok.encode(tok.renderChat(chat.prompt as ChatMessage[]), false));
  expect(tokenize(text, tok, 512).targetStart).toBe(tok.encode('', true).length);
  fs.writeFileSync(file, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }) + '\n' + JSON.stringify({ messages: [{ role: 'user' }] }) + '\n');
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:1: field 'messages' must end with an assistant message after at least one other`);
  fs.writeFileSync(file, JSON.stringify({ messages: [{ role: 'user' }, { role: 'assistant', content: 'x' }] }) + '\n');
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:1: messages[0] must be {"role": string, "content": string}`);
});

test("TRL's datasets as parquet (written by pyarrow): nested messages and prompt + completion, ids from the rows", async () => {
  const fixture = (name: string) => path.join(here, 'fixtures', name);
  const [short, withSystem] = await readTrainingFile(fixture('trl-messages.parquet'));
  expect(short).toMatchObject({ id: 'row-1', prompt: [{ role: 'user', content: 'Add 1 and 2.' }], spans: [{ name: 'target', text: '3' }] });
  expect(withSystem.prompt).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hi.' }]);
  const records = await readTrainingFile(fixture('trl-prompt-completion.parquet')); // gzip-compressed columns
  expect(records).toMatchObject([{ id: 'a', prompt: 'Say hi.', spans: [{ name: 'target', text: ' hi' }] }, { id: 'b', prompt: 'Count.' }]);
});

test('a previous setting name is refused with its new name; unknown LoRA keys are refused', async () => {
  const out = tmp();
  const old = { ...base, train_file: writeData(out, 2), output_dir: out, lr: 1e-3, batchSize: 2 } as unknown as TrainOptionsInput;
  await expect(train(old)).rejects.toThrow('lr: unknown setting (renamed: learning_rate); batchSize: unknown setting (renamed: per_device_train_batch_size)');
  await expect(train({ ...base, train_file: writeData(out, 2), output_dir: out, lora: { lora_alpa: 3 } } as unknown as TrainOptionsInput)).rejects.toThrow('lora.lora_alpa: unknown setting');
  await expect(train({ ...base, train_file: writeData(out, 2), output_dir: out, bf16: true, fp16: true })).rejects.toThrow('bf16 and fp16 are both true');
});

test("attention_query_blocks: 'auto' is 4 from max_length 1024, else 1; a count is kept; 0 is refused", () => {
  const blocks = (o: Partial<TrainOptionsInput>) => parseTrainOptions({ ...base, train_file: 'd.jsonl', output_dir: 'out', ...o }).attention_query_blocks;
  expect([blocks({}), blocks({ max_length: 1024 }), blocks({ max_length: 1023 }), blocks({ max_length: 512, attention_query_blocks: 3 })]).toEqual([4, 4, 1, 3]);
  expect(() => blocks({ attention_query_blocks: 0 })).toThrow(/attention_query_blocks/);
});

test("learning-rate schedules under transformers' names: warm-up from 0, then linear/cosine decay or held; 'constant' has no warm-up", () => {
  // transformers' get_scheduler(type, optimizer, 2, 10) at steps 0, 1, 2, 6, 9 (rounded to 4 digits).
  const at = (type: SchedulerType) => [0, 1, 2, 6, 9].map((step) => +learningRate(step, 10, 1, 2, type).toFixed(4));
  expect(at('linear')).toEqual([0, 0.5, 1, 0.5, 0.125]);
  expect(at('cosine')).toEqual([0, 0.5, 1, 0.5, 0.0381]);
  expect(at('constant_with_warmup')).toEqual([0, 0.5, 1, 1, 1]);
  expect(at('constant')).toEqual([1, 1, 1, 1, 1]);
});

test("trainer_state.json's num_train_epochs is what max_steps takes, as Trainer derives it", () => {
  const o = (extra: Partial<TrainOptionsInput>) => parseTrainOptions({ model_name_or_path: model, train_file: 'x.jsonl', output_dir: 'out', ...extra });
  // 4 batches an epoch: 8 steps are 2 epochs, 9 are 3; with 2 micro-batches a step, 8 steps are 4.
  expect(hubTrainerState(o({ max_steps: 8 }), [], 8, 4).num_train_epochs).toBe(2);
  expect(hubTrainerState(o({ max_steps: 9 }), [], 9, 4).num_train_epochs).toBe(3);
  expect(hubTrainerState(o({ max_steps: 8, gradient_accumulation_steps: 2 }), [], 8, 4).num_train_epochs).toBe(4);
  expect(hubTrainerState(o({ num_train_epochs: 1.5 }), [], 6, 4).num_train_epochs).toBe(2);
});

test('packed ids keep their values across block boundaries', () => {
  const pack = idPacker();
  const arrays = Array.from({ length: 40 }, (_, i) => Int32Array.from({ length: 50_000 + i }, (_, j) => i * 7 + j));
  const views = arrays.map(pack);
  expect(views.every((v, i) => v.length === arrays[i].length && v.every((x, j) => x === arrays[i][j]))).toBe(true);
  expect(new Set(views.map((v) => v.buffer)).size).toBe(2); // 2 million values: two 4 MiB blocks
});

test('token-loss training lowers the loss and writes a PEFT adapter, a log and checkpoints', async () => {
  const out = tmp();
  const result = await train({ ...base, learning_rate: 2e-2, train_file: writeData(out), output_dir: out, max_steps: 12, save_steps: 4, save_total_limit: 2 });
  expect(result).toMatchObject({ steps: 12, totalSteps: 12, interrupted: false });
  const log = readLog(out);
  expect(log.map((l) => l.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  // Each epoch (3 batches) sees every example once: compare the first and last epoch's mean loss.
  const mean = (ls: StepLog[]) => ls.reduce((a, l) => a + l.loss, 0) / ls.length;
  expect(mean(log.slice(9))).toBeLessThan(mean(log.slice(0, 3)) * 0.8);
  expect(log[0]).toMatchObject({ alpha: 1, beta: 0, epoch: 1 / 3 }); // 6 examples, batch 2: a third of an epoch per step
  // Two warm-up steps from 0, as transformers' schedules start.
  expect(log.slice(0, 3).map((l) => l.learning_rate)).toEqual([0, 1e-2, 2e-2]);
  expect(log[5].tokens_per_s).toBeGreaterThan(0);
  expect(loadAdapter(out).config).toMatchObject({ r: 4, lora_alpha: 8, base_model_name_or_path: model });
  expect(listCheckpoints(out).map((d) => path.basename(d))).toEqual(['checkpoint-8', 'checkpoint-12']);
});

test("adapter_name_or_path trains a saved adapter further (PEFT's is_trainable load): its weights start the run, its LoRA settings are the run's", async () => {
  const first = tmp();
  const data = writeData(first);
  await train({ ...base, train_file: data, output_dir: first, max_steps: 2 });
  const saved = loadAdapter(first);
  // Steps of 1e-12 leave the weights where they started: the saved ones, not new ones (whose B would be 0).
  const next = tmp();
  const { lora: _, ...withoutLora } = base;
  await train({ ...withoutLora, optim: 'sgd', learning_rate: 1e-12, warmup_steps: 0, train_file: data, output_dir: next, max_steps: 1, adapter_name_or_path: first });
  const continued = loadAdapter(next);
  expect(continued.config).toMatchObject({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], base_model_name_or_path: model });
  for (const [name, w] of Object.entries(saved.weights)) expect(maxRelativeError(continued.weights[name], w)).toBeLessThan(1e-6);

  // A resumed run goes on from its checkpoint: the adapter it started from is not needed again.
  const gone = tmp();
  fs.cpSync(first, gone, { recursive: true });
  const resumed = tmp();
  const stopAt = (step: number) => {
    const stop = new AbortController();
    return { signal: stop.signal, onStep: (l: StepLog) => l.step === step && stop.abort() };
  };
  const startedFrom = { ...withoutLora, train_file: data, output_dir: resumed, max_steps: 3, save_steps: 1, adapter_name_or_path: gone };
  await train(startedFrom, stopAt(1));
  fs.rmSync(gone, { recursive: true });
  // Its settings came from the adapter: as at the start, only a setting given can disagree.
  await expect(train({ ...startedFrom, lora: { r: 16 }, resume_from_checkpoint: true })).rejects.toThrow(/\(lora\.r \(--lora_r\) is 16 here and 4 there\); leave them out/);
  // Another adapter would not be read: refused. Named as at the start, or left out, the run goes on.
  await expect(train({ ...startedFrom, adapter_name_or_path: first, resume_from_checkpoint: true })).rejects.toThrow(
    `adapter_name_or_path: the run in ${path.join(resumed, 'checkpoint-1')} started from ${gone} (codistill_state.json), not ${first}, and a resume reads only the checkpoint's weights; leave adapter_name_or_path out to resume it`,
  );
  expect(await train({ ...startedFrom, resume_from_checkpoint: true }, stopAt(2))).toMatchObject({ steps: 2, interrupted: true });
  const { adapter_name_or_path: _named, ...leftOut } = startedFrom;
  expect(await train({ ...leftOut, resume_from_checkpoint: true })).toMatchObject({ steps: 3, interrupted: false });

  // A LoRA setting that cannot apply to the saved weights, given even as its default, and an adapter made for another model, are refused.
  await expect(train({ ...base, lora: { r: 16 }, train_file: data, output_dir: tmp(), max_steps: 1, adapter_name_or_path: first })).rejects.toThrow(/adapter_config\.json disagrees with the LoRA settings given \(lora\.r \(--lora_r\) is 16 here and 4 there\)/);
  await expect(train({ ...withoutLora, lora: { r: 8 }, train_file: data, output_dir: tmp(), max_steps: 1, adapter_name_or_path: first })).rejects.toThrow('(lora.r (--lora_r) is 8 here and 4 there)');
  const other = tmp();
  const name = Object.keys(saved.weights).find((n) => n.endsWith('lora_A.weight')) as string;
  saveAdapter(other, { ...saved, weights: { ...saved.weights, [name]: new Float32Array(4 * 7) }, shapes: { ...saved.shapes, [name]: [4, 7] } });
  await expect(train({ ...withoutLora, train_file: data, output_dir: tmp(), max_steps: 1, adapter_name_or_path: other })).rejects.toThrow(/lora_A\.weight is \[4, 7\], this model's is \[4, \d+\] \(saved for another model\?\)/);
  await expect(train({ ...withoutLora, train_file: data, output_dir: tmp(), max_steps: 1, adapter_name_or_path: path.join(other, 'missing') })).rejects.toThrow(/no adapter_config\.json/);

  // As transformers' Trainer: nothing to resume is an error, not a new run; and the start adapter is never overwritten.
  const empty = tmp();
  const fresh = { ...withoutLora, train_file: data, output_dir: empty, max_steps: 1 };
  await expect(train({ ...fresh, resume_from_checkpoint: true })).rejects.toThrow(`resume_from_checkpoint: ${empty} has no checkpoint-N folder to resume from; leave it out to start a new run`);
  await expect(train({ ...fresh, resume_from_checkpoint: path.join(empty, 'checkpoint-9') })).rejects.toThrow(`resume_from_checkpoint: ${path.join(empty, 'checkpoint-9')} does not exist`);
  await expect(train({ ...fresh, output_dir: first, adapter_name_or_path: first })).rejects.toThrow(`output_dir: ${first} holds the start adapter (adapter_name_or_path), which training would overwrite`);
});

test('a curriculum without CodeBERT is said to do nothing', async () => {
  const out = tmp();
  const warnings: string[] = [];
  await train({ ...base, train_file: writeData(out, 2), output_dir: out, max_steps: 1, alpha_schedule: { kind: 'linear', start: 1, end: 0.5 } }, { onWarning: (m) => warnings.push(m) });
  expect(warnings).toContain('alpha_schedule (--alpha_schedule, --alpha_start, --alpha_end, ...) has no effect without codebert (--codebert): the loss is the token loss alone');
  expect(readLog(out)[0]).toMatchObject({ alpha: 1, beta: 0 });
});

test('with CodeBERT the structural loss joins on the curriculum', async () => {
  const out = tmp();
  await train({ ...base, train_file: writeData(out, 4), output_dir: out, max_steps: 4, codebert, alpha_schedule: { kind: 'linear', start: 0.9, end: 0.6 }, val_fraction: 0.3, eval_steps: 2 });
  const log = readLog(out);
  expect(log[0].alpha).toBeCloseTo(0.9);
  expect(log[3].alpha).toBeCloseTo(0.6);
  for (const l of log) {
    expect(l.struct_loss).toBeGreaterThan(0);
    expect(l.struct_loss).toBeLessThan(2);
    expect(l.loss).toBeCloseTo(l.alpha * l.token_loss + l.beta * l.struct_loss!, 4);
  }
  // The held-out loss comes with its parts: the combined one falls with alpha along the curriculum.
  const held = log[1];
  expect(held.eval_token_loss).toBeGreaterThan(0);
  expect(held.eval_struct_loss).toBeGreaterThan(0);
  expect(held.eval_loss).toBeCloseTo(held.alpha * held.eval_token_loss! + held.beta * held.eval_struct_loss!, 4);
  expect(fs.existsSync(path.join(out, 'cache', 'gt-embeddings.jsonl'))).toBe(true);
});

test('the chunked cross-entropy (token loss and code-position logits) trains exactly as the full logits do, with and without the structural loss', async () => {
  const run = async (chunked_cross_entropy: number, withCodebert: boolean) => {
    const out = tmp();
    await train({ ...base, train_file: writeData(out, 4), output_dir: out, max_steps: 3, max_length: 192, chunked_cross_entropy, ...(withCodebert ? { codebert } : {}) });
    return readLog(out);
  };
  for (const withCodebert of [false, true]) {
    const [plain, chunked] = [await run(0, withCodebert), await run(100, withCodebert)]; // 100 does not divide the rows
    chunked.forEach((l, i) => {
      expect(l.token_loss).toBeCloseTo(plain[i].token_loss, 5);
      if (withCodebert) expect(l.struct_loss).toBeCloseTo(plain[i].struct_loss!, 5);
      expect(l.grad_norm).toBeCloseTo(plain[i].grad_norm, 4);
    });
  }
  await expect(train({ ...base, train_file: writeData(tmp(), 2), output_dir: tmp(), max_steps: 1, chunked_cross_entropy: 8, lora: { ...base.lora, target_modules: ['q_proj', 'lm_head'] } })).rejects.toThrow(/chunked_cross_entropy keeps lm_head frozen/);
});

test('under gradient accumulation the loss is the token mean over all micro-batches, as transformers >= 4.46 computes it', async () => {
  const data = path.join(tmp(), 'uneven.jsonl');
  // One long and one short target: the mean of per-micro-batch means would weight them equally.
  const rows = [
    { id: 'a', prompt: 'Say it.', target: ' yes' },
    { id: 'b', prompt: 'Count.', target: ' one two three four five six seven eight nine ten eleven twelve thirteen fourteen' },
  ];
  fs.writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const run = async (per_device_train_batch_size: number, gradient_accumulation_steps: number) => {
    const out = tmp();
    await train({ ...base, train_file: data, output_dir: out, max_steps: 1, per_device_train_batch_size, gradient_accumulation_steps });
    return readLog(out)[0];
  };
  const [whole, accumulated] = [await run(2, 1), await run(1, 2)];
  expect(accumulated.loss).toBeCloseTo(whole.loss, 5);
  expect(accumulated.grad_norm).toBeCloseTo(whole.grad_norm, 5);
});

test('validation runs without dropout: the held-out loss does not depend on lora_dropout', async () => {
  const evalLoss = async (lora_dropout: number) => {
    const out = tmp();
    // A random B makes the adapter matter; a tiny SGD step keeps the weights what they were.
    const lora = { ...base.lora, lora_dropout, init_lora_weights: false };
    await train({ ...base, lora, optim: 'sgd', learning_rate: 1e-12, warmup_steps: 0, train_file: writeData(out, 8), output_dir: out, max_steps: 1, val_fraction: 0.5, eval_steps: 1 });
    return readLog(out)[0].eval_loss!;
  };
  const [without, withDropout] = [await evalLoss(0), await evalLoss(0.5)];
  expect(withDropout).toBeCloseTo(without, 6);
});

test("eval_forward_only false: the held-out losses come from the training step's own session, equal to the forward-only graph's, with no second session", async () => {
  // Counts the ONNX Runtime sessions train makes.
  const create = Runner.create;
  let sessions = 0;
  Runner.create = (...args) => {
    sessions++;
    return create.apply(Runner, args);
  };
  const run = async (eval_forward_only: boolean) => {
    sessions = 0;
    const out = tmp();
    // Dropout on, so that the step's session must turn it off; CodeBERT, so that both loss parts are there.
    const lora = { ...base.lora, lora_dropout: 0.3, init_lora_weights: false };
    await train({ ...base, lora, codebert, train_file: writeData(out, 6), output_dir: out, max_steps: 2, val_fraction: 0.4, eval_steps: 1, eval_forward_only });
    return { log: readLog(out), sessions };
  };
  try {
    const [own, shared] = [await run(true), await run(false)];
    expect(own.sessions - shared.sessions).toBe(1);
    expect(shared.log).toHaveLength(2);
    shared.log.forEach((l, i) => {
      expect(l.loss).toBe(own.log[i].loss); // training is untouched
      expect(l.eval_struct_loss).toBeGreaterThan(0);
      for (const key of ['eval_loss', 'eval_token_loss', 'eval_struct_loss'] as const) expect(l[key]).toBeCloseTo(own.log[i][key]!, 5);
    });
  } finally {
    Runner.create = create;
  }
});

test('16-bit dtypes on the CPU compute in float32 and say so; float32 scales no loss', async () => {
  const run = async (half: { bf16?: boolean; fp16?: boolean }) => {
    const out = tmp();
    const warnings: string[] = [];
    const r = await train({ ...base, train_file: writeData(out, 2), output_dir: out, max_steps: 1, ...half }, { onWarning: (m) => warnings.push(m) });
    expect(readLog(out)[0].loss_scale).toBeUndefined();
    return { loss: r.lastLoss, warnings };
  };
  const [plain, bf16, fp16] = [await run({}), await run({ bf16: true }), await run({ fp16: true })];
  expect(bf16.warnings).toEqual([expect.stringContaining('bf16: the CPU provider computes the base model in float32')]);
  expect(fp16.warnings).toEqual([expect.stringContaining('fp16: the CPU provider computes the base model in float32')]);
  expect(plain.warnings).toEqual([]);
  expect([bf16.loss, fp16.loss]).toEqual([plain.loss, plain.loss]);
});

describe('resume', () => {
  // With dropout: a resumed run must draw the masks the uninterrupted one drew.
  const opts = (out: string) => ({ ...base, lora: { ...base.lora, lora_dropout: 0.2 }, train_file: writeData(out), output_dir: out, max_steps: 8, save_steps: 2, save_total_limit: 3 });
  let reference: Record<string, Float32Array>;

  beforeAll(async () => {
    const out = tmp();
    await train(opts(out));
    reference = loadAdapter(out).weights;
  });

  const expectSameAdapter = (out: string) => {
    const w = loadAdapter(out).weights;
    for (const [n, v] of Object.entries(reference)) expect(Array.from(w[n])).toEqual(Array.from(v));
  };

  test('a stopped run continues to exactly the uninterrupted result', async () => {
    const out = tmp();
    const stop = new AbortController();
    const first = await train(opts(out), { signal: stop.signal, onStep: (l) => l.step === 3 && stop.abort() });
    expect(first).toMatchObject({ steps: 3, interrupted: true });
    await expect(train(opts(out))).rejects.toThrow(/already has checkpoints: pass resume_from_checkpoint/);
    const second = await train({ ...opts(out), resume_from_checkpoint: true });
    expect(second).toMatchObject({ steps: 8, interrupted: false });
    expect(readLog(out).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expectSameAdapter(out);
    // Killed after its last checkpoint, a rerun has no step left to take: it reports the loss the run ended with.
    expect(await train({ ...opts(out), resume_from_checkpoint: true })).toMatchObject({ steps: 8, lastLoss: second.lastLoss });
    expectSameAdapter(out);
  });

  test('a resumed run must have the LoRA settings it started with: a difference is refused, naming the checkpoint and both values', async () => {
    const out = tmp();
    const stop = new AbortController();
    await train(opts(out), { signal: stop.signal, onStep: (l) => l.step === 3 && stop.abort() });
    const config = path.join(out, 'checkpoint-3', 'adapter_config.json'); // a stopped run checkpoints where it stopped
    await expect(train({ ...opts(out), lora: { ...opts(out).lora, r: 16 }, resume_from_checkpoint: true })).rejects.toThrow(
      `resume_from_checkpoint: ${config} disagrees with the LoRA settings given (lora.r (--lora_r) is 16 here and 4 there); resume with the settings the run started with`,
    );
    // Left out, a setting is its default (r 8, no dropout): not the run's either.
    const { lora: _, ...withoutLora } = opts(out);
    await expect(train({ ...withoutLora, resume_from_checkpoint: true })).rejects.toThrow('(lora.r (--lora_r) is 8 here and 4 there; lora.lora_dropout (--lora_dropout) is 0 here and 0.2 there)');
    // An adapter named on resume would not be read: the run started from new weights.
    await expect(train({ ...opts(out), adapter_name_or_path: out, resume_from_checkpoint: true })).rejects.toThrow(`started from new LoRA weights (codistill_state.json), not ${out}`);
    // A checkpoint written before the start adapter was recorded resumes as the settings say.
    const stateFile = path.join(out, 'checkpoint-3', 'codistill_state.json');
    const { startAdapter, ...older } = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    expect(startAdapter).toBeNull();
    fs.writeFileSync(stateFile, JSON.stringify(older));
    await train({ ...opts(out), resume_from_checkpoint: true });
    expectSameAdapter(out);
  });

  test('a resumed run with other settings than its checkpoint says which (the curriculum field by field) and trains with them', async () => {
    const out = tmp();
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    const stopAt = (step: number) => {
      const stop = new AbortController();
      return { signal: stop.signal, onStep: (l: StepLog) => l.step === step && stop.abort(), onWarning };
    };
    await train(opts(out), stopAt(3));
    // The same settings, and ones that change only how it computes: nothing to say.
    await train({ ...opts(out), resume_from_checkpoint: true, save_steps: 3, gradient_checkpointing: 'layer' }, stopAt(4));
    expect(warnings).toEqual([]);
    const changed = { ...opts(out), max_steps: 9, learning_rate: 1e-3, alpha_schedule: { end: 0.5 }, resume_from_checkpoint: true };
    const r = await train(changed, { onWarning });
    expect(warnings.filter((w) => w.startsWith('resume_from_checkpoint'))).toEqual([
      `resume_from_checkpoint: ${path.join(out, 'checkpoint-4')} was trained with other settings: learning_rate (--learning_rate) 0.005 -> 0.001; max_steps (--max_steps) 8 -> 9; alpha_schedule.end (--alpha_end) 0.85 -> 0.5; steps after 4 use the new ones, so the run will not end where the uninterrupted one would have`,
    ]);
    expect(r.steps).toBe(9);
  });

  test.each([
    ['none', 'layer'],
    ['layer', 'none'],
    ['selective', 'layer'],
  ] as const)('a checkpoint written with gradient_checkpointing %s resumes with %s to the uninterrupted result', async (before, after) => {
    const out = tmp();
    const stop = new AbortController();
    await train({ ...opts(out), gradient_checkpointing: before }, { signal: stop.signal, onStep: (l) => l.step === 3 && stop.abort() });
    await train({ ...opts(out), gradient_checkpointing: after, resume_from_checkpoint: true });
    const w = loadAdapter(out).weights;
    for (const [n, v] of Object.entries(reference)) expect(maxRelativeError(w[n], v)).toBeLessThan(1e-5);
  });

  test('attention in one query block trains the adapter that the default, 4 causal query blocks at max_length 2048, trains', async () => {
    const out = tmp();
    await train({ ...opts(out), attention_query_blocks: 1 });
    const w = loadAdapter(out).weights;
    for (const [n, v] of Object.entries(reference)) expect(maxRelativeError(w[n], v)).toBeLessThan(1e-5);
    // Not to the bit: the default really ran in blocks (other summation orders).
    expect(Object.entries(reference).some(([n, v]) => v.some((x, i) => x !== w[n][i]))).toBe(true);
  });

  test("resume from a named checkpoint folder (Trainer's resume_from_checkpoint); trainer_state.json has Trainer's schema", async () => {
    const out = tmp();
    await train(opts(out));
    const hub = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint-4', 'trainer_state.json'), 'utf8'));
    // transformers' TrainerState fields only: TrainerState.load_from_json(path) is cls(**json).
    expect(Object.keys(hub).sort()).toEqual(
      ['best_metric', 'best_model_checkpoint', 'epoch', 'eval_steps', 'global_step', 'is_hyper_param_search', 'is_local_process_zero', 'is_world_process_zero', 'log_history', 'logging_steps', 'max_steps', 'num_input_tokens_seen', 'num_train_epochs', 'save_steps', 'stateful_callbacks', 'total_flos', 'train_batch_size', 'trial_name', 'trial_params'].sort(),
    );
    expect(hub).toMatchObject({ global_step: 4, max_steps: 8, save_steps: 2, train_batch_size: 2 });
    expect(hub.log_history.map((e: { step: number }) => e.step)).toEqual([1, 2, 3, 4]);
    expect(hub.log_history[0]).toEqual({ epoch: expect.any(Number), grad_norm: expect.any(Number), learning_rate: expect.any(Number), loss: expect.any(Number), step: 1 });
    // Back to step 4 in the same folder: it redoes steps 5-8 to the same adapter.
    await train({ ...opts(out), resume_from_checkpoint: path.join(out, 'checkpoint-4') });
    expect(readLog(out).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expectSameAdapter(out);
  });

  test('a crash loses only the steps since the last checkpoint', async () => {
    const out = tmp();
    await expect(
      train(opts(out), {
        onStep: (l) => {
          if (l.step === 5) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(readLog(out)).toHaveLength(5);
    await train({ ...opts(out), resume_from_checkpoint: true });
    expect(readLog(out).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // step 5 redone once
    expectSameAdapter(out);
  });

  test('a torn log line and a truncated newest checkpoint: resume falls back to the one before, says so, ends identical', async () => {
    const out = tmp();
    const crash = (l: StepLog) => {
      if (l.step === 5) throw new Error('simulated crash');
    };
    await expect(train(opts(out), { onStep: crash })).rejects.toThrow('simulated crash');
    fs.appendFileSync(path.join(out, LOG_FILE), '{"step": 6, "epo'); // the crash tore the last line
    const newest = path.join(out, 'checkpoint-4');
    const optimizer = path.join(newest, 'optimizer.safetensors');
    fs.truncateSync(optimizer, fs.statSync(optimizer).size - 64); // cut short by a full disk
    const warnings: string[] = [];
    await train({ ...opts(out), resume_from_checkpoint: true }, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      expect.stringContaining(`skipping damaged checkpoint ${newest} (${optimizer}: truncated: the header describes`),
    ]);
    expect(warnings[0]).toContain(`resuming from ${path.join(out, 'checkpoint-2')}`);
    expect(readLog(out).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expectSameAdapter(out);
    expect(fs.readdirSync(out).filter((d) => d.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-4', 'checkpoint-4.damaged', 'checkpoint-6', 'checkpoint-8']);
  });

  test('a torn codistill_state.json is named; with no usable checkpoint resume is an error listing each', async () => {
    const out = tmp();
    const stop = new AbortController();
    await train(opts(out), { signal: stop.signal, onStep: (l) => l.step === 1 && stop.abort() });
    const dir = path.join(out, 'checkpoint-1');
    const state = path.join(dir, 'codistill_state.json');
    fs.writeFileSync(state, fs.readFileSync(state, 'utf8').slice(0, 20));
    await expect(train({ ...opts(out), resume_from_checkpoint: true })).rejects.toThrow(`${out}: no usable checkpoint to resume from:\n  ${dir}: ${state}: invalid JSON`);
    expect(listCheckpoints(out)).toEqual([dir]); // left in place for a look
  });
});

test('a checkpoint the disk refuses fails loudly and leaves the previous one whole, even with save_total_limit 1', () => {
  const out = tmp();
  // RLIMIT_FSIZE of 64 KiB stands in for a full disk: step 2's files fit, step 4's 1 MiB optimizer buffers do not.
  const script = `process.on('SIGXFSZ', () => {});
    const { saveCheckpoint } = await import(${JSON.stringify(path.join(here, '../src/checkpoint.ts'))});
    const { parseLoraConfig } = await import(${JSON.stringify(path.join(here, '../../lora/src/index.ts'))});
    const snap = (step, n) => ({
      state: { step, epoch: 0, batchInEpoch: step, optimizer: { kind: 'adamw', step } },
      adapter: { config: parseLoraConfig({}), weights: { w: new Float32Array(4).fill(step) }, shapes: { w: [2, 2] } },
      optimizer: { kind: 'adamw', step, buffers: { w: [new Float32Array(n), new Float32Array(n)] } },
    });
    const hub = { epoch: 0, max_steps: 4, num_train_epochs: 1, logging_steps: 1, eval_steps: 1, save_steps: 2, train_batch_size: 1, num_input_tokens_seen: 0, log_history: [] };
    saveCheckpoint(${JSON.stringify(out)}, snap(2, 4), hub, 1);
    try { saveCheckpoint(${JSON.stringify(out)}, snap(4, 262144), hub, 1); console.log('wrote'); }
    catch (e) { console.log('refused: ' + e.message); }`;
  const scriptFile = path.join(tmp(), 'disk-full.mts');
  fs.writeFileSync(scriptFile, script);
  const tsx = path.join(here, '../../../node_modules/.bin/tsx');
  const run = spawnSync('bash', ['-c', `ulimit -f 64; exec ${tsx} ${scriptFile}`], { encoding: 'utf8' });
  expect(run.stdout).toMatch(/refused: cannot write .*optimizer\.safetensors: EFBIG/);
  expect(listCheckpoints(out).map((d) => path.basename(d))).toEqual(['checkpoint-2']);
  expect(Array.from(loadCheckpoint(listCheckpoints(out)[0]).adapter.weights.w)).toEqual([2, 2, 2, 2]);
});

test('bad training data is an error naming the file, line and field', async () => {
  const out = tmp();
  const file = path.join(out, 'bad.jsonl');
  fs.writeFileSync(file, '{"prompt": "a", "target": "b"}\n{"target": "c"}\n');
  await expect(train({ ...base, train_file: file, output_dir: out })).rejects.toThrow(`${file}:2: field 'prompt' is missing`);
  fs.writeFileSync(file, '{"prompt": 1, "target": "b"}\n');
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:1: field 'prompt' must be a string`);
  fs.writeFileSync(file, '{"prompt": "a"}\n');
  await expect(readTrainingFile(file)).rejects.toThrow(/needs 'completion' \(TRL's prompt \+ completion\), 'target', or at least one of 'context', 'code', 'tests'/);
  fs.writeFileSync(file, '{"prompt": "a", "completion": 5}\n');
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:1: field 'completion' must be a string or a list of {role, content} messages`);
  fs.writeFileSync(file, '{"prompt": "a", "target": "b"}\n{"prompt": "a", "tar'); // an input's last line is never a torn append
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:2: not valid JSON`);
  await expect(train({ ...base, train_file: file, output_dir: out, learning_rate: -1 })).rejects.toThrow(/learning_rate: /);
});

test('a training line over the 64 MiB limit is an error naming file and line', async () => {
  const file = path.join(tmp(), 'huge.jsonl');
  fs.writeFileSync(file, `{"prompt": "a", "target": "b"}\n{"prompt": "${'x'.repeat(MAX_JSONL_LINE_BYTES)}", "target": "b"}\n`);
  await expect(readTrainingFile(file)).rejects.toThrow(`${file}:2: line longer than ${MAX_JSONL_LINE_BYTES} bytes`);
});
