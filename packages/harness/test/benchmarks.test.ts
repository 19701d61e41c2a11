import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSamples, loadBenchmark, type BenchmarkName, type HarnessTask, type Sample } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const files: Record<BenchmarkName, string> = {
  humaneval: 'humaneval-subset.jsonl.gz',
  humanevalplus: 'humanevalplus-subset.jsonl.gz',
  mbpp: 'mbpp-subset.jsonl',
  mbppplus: 'mbppplus-subset.jsonl',
};
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'codistill-oracle-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const canonical = (tasks: HarnessTask[]): Sample[] => tasks.map((t) => ({ task_id: t.taskId, solution: t.canonicalSolution }));
/** A body that does nothing: `pass`, or nothing at all after the prompt. */
const emptyBodies = (tasks: HarnessTask[]): Sample[] =>
  tasks.flatMap((t) => [
    { task_id: t.taskId, completion: '    pass\n' },
    { task_id: t.taskId, solution: `def ${t.entryPoint}(*args):\n    pass\n` },
  ]);

describe.each(Object.keys(files) as BenchmarkName[])('%s subset', (name) => {
  let tasks: HarnessTask[];
  beforeAll(async () => {
    tasks = await loadBenchmark(name, path.join(fixtures, files[name]));
  });

  test('canonical solutions pass', async () => {
    const { results, summary } = await evaluateSamples(tasks, canonical(tasks), { oracleCacheDir: cacheDir, workers: 2 });
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(summary['pass@1']).toBe(1);
    if (name.endsWith('plus')) expect([summary.base?.['pass@1'], summary.plus?.['pass@1']]).toEqual([1, 1]);
  });

  test('empty and pass bodies score 0', async () => {
    const { results, summary } = await evaluateSamples(tasks, emptyBodies(tasks), { oracleCacheDir: cacheDir, workers: 2 });
    expect(summary['pass@1']).toBe(0);
    for (const r of results) expect(['failed', 'error']).toContain(r.status);
  });
});

test("tests that build the program's own objects reach them through handles (Mbpp/601 in the test, Mbpp/367 in setup code)", async () => {
  const tasks = (await loadBenchmark('mbpp', path.join(fixtures, files.mbpp), { mbppSplit: 'all' })).filter((t) => ['Mbpp/367', 'Mbpp/601'].includes(t.taskId));
  expect(tasks).toHaveLength(2);
  const right = await evaluateSamples(tasks, canonical(tasks), { workers: 2 });
  expect(right.results.map((r) => [r.taskId, r.status])).toEqual([['Mbpp/367', 'passed'], ['Mbpp/601', 'passed']]);
  const wrong = tasks.map((t) => ({ task_id: t.taskId, solution: `${t.canonicalSolution}\ndef ${t.entryPoint}(*args):\n    return 0\n` }));
  expect((await evaluateSamples(tasks, wrong, { workers: 2 })).results.map((r) => r.status)).toEqual(['failed', 'failed']);
});

test('the openai example samples give pass@1 = 0.5 and a rerun resumes from the results file', async () => {
  const tasks = await loadBenchmark('humaneval', path.join(fixtures, 'example_problem.jsonl'));
  const samples = readFileSync(path.join(fixtures, 'example_samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Sample);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-results-'));
  const out = path.join(dir, 'results.jsonl');
  try {
    const first = await evaluateSamples(tasks, samples, { out, timeoutSeconds: 3 });
    expect(first.summary['pass@1']).toBeCloseTo(0.5, 10);
    expect(first.results.map((r) => r.status)).toEqual(['error', 'timeout', 'error', 'passed', 'passed', 'passed']);
    let reran = 0;
    const second = await evaluateSamples(tasks, samples, { out, timeoutSeconds: 3, onResult: () => reran++ });
    expect(reran).toBe(0);
    expect(second.results).toEqual(first.results);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failures name the failing test', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, files.mbpp));
  const task = tasks.find((t) => t.taskId === 'Mbpp/17')!;
  const { results } = await evaluateSamples([task], [{ task_id: 17, solution: `def ${task.entryPoint}(a):\n    return 40 if a == 10 else 0\n` }], { workers: 1 });
  expect(results[0]).toMatchObject({ status: 'failed', testIndex: 1 });
  expect(results[0].test).toContain('assert');
});

test("an output within atol passes only as the expected output's own type, as EvalPlus asserts", async () => {
  const tasks = (await loadBenchmark('humanevalplus', path.join(fixtures, files.humanevalplus))).filter((t) => t.taskId === 'HumanEval/2');
  const body = (wrap: string) => `class F(float):\n    pass\ndef truncate_number(number):\n    return ${wrap}(number - int(number) + 5e-7)\n`;
  // A subclass named float is not the built-in float either.
  const samples = [body('float'), body('F'), `class float(float):\n    pass\n${body('float')}`].map((solution) => ({ task_id: 'HumanEval/2', solution }));
  const { results } = await evaluateSamples(tasks, samples, { oracleCacheDir: cacheDir, workers: 2 });
  expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'failed']);
  // Equal values pass whatever their type (EvalPlus' exact comparison comes first).
  const exact = await evaluateSamples(tasks, [{ task_id: 'HumanEval/2', solution: body('F').replace(' + 5e-7', '') }], { oracleCacheDir: cacheDir, workers: 1 });
  expect(exact.results[0].status).toBe('passed');
});

test('a sample for a task that was not loaded names what was', async () => {
  const tasks = await loadBenchmark('mbpp', path.join(fixtures, files.mbpp));
  await expect(evaluateSamples(tasks, [{ task_id: 1, solution: '' }])).rejects.toThrow(/sample task_id "1" is not in the benchmark: \d+ tasks loaded \(Mbpp\/\d+ to Mbpp\/\d+\); MBPP is evaluated on its test split, task_id 11-510/);
});
