import path from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import { readJsonl, writeJsonDurable } from '@codistill/util';
import {
  BENCHMARK_FILES,
  BENCHMARKS,
  evalPlusResults,
  evaluateSamples,
  isBenchmarkName,
  loadBenchmark,
  normalizeTaskId,
  type HarnessTask,
  type Sample,
} from '@codistill/harness';
import { compareModels } from '@codistill/compare';
import { withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { EvalSettings } from '../settings.js';
import { addSettings } from '../settings-flags.js';
import { deviceOptions, type DeviceFlags } from './device-flags.js';
import { FLAG_RANGES, numberFlag } from './flag-values.js';
import { adapterRevisionOption, checkAdapterRevision, checkRevision, revisionOption } from './model-flags.js';

interface EvalFlags extends DeviceFlags {
  benchmark?: string;
  samples?: string;
  data?: string;
  partial?: boolean;
  model?: string;
  revision?: string;
  adapter?: string;
  adapterRevision?: string;
  threads?: number;
  out?: string;
  progress: boolean;
}

type Settings = z.output<typeof EvalSettings>;

/** Samples in EvalPlus format, checked line by line: errors name the file and line. */
function readSamples(file: string): Sample[] {
  const samples: Sample[] = [];
  for (const { value, line } of readJsonl<Sample>(file)) {
    const where = `${file}:${line}`;
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error(
        `${where}: expected an object {"task_id": ..., "solution" | "completion": ...}, got ${JSON.stringify(value)?.slice(0, 50)}`,
      );
    if (typeof value.task_id !== 'string' && typeof value.task_id !== 'number')
      throw new Error(`${where}: "task_id" must be a string or number`);
    if (typeof value.solution !== 'string' && typeof value.completion !== 'string')
      throw new Error(
        `${where}: needs a "solution" (whole program) or "completion" (text after the prompt) string`,
      );
    samples.push(value);
  }
  if (!samples.length) throw new Error(`${file}: no samples`);
  return samples;
}

/** pass@k over a subset of tasks is not the benchmark's score: refuse it unless asked for (--partial). */
function checkCoverage(
  tasks: HarnessTask[],
  samples: Sample[],
  file: string,
  partial: boolean,
): HarnessTask[] {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const covered = new Set(samples.map((s) => normalizeTaskId(s.task_id, byId)));
  const missing = tasks.filter((t) => !covered.has(t.taskId));
  if (missing.length && !partial) {
    const names = missing
      .slice(0, 5)
      .map((t) => t.taskId)
      .join(', ');
    throw new Error(
      `${file} has no sample for ${missing.length} of ${tasks.length} tasks (${names}${missing.length > 5 ? ', ...' : ''}); pass --partial to score only the tasks it covers`,
    );
  }
  return tasks.filter((t) => covered.has(t.taskId));
}

function sandboxOptions(s: Settings) {
  return {
    workers: s.workers ?? undefined,
    timeoutSeconds: s.timeout ?? undefined,
    sandbox: s.sandbox,
    requireSandbox: s.require_sandbox,
    python: s.python ?? undefined,
  };
}

/** --samples: score samples made elsewhere against one benchmark. */
async function scoreSamples(flags: EvalFlags, s: Settings): Promise<void> {
  const name = flags.benchmark ?? '';
  if (!isBenchmarkName(name))
    throw new Error(`--benchmark must be one of ${BENCHMARKS.join(', ')}, got "${name}"`);
  if (!flags.data)
    throw new Error(`--data is required: pass the benchmark file, e.g. ${BENCHMARK_FILES[name]}`);
  const all = await loadBenchmark(name, flags.data);
  const samples = readSamples(flags.samples!);
  const tasks = checkCoverage(all, samples, flags.samples!, !!flags.partial);
  let judged = 0;
  const { results, summary } = await withInterrupt((signal) =>
    evaluateSamples(tasks, samples, { out: flags.out, ...sandboxOptions(s), signal, onResult: () => judged++ }),
  );
  // EvalPlus benchmarks: also evalplus.evaluate's own results file beside the samples, for EvalPlus' tools.
  const evalplus = name.endsWith('plus')
    ? `${flags.samples!.replace(/\.jsonl(\.gz)?$/, '')}_eval_results.json`
    : undefined;
  if (evalplus)
    writeJsonDurable(
      evalplus,
      evalPlusResults(tasks, samples, results, `${name}:${path.basename(flags.data)}`),
    );
  console.log(
    JSON.stringify({
      benchmark: name,
      ...summary,
      ...(tasks.length < all.length ? { benchmarkTasks: all.length } : {}),
      // A rerun over an --out file of a stopped run says what it did not judge again.
      ...(results.length > judged ? { reusedVerdicts: results.length - judged } : {}),
      ...(evalplus ? { evalplusResults: evalplus } : {}),
    }),
  );
}

/** --model: generate with the base model (and base + adapter), test in the sandbox, compare. */
async function compare(flags: EvalFlags, s: Settings): Promise<void> {
  const benchmarks = Object.fromEntries(BENCHMARKS.flatMap((b) => (s[b] ? [[b, s[b]]] : [])));
  if (!Object.keys(benchmarks).length)
    throw new Error(`name at least one benchmark file: ${BENCHMARKS.map((b) => `--${b} <file>`).join(', ')}`);
  if (!flags.out)
    throw new Error(
      '--out <dir> is required with --model: samples, verdicts and perplexities go there (a rerun resumes)',
    );
  const comparison = await withInterrupt((signal) =>
    compareModels({
      model: flags.model!,
      revision: flags.revision,
      adapter: flags.adapter,
      adapterRevision: flags.adapterRevision,
      benchmarks,
      limit: s.limit ?? undefined,
      maxNewTokens: s.max_new_tokens,
      promptStyle: s.prompt_style,
      batchSize: s.batch_size ?? undefined,
      ...sandboxOptions(s),
      threads: flags.threads,
      provider: flags.device,
      allowCpuFallback: flags.allowCpuFallback,
      out: flags.out!,
      signal,
      progress: (label, fields) => progressBar(label, flags.progress && process.stderr.isTTY, fields),
    }),
  );
  writeJsonDurable(path.join(flags.out, 'comparison.json'), comparison);
  console.log(JSON.stringify(comparison));
}

/** Flags only one mode reads (either spelling, as `_`): given in the other they would be ignored without a word. */
const ONLY_WITH: Record<'model' | 'samples', string[]> = {
  model: ['revision', 'adapter', 'adapter_revision', 'threads', 'device', 'allow_cpu_fallback', ...BENCHMARKS, 'limit', 'max_new_tokens', 'prompt_style', 'batch_size'],
  samples: ['benchmark', 'data', 'partial'],
};

function checkModeFlags(command: Command, mode: 'model' | 'samples'): void {
  const other = mode === 'model' ? 'samples' : 'model';
  const given = command.options.filter((o) => o.long && command.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long!.slice(2).replaceAll('-', '_'));
  const stray = given.filter((name) => ONLY_WITH[other].includes(name));
  if (stray.length) throw new Error(`${stray.map((name) => `--${name}`).join(', ')}: only with --${other}, not with --${mode}`);
}

/** `codistill eval`: base vs fine-tuned on the benchmarks (--model), or scoring of ready-made samples (--samples). */
export function register(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'With --model: generate zero-shot solutions greedily (one per task, as EvalPlus\' greedy pass@1) with the base model and with base + --adapter, test them in the sandbox and print pass@1, CodeBLEU syntax/dataflow match and question perplexity for both. With --samples: score samples made elsewhere against one benchmark.',
    )
    .option('--model <dir|hub id>', 'student checkpoint: evaluate it (and it + --adapter)');
  revisionOption(command, 'with --model: ').option('--adapter <dir|hub id>', 'LoRA adapter (PEFT format): the fine-tuned model to compare with the base');
  adapterRevisionOption(command);
  command.option(
    '--threads <n>',
    'with --model: ONNX Runtime intra-op threads',
    numberFlag(FLAG_RANGES.parallelism),
  );
  deviceOptions(command, 'with --model: where the model runs');
  command
    .option('--benchmark <name>', `with --samples: ${BENCHMARKS.join('|')}`)
    .option('--samples <file>', 'JSONL of {task_id, solution | completion}, several lines per task allowed')
    .option('--data <file>', 'with --samples: the benchmark file (path or URL)')
    .option(
      '--partial',
      'with --samples: score only the tasks the samples cover (default: every task needs a sample)',
    )
    .option(
      '--out <path>',
      'with --model: output folder; with --samples: per-sample results JSONL. Written as results arrive; a rerun with the same samples and settings resumes',
    )
    .option('--no-progress', 'no progress bars');
  // Benchmark files, generation and sandbox settings: the run config's `eval` section.
  const settingsOf = addSettings(command, EvalSettings).parse;
  command.action(async (flags: EvalFlags & Record<string, unknown>) => {
    if (!!flags.model === !!flags.samples)
      throw new Error('give either --model (generate and compare) or --samples (score ready-made samples)');
    checkModeFlags(command, flags.model ? 'model' : 'samples');
    checkRevision(flags.model, flags.revision);
    checkAdapterRevision(flags.adapter, flags.adapterRevision);
    const settings = settingsOf(flags);
    await (flags.model ? compare(flags, settings) : scoreSamples(flags, settings));
  });
}
