// Runs every canonical solution of a benchmark file through the harness and reports pass@1.
// Usage: tsx scripts/check-canonical.ts <humaneval|humanevalplus|mbpp|mbppplus> <file> [workers]
import { evaluateSamples, isBenchmarkName, loadBenchmark } from '../src/index.js';

const [name, file, workers] = process.argv.slice(2);
if (!name || !file || !isBenchmarkName(name)) {
  console.error('usage: tsx scripts/check-canonical.ts <humaneval|humanevalplus|mbpp|mbppplus> <file> [workers]');
  process.exit(2);
}
const tasks = await loadBenchmark(name, file);
const samples = tasks.map((t) => ({ task_id: t.taskId, solution: t.canonicalSolution }));
const started = Date.now();
const { results, summary } = await evaluateSamples(tasks, samples, { workers: workers ? Number(workers) : undefined });
const failures = results.filter((r) => r.status !== 'passed');
for (const f of failures) console.error(JSON.stringify(f));
console.log(JSON.stringify({ benchmark: name, ...summary, failures: failures.length, seconds: (Date.now() - started) / 1000 }));
