import path from 'node:path';
import { writeJsonDurable } from '@codistill/util';
import type { BenchmarkName } from '@codistill/harness';
import { compareModels, type Comparison } from '@codistill/compare';
import { z } from 'zod';
import { RUN_FILES } from '../../report/load.js';
import { studentInput } from '../config.js';
import { locate } from '../paths.js';
import { carried, jsonNumber, type Stage } from '../stage.js';

const BENCHMARK_KEYS: BenchmarkName[] = ['humaneval', 'humanevalplus', 'mbpp', 'mbppplus'];

// Perplexities can be infinite (JSON null) for a random model, so the lists inside are carried unchecked.
const summarySchema: z.ZodType<Comparison> = z.object({
  passAt1: z.array(z.object({ benchmark: z.string(), tasks: z.number(), base: jsonNumber, tuned: z.number().nullable() })),
  codebleu: carried<Comparison['codebleu']>(),
  questionPerplexity: carried<Comparison['questionPerplexity']>(),
  tokenPerplexity: carried<NonNullable<Comparison['tokenPerplexity']>>().optional(),
});

/** Base vs fine-tuned on each benchmark; writes eval/summary.json and eval/perplexity.json for the report. */
export const evalStage: Stage<'eval', 'train'> = {
  name: 'eval',
  result: summarySchema,
  // Sandbox workers, the sandbox kind and the batch size change speed and isolation, not samples or verdicts.
  inputs: (c) => ({ student: studentInput(c), device: c.device, eval: { ...c.eval, workers: undefined, sandbox: undefined, require_sandbox: undefined, batch_size: undefined } }),
  files: (c) => BENCHMARK_KEYS.map((k) => [`eval.${k}`, c.eval[k]]),
  async run(ctx, dir) {
    const { config } = ctx;
    const e = config.eval;
    const benchmarks = Object.fromEntries(BENCHMARK_KEYS.flatMap((k) => (e[k] ? [[k, locate(e[k])]] : [])));
    const comparison = await compareModels({
      model: await ctx.models.student(),
      adapter: ctx.before.train.adapterDir,
      benchmarks,
      limit: e.limit ?? undefined,
      maxNewTokens: e.max_new_tokens,
      promptStyle: e.prompt_style,
      batchSize: e.batch_size ?? undefined,
      workers: e.workers ?? undefined,
      timeoutSeconds: e.timeout ?? undefined,
      sandbox: e.sandbox,
      requireSandbox: e.require_sandbox,
      python: e.python ?? undefined,
      threads: config.threads ?? undefined,
      provider: config.device,
      allowCpuFallback: config.allow_cpu_fallback,
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
