import { generateContexts, parseTeacherConfig } from '@codistill/context';
import { prepareTaco } from '@codistill/data';
import type { Command } from 'commander';
import { Interrupted, withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';

interface ContextsFlags {
  teacherUrl: string;
  model: string;
  data: string[];
  out: string;
  concurrency: string;
  maxProblems?: string;
  apiKeyEnv: string;
  stream?: boolean;
  timeout: string;
  retries: string;
  temperature: string;
  maxTokens: string;
  extra: string;
  seed: string;
  retryFailed?: boolean;
  progress: boolean;
}

/** `codistill contexts`: the teacher writes a bridging context for every selected TACO pair. */
export function register(program: Command): void {
  program
    .command('contexts')
    .description(
      'Ask an OpenAI-compatible teacher (vLLM, TGI, Ollama, llama.cpp, OpenAI) for a bridging context per selected TACO problem; results are appended to --out as they arrive and a rerun skips finished problems',
    )
    .requiredOption('--teacher-url <urls>', 'base URL(s), comma-separated, e.g. http://127.0.0.1:8000/v1')
    .requiredOption('--model <name>', 'teacher model name as the server knows it')
    .requiredOption('--data <files...>', 'TACO rows (.jsonl, .json, .parquet, or hub:train)')
    .requiredOption('--out <file>', 'contexts JSONL (appended, resumable)')
    .option('--concurrency <n>', 'requests in flight per endpoint', '4')
    .option('--max-problems <n>', 'only the first N selected pairs')
    .option('--api-key-env <var>', 'environment variable holding the API key', 'OPENAI_API_KEY')
    .option('--stream', 'stream responses (SSE)')
    .option('--timeout <seconds>', 'per-request deadline', '120')
    .option('--retries <n>', 'transport retries per problem', '6')
    .option('--temperature <t>', 'sampling temperature', '0.2')
    .option('--max-tokens <n>', 'selection budget in student tokens (same as `data taco`)', '2000')
    .option('--extra <n>', 'selection: problems repeated with another solution (same as `data taco`)', '3000')
    .option('--seed <n>', 'selection seed (same as `data taco`)', '0')
    .option('--retry-failed', 'retry problems an earlier run recorded as failed')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: ContextsFlags) => {
      const config = parseTeacherConfig({
        endpoints: flags.teacherUrl.split(',').map((url) => ({ baseURL: url.trim(), apiKeyEnv: flags.apiKeyEnv, maxConcurrency: Number(flags.concurrency) })),
        model: flags.model,
        stream: flags.stream ?? false,
        timeoutMs: Math.round(Number(flags.timeout) * 1000),
        temperature: Number(flags.temperature),
        retry: { maxRetries: Number(flags.retries) },
      });
      const { pairs, report } = await prepareTaco(flags.data, { maxTokens: Number(flags.maxTokens), extra: Number(flags.extra), seed: Number(flags.seed) });
      const limit = flags.maxProblems === undefined ? pairs.length : Number(flags.maxProblems);
      const jobs = pairs.slice(0, limit).map((p) => ({ id: p.id, question: p.prompt, solution: p.code }));

      const bar = progressBar('contexts', flags.progress && process.stderr.isTTY, ['ok', 'failed', 'tokens', 'cost']);
      const summary = await withInterrupt((signal) =>
        generateContexts(jobs, {
          config,
          outPath: flags.out,
          retryFailed: flags.retryFailed,
          signal,
          onProgress: (p) => bar.update(p.done, p.total, { ok: p.ok, failed: p.failed, tokens: p.usage.promptTokens + p.usage.completionTokens, cost: `$${p.usage.costUsd.toFixed(4)}` }),
        }),
      );
      bar.stop();
      const { last: _last, ...rest } = summary;
      console.log(JSON.stringify({ out: flags.out, selection: report, jobs: jobs.length, ...rest }, null, 2));
      if (summary.aborted) throw new Interrupted();
    });
}
