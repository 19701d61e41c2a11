// Throughput of checking canonical solutions with the worker pool (HumanEval and MBPP+).
// Data dir: argument, else CODISTILL_DATA, else bench/data (HumanEval.jsonl.gz and MbppPlus-v0.2.0
// as released, shipped beside this file).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSamples, loadBenchmark, planSandbox, type BenchmarkName } from '../src/index.js';

const dataDir = process.argv[2] ?? process.env.CODISTILL_DATA ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
const files: Array<[BenchmarkName, string]> = [
  ['humaneval', path.join(dataDir, 'HumanEval.jsonl.gz')],
  ['mbppplus', path.join(dataDir, 'MbppPlus-v0.2.0.jsonl.gz')],
];
if (!files.every(([, file]) => existsSync(file))) {
  console.log(JSON.stringify({ bench: 'harness', skipped: `benchmark files not found under ${dataDir}` }));
  process.exit(0);
}
const sandbox = planSandbox().kind;
for (const [name, file] of files) {
  const tasks = await loadBenchmark(name, file);
  const samples = tasks.map((t) => ({ task_id: t.taskId, solution: t.canonicalSolution }));
  // The first pass computes (and caches) MBPP+ expected outputs; the timed pass checks only.
  await evaluateSamples(tasks, name === 'mbppplus' ? samples : samples.slice(0, 4));
  const started = performance.now();
  const { results, summary } = await evaluateSamples(tasks, samples);
  const seconds = (performance.now() - started) / 1000;
  // One trivial task alone: process start, sandbox set-up and teardown dominate.
  const single = performance.now();
  await evaluateSamples(tasks.slice(0, 1), samples.slice(0, 1), { workers: 1 });
  console.log(JSON.stringify({
    bench: 'harness', benchmark: name, sandbox, tasks: results.length, 'pass@1': summary['pass@1'],
    seconds, tasks_per_s: results.length / seconds, per_task_overhead_ms: performance.now() - single,
  }));
}
