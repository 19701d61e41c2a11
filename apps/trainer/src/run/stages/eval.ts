import path from 'node:path';
import { writeJsonDurable } from '@codistill/util';
import type { BenchmarkName } from '@codistill/harness';
import { compareModels, type Comparison } from '../../evaluate/compare.js';
import { RUN_FILES } from '../../report/load.js';
import { locate } from '../paths.js';
import type { Stage } from '../stage.js';
import type { TrainSummary } from './train.js';

const BENCHMARK_KEYS: BenchmarkName[] = ['humaneval', 'humanevalplus', 'mbpp', 'mbppplus'];

/** Base vs fine-tuned on each benchmark; writes eval/summary.json and eval/perplexity.json for the report. */
export const evalStage: Stage<Comparison> = {
  name: 'eval',
  // Sandbox workers and the sandbox kind change speed and isolation, not verdicts.
  inputs: (c) => ({ student: c.student, device: c.device, eval: { ...c.eval, workers: undefined, sandbox: undefined, requireSandbox: undefined } }),
  async run(ctx, dir) {
    const { config } = ctx;
    const e = config.eval;
    const benchmarks = Object.fromEntries(BENCHMARK_KEYS.flatMap((k) => (e[k] ? [[k, locate(e[k])]] : [])));
    const comparison = await compareModels({
      model: locate(config.student),
      adapter: (ctx.before.train as TrainSummary).adapterDir,
      benchmarks,
      limit: e.limit ?? undefined,
      maxNewTokens: e.maxNewTokens,
      promptStyle: e.promptStyle,
      workers: e.workers ?? undefined,
      timeoutSeconds: e.timeout ?? undefined,
      sandbox: e.sandbox,
      requireSandbox: e.requireSandbox,
      python: e.python ?? undefined,
      threads: config.threads ?? undefined,
      provider: config.device,
      allowCpuFallback: config.allowCpuFallback,
      out: dir,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    const { passAt1, codebleu, questionPerplexity, tokenPerplexity } = comparison;
    writeJsonDurable(path.join(config.out, RUN_FILES.evalSummary), { passAt1, codebleu });
    writeJsonDurable(path.join(config.out, RUN_FILES.perplexity), { questionPerplexity, tokenPerplexity });
    for (const row of passAt1) ctx.log(`eval: ${row.benchmark} pass@1 base ${row.base}% fine-tuned ${row.tuned}% (${row.tasks} tasks)`);
    return comparison;
  },
};
