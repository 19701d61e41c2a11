import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSamples, generateSamples, loadBenchmark, type HarnessTask } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A "model" that answers each zero-shot prompt with the reference code after it (the body for HumanEval). */
const oracleModel = async ({ canonicalSolution, zeroShot }: HarnessTask) =>
  canonicalSolution.startsWith(zeroShot.completionPrompt) ? canonicalSolution.slice(zeroShot.completionPrompt.length) : canonicalSolution;

test.each([
  ['humaneval', 'humaneval-subset.jsonl.gz'],
  ['mbpp', 'mbpp-subset.jsonl'],
] as const)('%s: programs extracted from completions of the zero-shot prompt pass', async (name, file) => {
  const tasks = await loadBenchmark(name, path.join(fixtures, file));
  const samples = await generateSamples(tasks, oracleModel);
  expect(samples.map((s) => s.task_id)).toEqual(tasks.map((t) => t.taskId));
  const { summary } = await evaluateSamples(tasks, samples, { workers: 2 });
  expect(summary['pass@1']).toBe(1);
});

test('an interrupted generation resumes without asking again for finished tasks; a torn line is redone', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'));
  const out = path.join(dir, 'samples.jsonl');
  const controller = new AbortController();
  const asked: string[] = [];
  const model = async (task: HarnessTask) => {
    asked.push(task.taskId);
    if (asked.length === 3) controller.abort(new Error('stop'));
    return oracleModel(task);
  };
  await expect(generateSamples(tasks, model, { out, signal: controller.signal })).rejects.toThrow('stop');
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
  appendFileSync(out, '{"task_id": "Mbpp/');
  asked.length = 0;
  const samples = await generateSamples(tasks, model, { out });
  expect(asked).toEqual(tasks.slice(3).map((t) => t.taskId));
  expect(samples.map((s) => s.task_id)).toEqual(tasks.map((t) => t.taskId));
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
