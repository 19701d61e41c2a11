import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BENCHMARK_FILES, BENCHMARKS, evaluateSamples, isBenchmarkName, loadBenchmark, type Sample } from '@codistill/harness';

interface EvalFlags {
  benchmark: string;
  samples: string;
  data?: string;
  out?: string;
  workers?: string;
  timeout?: string;
}

async function readSamples(file: string): Promise<Sample[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const samples: Sample[] = [];
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    try {
      samples.push(JSON.parse(line) as Sample);
    } catch (error) {
      throw new Error(`${file}:${index + 1}: invalid JSON (${(error as Error).message})`);
    }
  });
  return samples;
}

/** `codistill eval`: scores samples made elsewhere against a benchmark's tests in the sandbox. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('Check generated samples against HumanEval, HumanEval+, MBPP or MBPP+ tests (sandboxed) and print pass@k as JSON')
    .requiredOption('--benchmark <name>', BENCHMARKS.join('|'))
    .requiredOption('--samples <file>', 'JSONL of {task_id, solution | completion}, several lines per task allowed')
    .option('--data <file>', 'benchmark file (path or URL)')
    .option('--out <file>', 'per-sample results JSONL, written as they finish; a rerun resumes from it')
    .option('--workers <n>', 'parallel sandboxes (default: one per core)')
    .option('--timeout <seconds>', 'time limit (per test snippet for HumanEval/MBPP; per phase cap for the EvalPlus benchmarks)')
    .action(async (flags: EvalFlags) => {
      if (!isBenchmarkName(flags.benchmark)) throw new Error(`--benchmark must be one of ${BENCHMARKS.join(', ')}, got "${flags.benchmark}"`);
      if (!flags.data) throw new Error(`--data is required: pass the benchmark file, e.g. ${BENCHMARK_FILES[flags.benchmark]}`);
      const tasks = await loadBenchmark(flags.benchmark, flags.data);
      const { summary } = await evaluateSamples(tasks, await readSamples(flags.samples), {
        out: flags.out,
        workers: flags.workers ? Number(flags.workers) : undefined,
        timeoutSeconds: flags.timeout ? Number(flags.timeout) : undefined,
      });
      console.log(JSON.stringify({ benchmark: flags.benchmark, ...summary }));
    });
}
