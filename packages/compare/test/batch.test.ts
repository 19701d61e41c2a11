import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ANCHOR_SHAPE, llama31Slice, type LlamaShape } from '@codistill/models';
import { compareModels, defaultBatchSize, type CompareOptions } from '../src/index.js';
import { harnessSample, tinyLlama } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-compare-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// All 18 sample tasks: prompts of 73 to 403 tokens, so every batch of 4 is left-padded.
const BENCHMARKS = ['humaneval', 'mbpp', 'mbppplus'] as const;
const options = (out: string, batchSize: number, extra: Partial<CompareOptions> = {}): CompareOptions => ({
  model: tinyLlama,
  benchmarks: Object.fromEntries(BENCHMARKS.map((b) => [b, harnessSample(`${b}-sample.jsonl`)])),
  maxNewTokens: 24,
  promptStyle: 'completion',
  batchSize,
  workers: 2,
  threads: 1,
  out,
  ...extra,
});
const samplesOf = (out: string) => BENCHMARKS.map((b) => readFileSync(path.join(out, 'base', `${b}.samples.jsonl`), 'utf8'));

let single: { comparison: Awaited<ReturnType<typeof compareModels>>; files: string[] };
beforeAll(async () => {
  const out = path.join(dir, 'batch-1');
  single = { comparison: await compareModels(options(out, 1)), files: samplesOf(out) };
});

test('greedy samples decoded 4 at a time are those decoded one at a time, byte for byte, and so is the comparison', async () => {
  const out = path.join(dir, 'batch-4');
  const comparison = await compareModels(options(out, 4));
  expect(samplesOf(out)).toEqual(single.files);
  expect(comparison).toEqual(single.comparison);
  // MBPP+ also gets EvalPlus' own results file, one entry per task, as `codistill eval --samples` writes it.
  const evalplus = JSON.parse(readFileSync(path.join(out, 'base', 'mbppplus_eval_results.json'), 'utf8'));
  expect(evalplus.hash).toBe('mbppplus:mbppplus-sample.jsonl');
  expect(Object.keys(evalplus.eval)).toHaveLength(single.files[2].trim().split('\n').length);
  // Written longest prompt first, whatever the batch size: not task order.
  const ids = single.files[0].trim().split('\n').map((l) => JSON.parse(l).task_id);
  expect(ids).not.toEqual([...ids].sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1])));
});

test('interrupted after a batch and cut in the middle of it, a rerun with another batch size ends with the same files', async () => {
  const out = path.join(dir, 'interrupted');
  const controller = new AbortController();
  const progress = (label: string) => ({ update: (done: number) => void (label.startsWith('generate') && done >= 1 && controller.abort(new Error('stop'))), stop: () => {} });
  await expect(compareModels(options(out, 4, { signal: controller.signal, progress }))).rejects.toThrow('stop');
  const file = path.join(out, 'base', 'humaneval.samples.jsonl');
  const written = readFileSync(file, 'utf8').trim().split('\n');
  expect(written).toHaveLength(4);
  // As if the process died while writing the batch: two samples and half of the third.
  writeFileSync(file, `${written[0]}\n${written[1]}\n${written[2].slice(0, 30)}`);
  expect(await compareModels(options(out, 3))).toEqual(single.comparison);
  expect(samplesOf(out)).toEqual(single.files);
});

test('the default batch size: as many rows as 1 GiB of float32 KV cache holds, 1 to 32 on a GPU provider, 1 to 8 on the CPU', () => {
  const config = ({ extra, ...sizes }: LlamaShape) => ({ model_type: 'llama', ...sizes, ...extra });
  // 58 M shape: 2 x 8 layers x 8 KV heads x 64 dims x 4 bytes = 32 KiB per token.
  expect(defaultBatchSize(config(ANCHOR_SHAPE), 2048)).toBe(8);
  expect(defaultBatchSize(config(llama31Slice(32)), 1024)).toBe(4);
  expect(defaultBatchSize(config(llama31Slice(32)), 5000, 'cpu')).toBe(1);
  expect(defaultBatchSize(config(ANCHOR_SHAPE), 2048, 'cuda')).toBe(16);
  expect(defaultBatchSize(config(ANCHOR_SHAPE), 1000, 'webgpu')).toBe(32);
  // Llama-3.1-8B widths, 32 layers: 2 x 32 x 8 x 128 x 4 = 256 KiB per token.
  expect(defaultBatchSize(config(llama31Slice(32)), 1024, 'cuda')).toBe(4);
  expect(defaultBatchSize(config(llama31Slice(32)), 5000, 'cuda')).toBe(1);
  // The tiny fixture: 512 bytes per token, capped at 32.
  expect(defaultBatchSize(JSON.parse(readFileSync(path.join(tinyLlama, 'config.json'), 'utf8')), 128, 'cuda')).toBe(32);
});
