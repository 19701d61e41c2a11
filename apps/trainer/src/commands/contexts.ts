import { DEFAULT_MAX_UNAVAILABLE_MS, DEFAULT_STATUS_EVERY_MS, formatStatus, generateContexts, parseTeacherConfig, type ContextProgress, type GenerateSummary } from '@codistill/context';
import { prepareTaco } from '@codistill/data';
import type { Command } from 'commander';
import { Interrupted, withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { FLAG_RANGES, numberFlag } from './flag-values.js';

interface ContextsFlags {
  teacherUrl: string;
  model: string;
  data: string[];
  out: string;
  concurrency: number;
  maxProblems?: number;
  apiKeyEnv: string;
  stream?: boolean;
  timeout: number;
  maxUnavailable: number;
  retries: number;
  temperature: number;
  maxTokens: number;
  extra: number;
  seed: number;
  retryFailed?: boolean;
  progress: boolean;
}

/** `codistill contexts`: the teacher writes a bridging context for every selected TACO pair. */
export function register(program: Command): void {
  program
    .command('contexts')
    .description(
      'Ask an OpenAI-compatible teacher (vLLM, TGI, Ollama, llama.cpp, OpenAI) for a bridging context per selected TACO problem; results are appended to --out as they arrive and a rerun skips finished problems. Exits 1 when problems failed (a rerun asks the unanswered ones again) or when no endpoint answered for --max-unavailable seconds',
    )
    .requiredOption('--teacher-url <urls>', 'base URL(s), comma-separated, e.g. http://127.0.0.1:8000/v1')
    .requiredOption('--model <name>', 'teacher model name as the server knows it')
    .requiredOption('--data <files...>', 'TACO rows (.jsonl, .json, .parquet, or hub:train)')
    .requiredOption('--out <file>', 'contexts JSONL (appended, resumable; locked while a run writes it)')
    .option('--concurrency <n>', 'requests in flight per endpoint', numberFlag(FLAG_RANGES.parallelism), 4)
    .option('--max-problems <n>', 'only the first N selected pairs', numberFlag(FLAG_RANGES.count))
    .option('--api-key-env <var>', 'environment variable holding the API key', 'OPENAI_API_KEY')
    .option('--stream', 'stream responses (SSE)')
    .option('--timeout <seconds>', 'per-request deadline', numberFlag(FLAG_RANGES.seconds), 120)
    .option('--max-unavailable <seconds>', 'stop when no endpoint has answered for this long after requests started failing', numberFlag(FLAG_RANGES.seconds), DEFAULT_MAX_UNAVAILABLE_MS / 1000)
    .option('--retries <n>', 'transport retries per problem', numberFlag({ integer: true, min: 0, max: 100 }), 6)
    .option('--temperature <t>', 'sampling temperature', numberFlag({ min: 0, max: 2 }), 0.2)
    .option('--max-tokens <n>', 'selection budget in student tokens (same as `data taco`)', numberFlag(FLAG_RANGES.tokens), 2000)
    .option('--extra <n>', 'selection: problems repeated with another solution (same as `data taco`)', numberFlag({ integer: true, min: 0 }), 3000)
    .option('--seed <n>', 'selection seed (same as `data taco`)', numberFlag(FLAG_RANGES.seed), 0)
    .option('--retry-failed', 'also ask again for problems whose answer an earlier run rejected (leak, invalid)')
    .option('--no-progress', `no progress bar (a status line on stderr every ${DEFAULT_STATUS_EVERY_MS / 1000} s instead)`)
    .action(async (flags: ContextsFlags) => {
      const config = parseTeacherConfig({
        endpoints: flags.teacherUrl.split(',').map((url) => ({ baseURL: url.trim(), apiKeyEnv: flags.apiKeyEnv, maxConcurrency: flags.concurrency })),
        model: flags.model,
        stream: flags.stream ?? false,
        timeoutMs: Math.round(flags.timeout * 1000),
        maxUnavailableMs: Math.round(flags.maxUnavailable * 1000),
        temperature: flags.temperature,
        retry: { maxRetries: flags.retries },
      });
      const { pairs, report } = await prepareTaco(flags.data, { maxTokens: flags.maxTokens, extra: flags.extra, seed: flags.seed });
      const jobs = pairs.slice(0, flags.maxProblems ?? pairs.length).map((p) => ({ id: p.id, question: p.prompt, solution: p.code }));

      // A bar only where someone watches it; logs get a status line now and then, with the breaker states.
      const interactive = flags.progress && process.stderr.isTTY;
      const bar = progressBar('contexts', interactive, ['ok', 'failed', 'tokens', 'cost']);
      const status = (p: ContextProgress) => console.error(formatStatus(p));
      const finish = (summary: GenerateSummary) => {
        bar.stop();
        if (!interactive) status(summary);
        const { last: _last, ...rest } = summary;
        console.log(JSON.stringify({ out: flags.out, selection: report, jobs: jobs.length, ...rest }, null, 2));
      };
      const summary = await withInterrupt((signal) =>
        generateContexts(jobs, {
          config,
          outPath: flags.out,
          retryFailed: flags.retryFailed,
          signal,
          onProgress: (p) => bar.update(p.done, p.total, { ok: p.ok, failed: p.failed, tokens: p.usage.promptTokens + p.usage.completionTokens, cost: `$${p.usage.costUsd.toFixed(4)}` }),
          onStatus: interactive ? undefined : status,
        }),
      ).catch((error: Error & { summary?: GenerateSummary }) => {
        // Stopped for want of a teacher: what was done and spent is still reported.
        if (error.summary) finish(error.summary);
        else bar.stop();
        throw error;
      });
      finish(summary);
      if (summary.aborted) throw new Interrupted();
      if (summary.failed > 0) throw new Error(failedMessage(summary, flags.out));
    });
}

/** Exit 1, saying what a rerun does about the failed problems. */
function failedMessage(summary: GenerateSummary, out: string): string {
  const rejected = summary.failed - summary.unanswered;
  const parts = [
    summary.unanswered ? `${summary.unanswered} got no answer (a rerun asks them again)` : '',
    rejected ? `${rejected} had their answer rejected (rerun with --retry-failed to ask again)` : '',
  ].filter(Boolean);
  return `${summary.failed} of ${summary.total} problems failed: ${parts.join('; ')}. Reasons are in ${out}.`;
}
