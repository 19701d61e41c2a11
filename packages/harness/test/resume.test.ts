// Stored results are tied to what produced them: other samples, settings or models are refused, never reused.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectSamples, evaluateSamples, loadBenchmark, type HarnessTask } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let tasks: HarnessTask[];
beforeAll(async () => {
  tasks = (await loadBenchmark('mbpp', path.join(fixtures, 'mbpp-subset.jsonl'))).filter((t) => t.taskId === 'Mbpp/17');
});
const right = () => [{ task_id: 'Mbpp/17', solution: 'def square_perimeter(a):\n    return 4 * a\n' }];
const wrong = () => [{ task_id: 'Mbpp/17', solution: 'def square_perimeter(a):\n    return 0\n' }];

test('verdicts of other samples in the same output file are refused, not reported', async () => {
  const out = path.join(dir, 'a.jsonl');
  expect((await evaluateSamples(tasks, right(), { out, workers: 1 })).summary['pass@1']).toBe(1);
  await expect(evaluateSamples(tasks, wrong(), { out, workers: 1 })).rejects.toThrow(/a\.jsonl holds a verdict for Mbpp\/17 sample 0 made from a different program/);
  await expect(evaluateSamples(tasks, right(), { out, workers: 1, timeoutSeconds: 9 })).rejects.toThrow(/different program, task or settings/);
  let reran = 0;
  const again = await evaluateSamples(tasks, right(), { out, workers: 1, onResult: () => reran++ });
  expect([again.summary['pass@1'], reran]).toEqual([1, 0]);
});

test('a torn last line is redone; a verdict without a fingerprint (older harness) is refused', async () => {
  const out = path.join(dir, 'b.jsonl');
  await evaluateSamples(tasks, right(), { out, workers: 1 });
  const line = readFileSync(out, 'utf8');
  writeFileSync(out, line.slice(0, 40));
  let reran = 0;
  await evaluateSamples(tasks, right(), { out, workers: 1, onResult: () => reran++ });
  expect(reran).toBe(1);
  expect(readFileSync(out, 'utf8')).toBe(line);
  const old = { ...JSON.parse(line), fingerprint: undefined };
  writeFileSync(out, JSON.stringify(old) + '\n');
  await expect(evaluateSamples(tasks, wrong(), { out, workers: 1 })).rejects.toThrow(/or by an older codistill/);
});

test('a malformed middle line or a record that is not a verdict names file and line', async () => {
  const out = path.join(dir, 'c.jsonl');
  writeFileSync(out, 'garbage\n{}\n');
  await expect(evaluateSamples(tasks, right(), { out })).rejects.toThrow(/c\.jsonl:1: invalid JSON/);
  writeFileSync(out, '[1]\n');
  await expect(evaluateSamples(tasks, right(), { out })).rejects.toThrow(/c\.jsonl:1: not a verdict record/);
});

test('two evaluations on one output file at once: the second is refused', async () => {
  const out = path.join(dir, 'd.jsonl');
  const first = evaluateSamples(tasks, right(), { out, workers: 1 });
  await expect(evaluateSamples(tasks, right(), { out, workers: 1 })).rejects.toThrow(/in use by another/);
  await first;
});

test('samples made by another model identity are refused, the same identity resumes', async () => {
  const out = path.join(dir, 'samples.jsonl');
  const model = async () => '    return 4 * a\n';
  await collectSamples(tasks, model, { out, identity: { model: 'a', adapter: 'x' } });
  await expect(collectSamples(tasks, model, { out, identity: { model: 'a', adapter: 'y' } })).rejects.toThrow(/holds a sample for Mbpp\/17 made by another model/);
  let asked = 0;
  await collectSamples(tasks, async () => (asked++, ''), { out, identity: { model: 'a', adapter: 'x' } });
  expect(asked).toBe(0);
  appendFileSync(out, '"not an object"\n');
  await expect(collectSamples(tasks, model, { out, identity: { model: 'a', adapter: 'x' } })).rejects.toThrow(/samples\.jsonl:2: not a sample record/);
});

test('bad settings are refused before anything runs', async () => {
  for (const timeoutSeconds of [NaN, -5, 0, Infinity]) await expect(evaluateSamples(tasks, right(), { timeoutSeconds })).rejects.toThrow(/timeoutSeconds must be a positive number/);
  await expect(evaluateSamples(tasks, right(), { workers: 1.5 })).rejects.toThrow(/workers must be a whole number/);
});

test('infrastructure failures fail the run instead of becoming verdicts', async () => {
  const plus = await loadBenchmark('mbppplus', path.join(fixtures, 'mbppplus-subset.jsonl'));
  const task = { ...plus[1], canonicalSolution: 'def square_perimeter(a):\n    raise RuntimeError("broken reference")\n' } as HarnessTask;
  const cacheDir = path.join(dir, 'oracles');
  await expect(evaluateSamples([task], [{ task_id: task.taskId, solution: 'def square_perimeter(a):\n    return 4 * a\n' }], { oracleCacheDir: cacheDir })).rejects.toThrow(
    /Mbpp\/17: canonical solution failed on base inputs \(RuntimeError: broken reference\)/,
  );
  // A sandbox that cannot even start (here: no memory to start Python in) is the machine's problem, not the sample's.
  await expect(evaluateSamples(tasks, right(), { limits: { memoryBytes: 8 * 2 ** 20 } })).rejects.toThrow(/did not start|judge exited|judge killed/);
});
