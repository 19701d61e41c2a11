import fs from 'node:fs';
import path from 'node:path';
import { loadAdapter } from '@codistill/lora';
import { TextTokenizer } from '@codistill/models';
import { LOG_FILE, readTrainingFile, tokenize, train, type StepLog } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const model = modelsFixture('tiny-llama');
const codebert = modelsFixture('tiny-roberta');
const base = { model, batchSize: 2, lr: 5e-3, warmupSteps: 2, threads: 1, lora: { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] } };
const readLog = (out: string): StepLog[] =>
  fs.readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepLog);

test('prompt and spans are tokenised separately; only target tokens are in the loss', () => {
  const dir = tmp();
  const [rec] = readTrainingFile(writeData(dir, 1));
  const tok = TextTokenizer.fromDir(model);
  const ex = tokenize(rec, tok, 512);
  const promptLen = tok.encode(rec.prompt, true).length;
  expect(ex.inLoss.slice(0, promptLen).every((v) => v === 0)).toBe(true);
  expect(ex.inLoss.slice(promptLen).every((v) => v === 1)).toBe(true);
  expect(ex.spans.context!.start).toBe(promptLen);
  expect(ex.spans.code!.start).toBe(ex.spans.context!.end);
  expect(ex.ids.slice(ex.spans.code!.start, ex.spans.code!.end)).toEqual(tok.encode(`\n${rec.spans[1].text}`, false));
  expect(tokenize(rec, tok, 10).ids).toHaveLength(10);
});

test('token-loss training lowers the loss and writes a PEFT adapter, a log and checkpoints', async () => {
  const out = tmp();
  const result = await train({ ...base, lr: 2e-2, data: writeData(out), out, steps: 12, checkpointEvery: 4, keepCheckpoints: 2 });
  expect(result).toMatchObject({ steps: 12, totalSteps: 12, interrupted: false });
  const log = readLog(out);
  expect(log.map((l) => l.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  // Each epoch (3 batches) sees every example once: compare the first and last epoch's mean loss.
  const mean = (ls: StepLog[]) => ls.reduce((a, l) => a + l.loss, 0) / ls.length;
  expect(mean(log.slice(9))).toBeLessThan(mean(log.slice(0, 3)) * 0.8);
  expect(log[0]).toMatchObject({ alpha: 1, beta: 0, epoch: 0 });
  expect(log[0].lr).toBeCloseTo(1e-2);
  expect(log[5].tokens_per_s).toBeGreaterThan(0);
  expect(loadAdapter(out).config).toMatchObject({ r: 4, lora_alpha: 8, base_model_name_or_path: model });
  expect(fs.readdirSync(path.join(out, 'checkpoints'))).toEqual(['step-0000008', 'step-0000012']);
});

test('with CodeBERT the structural loss joins on the curriculum', async () => {
  const out = tmp();
  await train({ ...base, data: writeData(out, 4), out, steps: 4, codebert, schedule: { kind: 'linear', start: 0.9, end: 0.6 }, valFraction: 0.3, valEvery: 2 });
  const log = readLog(out);
  expect(log[0].alpha).toBeCloseTo(0.9);
  expect(log[3].alpha).toBeCloseTo(0.6);
  for (const l of log) {
    expect(l.struct_loss).toBeGreaterThan(0);
    expect(l.struct_loss).toBeLessThan(2);
    expect(l.loss).toBeCloseTo(l.alpha * l.token_loss + l.beta * l.struct_loss!, 4);
  }
  expect(log[1].val_loss).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(out, 'cache', 'gt-embeddings.jsonl'))).toBe(true);
});

describe('resume', () => {
  const opts = (out: string) => ({ ...base, data: writeData(out), out, steps: 8, checkpointEvery: 2, keepCheckpoints: 3 });
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
    await expect(train(opts(out))).rejects.toThrow(/already has checkpoints: pass resume/);
    const second = await train({ ...opts(out), resume: true });
    expect(second).toMatchObject({ steps: 8, interrupted: false });
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
    await train({ ...opts(out), resume: true });
    expect(readLog(out).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // step 5 redone once
    expectSameAdapter(out);
  });
});

test('bad training data is an error naming the file, line and field', async () => {
  const out = tmp();
  const file = path.join(out, 'bad.jsonl');
  fs.writeFileSync(file, '{"prompt": "a", "target": "b"}\n{"target": "c"}\n');
  await expect(train({ ...base, data: file, out })).rejects.toThrow(`${file}:2: field 'prompt' is missing`);
  fs.writeFileSync(file, '{"prompt": 1, "target": "b"}\n');
  expect(() => readTrainingFile(file)).toThrow(`${file}:1: field 'prompt' must be a string`);
  fs.writeFileSync(file, '{"prompt": "a"}\n');
  expect(() => readTrainingFile(file)).toThrow(/needs 'target' or at least one of 'context', 'code', 'tests'/);
  await expect(train({ ...base, data: file, out, lr: -1 })).rejects.toThrow(/lr: /);
});
