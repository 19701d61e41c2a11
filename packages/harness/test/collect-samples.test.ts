import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectSamples, evaluateSamples, loadBenchmark, type HarnessTask } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-collect-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

/** A "model" that answers each zero-shot prompt with the reference code after it (the body for HumanEval). */
const oracleModel = async ({ canonicalSolution, zeroShot }: HarnessTask) =>
  canonicalSolution.startsWith(zeroShot.completionPrompt) ? canonicalSolution.slice(zeroShot.completionPrompt.length) : canonicalSolution;

test.each([
  ['humaneval', 'humaneval-subset.jsonl.gz'],
  ['mbpp', 'mbpp-subset.jsonl'],
] as const)('%s: programs extracted from completions of the zero-shot prompt pass', async (name, file) => {
  const tasks = await loadBenchmark(name, path.join(fixtures, file));
  const samples = await collectSamples(tasks, oracleModel);
  expect(samples.map((s) => s.task_id)).toEqual(tasks.map((t) => t.taskId));
  const { summary } = await evaluateSamples(tasks, samples, { workers: 2 });
  expect(summary['pass@1']).toBe(1);
});

test('an interrupted collection resumes without asking again for finished tasks; a torn line is redone', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  const out = path.join(dir, 'samples.jsonl');
  const controller = new AbortController();
  const asked: string[] = [];
  const model = async (task: HarnessTask) => {
    asked.push(task.taskId);
    if (asked.length === 3) controller.abort(new Error('stop'));
    return oracleModel(task);
  };
  await expect(collectSamples(tasks, model, { out, signal: controller.signal })).rejects.toThrow('stop');
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
  appendFileSync(out, '{"task_id": "Mbpp/');
  asked.length = 0;
  const samples = await collectSamples(tasks, model, { out });
  expect(asked).toEqual(tasks.slice(3).map((t) => t.taskId));
  expect(samples.map((s) => s.task_id)).toEqual(tasks.map((t) => t.taskId));
});

test('a batch model is asked batchSize tasks at a time in the order given; file and samples are those of one task at a time', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  const single = path.join(dir, 'single.jsonl');
  const expected = await collectSamples(tasks, oracleModel, { out: single });
  const batches: string[][] = [];
  const complete = async (batch: HarnessTask[]) => (batches.push(batch.map((t) => t.taskId)), Promise.all(batch.map(oracleModel)));
  const reversed = [...tasks].reverse();
  const out = path.join(dir, 'batched.jsonl');
  const seen: number[] = [];
  const samples = await collectSamples(reversed, { batchSize: 2, complete }, { out, onSample: (_s, done) => seen.push(done) });
  expect(batches).toEqual(Array.from({ length: Math.ceil(tasks.length / 2) }, (_, i) => reversed.slice(2 * i, 2 * i + 2).map((t) => t.taskId)));
  expect(samples).toEqual([...expected].reverse());
  expect(seen).toEqual(tasks.map((_, i) => i + 1));
  expect(readFileSync(out, 'utf8')).toBe(lines(single).reverse().join('\n') + '\n');
});

test('an abort between batches keeps the finished batch; a rerun from the middle of a batch asks only for the rest', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  const out = path.join(dir, 'resume-batched.jsonl');
  const controller = new AbortController();
  const asked: string[][] = [];
  const complete = async (batch: HarnessTask[]) => (asked.push(batch.map((t) => t.taskId)), Promise.all(batch.map(oracleModel)));
  const run = collectSamples(tasks, { batchSize: 2, complete }, { out, signal: controller.signal, onSample: () => controller.abort(new Error('stop')) });
  await expect(run).rejects.toThrow('stop');
  expect(asked).toHaveLength(1);
  // As if the process died after writing one sample of the batch and part of the next.
  const written = lines(out);
  expect(written).toHaveLength(2);
  writeFileSync(out, `${written[0]}\n${written[1].slice(0, 20)}`);
  asked.length = 0;
  const samples = await collectSamples(tasks, { batchSize: 2, complete }, { out });
  expect(asked).toEqual([tasks.slice(1, 3).map((t) => t.taskId), tasks.slice(3).map((t) => t.taskId)]);
  const uninterrupted = path.join(dir, 'uninterrupted.jsonl');
  expect(samples).toEqual(await collectSamples(tasks, oracleModel, { out: uninterrupted }));
  expect(readFileSync(out, 'utf8')).toBe(readFileSync(uninterrupted, 'utf8'));
});

test('a batch model that answers the wrong number of texts, or a batch size below 1, is refused', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  await expect(collectSamples(tasks, { batchSize: 2, complete: async () => [''] })).rejects.toThrow(/answered 1 texts for a batch of 2 tasks/);
  for (const batchSize of [0, 1.5, NaN]) await expect(collectSamples(tasks, { batchSize, complete: async () => [] })).rejects.toThrow(/batchSize must be a whole number/);
});

test('evaluateSamples stops on abort after writing what finished', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  const out = path.join(dir, 'results.jsonl');
  const controller = new AbortController();
  const samples = tasks.map((t) => ({ task_id: t.taskId, solution: t.canonicalSolution }));
  const run = evaluateSamples(tasks, samples, { out, workers: 1, signal: controller.signal, onResult: () => controller.abort(new Error('stop')) });
  await expect(run).rejects.toThrow('stop');
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
});
