import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableProviders } from '@codistill/graph';
import { compareModels, modelIdentity, type CompareOptions } from '../src/index.js';
import { harnessSample, tinyAdapter, tinyLlama } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (out: string, extra: Partial<CompareOptions> = {}): CompareOptions => ({
  model: tinyLlama,
  adapter: tinyAdapter,
  benchmarks: { humaneval: harnessSample('humaneval-sample.jsonl'), mbpp: harnessSample('mbpp-sample.jsonl') },
  limit: 2,
  maxNewTokens: 8,
  promptStyle: 'completion',
  workers: 1,
  threads: 1,
  out,
  ...extra,
});
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

test('base and fine-tuned: pass@1, CodeBLEU and perplexities for both, every piece on disk; a rerun resumes to the same result', async () => {
  const out = path.join(dir, 'run');
  const bars: string[] = [];
  const first = await compareModels({ ...options(out), progress: (label) => (bars.push(label), { update: () => {}, stop: () => {} }) });
  expect(first.passAt1).toEqual([
    { benchmark: 'HumanEval', tasks: 2, base: expect.any(Number), tuned: expect.any(Number) },
    { benchmark: 'MBPP', tasks: 2, base: expect.any(Number), tuned: expect.any(Number) },
  ]);
  expect(first.codebleu.pairs).toBe(4);
  expect(first.codebleu.tuned).toEqual({ syntax: expect.any(Number), dataflow: expect.any(Number) });
  expect(first.questionPerplexity.base).toHaveLength(4);
  expect(first.questionPerplexity.tuned).toHaveLength(4);
  expect(bars).toEqual(expect.arrayContaining(['generate tuned HumanEval', 'test base MBPP', 'perplexity base']));
  for (const variant of ['base', 'tuned']) {
    expect(lines(path.join(out, variant, 'humaneval.samples.jsonl'))).toHaveLength(2);
    expect(lines(path.join(out, variant, 'mbpp.results.jsonl'))).toHaveLength(2);
  }
  const samples = readFileSync(path.join(out, 'tuned', 'humaneval.samples.jsonl'), 'utf8');
  expect(await compareModels(options(out))).toEqual(first);
  expect(readFileSync(path.join(out, 'tuned', 'humaneval.samples.jsonl'), 'utf8')).toBe(samples);
  // Other decoding settings on the same folder: refused, never mixed with the samples already there.
  await expect(compareModels(options(out, { maxNewTokens: 9 }))).rejects.toThrow(/made by another model, adapter, prompt or settings/);
});

test('without an adapter only the base model is evaluated', async () => {
  const comparison = await compareModels(options(path.join(dir, 'base-only'), { adapter: undefined, benchmarks: { mbpp: harnessSample('mbpp-sample.jsonl') }, limit: 1 }));
  expect(comparison.passAt1).toEqual([{ benchmark: 'MBPP', tasks: 1, base: expect.any(Number), tuned: null }]);
  expect(comparison.questionPerplexity.tuned).toBeNull();
});

test("modelIdentity: the adapter's contents count, the same folder gives the same identity", () => {
  const adapter = path.join(dir, 'adapter');
  cpSync(tinyAdapter, adapter, { recursive: true });
  const before = modelIdentity(tinyLlama, adapter);
  expect(modelIdentity(tinyLlama, adapter)).toEqual(before);
  expect(modelIdentity(tinyLlama)).toEqual({ model: before.model, adapter: null });
  const weights = path.join(adapter, 'adapter_model.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(weights, bytes);
  const after = modelIdentity(tinyLlama, adapter);
  expect(after.model).toBe(before.model);
  expect(after.adapter).not.toBe(before.adapter);
});

// On a machine with the CUDA provider there is nothing to refuse.
(availableProviders().has('cuda') ? test.skip : test)('a device that cannot run here is refused before anything is read or made, naming --device', async () => {
  const out = path.join(dir, 'cuda');
  await expect(compareModels(options(out, { provider: 'cuda' }))).rejects.toThrow(/^--device cuda: execution provider 'cuda' is not available[^]*install-cuda-provider\.sh/);
  expect(existsSync(out)).toBe(false);
});
