import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { BENCHMARK_FILES, BENCHMARKS, evaluateSamples, isBenchmarkName, loadBenchmark, type BenchmarkName, type Sample } from '@codistill/harness';
import { compareModels } from '../evaluate/compare.js';
import { withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { writeJsonAtomic } from '../run/files.js';
import { optionalNumber } from './flag-values.js';

interface EvalFlags extends Partial<Record<BenchmarkName, string>> {
  benchmark?: string;
  samples?: string;
  data?: string;
  model?: string;
  adapter?: string;
  limit?: string;
  maxNewTokens: string;
  promptStyle: 'completion' | 'chat';
  device: 'cpu' | 'cuda' | 'webgpu';
  threads?: string;
  out?: string;
  workers?: string;
  timeout?: string;
  progress: boolean;
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

/** --samples: score samples made elsewhere against one benchmark. */
async function scoreSamples(flags: EvalFlags): Promise<void> {
  const name = flags.benchmark ?? '';
  if (!isBenchmarkName(name)) throw new Error(`--benchmark must be one of ${BENCHMARKS.join(', ')}, got "${name}"`);
  if (!flags.data) throw new Error(`--data is required: pass the benchmark file, e.g. ${BENCHMARK_FILES[name]}`);
  const tasks = await loadBenchmark(name, flags.data);
  const samples = await readSamples(flags.samples!);
  const { summary } = await withInterrupt((signal) =>
    evaluateSamples(tasks, samples, { out: flags.out, workers: optionalNumber(flags.workers), timeoutSeconds: optionalNumber(flags.timeout), signal }),
  );
  console.log(JSON.stringify({ benchmark: name, ...summary }));
}

/** --model: generate with the base model (and base + adapter), test in the sandbox, compare. */
async function compare(flags: EvalFlags): Promise<void> {
  const benchmarks = Object.fromEntries(BENCHMARKS.flatMap((b) => (flags[b] ? [[b, flags[b]]] : [])));
  if (!Object.keys(benchmarks).length) throw new Error(`name at least one benchmark file: ${BENCHMARKS.map((b) => `--${b} <file>`).join(', ')}`);
  if (!flags.out) throw new Error('--out <dir> is required with --model: samples, verdicts and perplexities go there (a rerun resumes)');
  const comparison = await withInterrupt((signal) =>
    compareModels({
      model: flags.model!,
      adapter: flags.adapter,
      benchmarks,
      limit: optionalNumber(flags.limit),
      maxNewTokens: Number(flags.maxNewTokens),
      promptStyle: flags.promptStyle,
      workers: optionalNumber(flags.workers),
      timeoutSeconds: optionalNumber(flags.timeout),
      threads: optionalNumber(flags.threads),
      provider: flags.device,
      out: flags.out!,
      signal,
      progress: (label, fields) => progressBar(label, flags.progress && process.stderr.isTTY, fields),
    }),
  );
  await writeJsonAtomic(path.join(flags.out, 'comparison.json'), comparison);
  console.log(JSON.stringify(comparison));
}

/** `codistill eval`: base vs fine-tuned on the benchmarks (--model), or scoring of ready-made samples (--samples). */
export function register(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'With --model: generate zero-shot solutions with the base model and with base + --adapter, test them in the sandbox and print pass@1, CodeBLEU syntax/dataflow match and question perplexity for both. With --samples: score samples made elsewhere against one benchmark.',
    )
    .option('--model <dir|hub id>', 'student checkpoint: evaluate it (and it + --adapter)')
    .option('--adapter <dir>', 'LoRA adapter (PEFT format): the fine-tuned model to compare with the base');
  for (const b of BENCHMARKS) command.option(`--${b} <file>`, `${b} file for --model (${BENCHMARK_FILES[b]})`);
  command
    .option('--limit <n>', 'with --model: first N tasks of each benchmark')
    .option('--max-new-tokens <n>', 'with --model: tokens generated per task', '512')
    .option('--prompt-style <style>', "with --model: completion (continue the prompt) or chat (the tokenizer's chat template)", 'completion')
    .option('--device <name>', 'with --model: cpu, cuda or webgpu', 'cpu')
    .option('--threads <n>', 'with --model: ONNX Runtime intra-op threads')
    .option('--benchmark <name>', `with --samples: ${BENCHMARKS.join('|')}`)
    .option('--samples <file>', 'JSONL of {task_id, solution | completion}, several lines per task allowed')
    .option('--data <file>', 'with --samples: the benchmark file (path or URL)')
    .option('--out <path>', 'with --model: output folder; with --samples: per-sample results JSONL. Written as results arrive; a rerun resumes')
    .option('--workers <n>', 'parallel sandboxes (default: one per core)')
    .option('--timeout <seconds>', 'time limit (per test snippet for HumanEval/MBPP; per phase cap for the EvalPlus benchmarks)')
    .option('--no-progress', 'no progress bars')
    .action(async (flags: EvalFlags) => {
      if (!!flags.model === !!flags.samples) throw new Error('give either --model (generate and compare) or --samples (score ready-made samples)');
      if (flags.promptStyle !== 'completion' && flags.promptStyle !== 'chat') throw new Error(`--prompt-style must be completion or chat, got "${flags.promptStyle}"`);
      await (flags.model ? compare(flags) : scoreSamples(flags));
    });
}
