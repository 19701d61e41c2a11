import {
  DEFAULT_STATUS_EVERY_MS,
  formatStatus,
  requestContexts,
  type ContextProgress,
  type RequestContextsSummary,
} from '@codistill/context';
import { Option, type Command } from 'commander';
import { EXAMPLES_WRITER, readExamplesFile } from '../contexts/examples-file.js';
import { teacherConfig } from '../contexts/teacher-config.js';
import { Interrupted, withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { TeacherSettings } from '../settings.js';
import { addSettings } from '../settings-flags.js';

interface ContextsFlags {
  teacherUrl: string;
  model: string;
  examples?: string;
  /** Removed (see missingExamples); kept as a hidden flag so old scripts get that message. */
  data?: string[];
  out: string;
  progress: boolean;
}

/** `codistill contexts`: the teacher writes a bridging context for every example `codistill data taco` selected. */
export function register(program: Command): void {
  const command = program
    .command('contexts')
    .description(
      'Ask an OpenAI-compatible teacher (vLLM, TGI, Ollama, llama.cpp, OpenAI) for a bridging context per example of --examples (the file `codistill data taco` writes), so the contexts join to exactly its ids; results are appended to --out as they arrive and a rerun skips finished problems. Exits 1 when problems failed (a rerun asks the unanswered ones again) or when no endpoint answered for --max_unavailable seconds',
    )
    .requiredOption('--teacher-url <urls>', 'base URL(s), comma-separated, e.g. http://127.0.0.1:8000/v1')
    .requiredOption('--model <name>', 'teacher model name as the server knows it')
    .option('--examples <file>', 'examples JSONL written by `codistill data taco --out` (required)')
    .addOption(new Option('--data <files...>').hideHelp())
    .requiredOption('--out <file>', 'contexts JSONL (appended, resumable; locked while a run writes it)')
    .option(
      '--no-progress',
      `no progress bar (a status line on stderr every ${DEFAULT_STATUS_EVERY_MS / 1000} s instead)`,
    );
  const settingsOf = addSettings(command, TeacherSettings).parse;
  command.action(async (flags: ContextsFlags & Record<string, unknown>) => {
    if (!flags.examples || flags.data) throw missingExamples(flags.data !== undefined);
    const settings = settingsOf(flags);
    const config = teacherConfig({
      ...settings,
      urls: flags.teacherUrl.split(',').map((url) => url.trim()),
      model: flags.model,
    });
    const examples = readExamplesFile(flags.examples);
    const jobs = examples
      .slice(0, settings.max_problems ?? undefined)
      .map((e) => ({ id: e.id, question: e.prompt, solution: e.code }));

    // A bar only where someone watches it; logs get a status line now and then, with the breaker states.
    const interactive = flags.progress && process.stderr.isTTY;
    const bar = progressBar('contexts', interactive, ['ok', 'failed', 'tokens', 'cost']);
    const status = (p: ContextProgress) => console.error(formatStatus(p));
    const finish = (summary: RequestContextsSummary) => {
      bar.stop();
      if (!interactive) status(summary);
      const { last: _last, ...rest } = summary;
      console.log(
        JSON.stringify({ out: flags.out, examples: flags.examples, jobs: jobs.length, ...rest }, null, 2),
      );
    };
    const summary = await withInterrupt((signal) =>
      requestContexts(jobs, {
        config,
        outPath: flags.out,
        retryFailed: settings.retry_failed,
        signal,
        onProgress: (p) =>
          bar.update(p.done, p.total, {
            ok: p.ok,
            failed: p.failed,
            tokens: p.usage.promptTokens + p.usage.completionTokens,
            cost: `$${p.usage.costUsd.toFixed(4)}`,
          }),
        onStatus: interactive ? undefined : status,
      }),
    ).catch((error: Error & { summary?: RequestContextsSummary }) => {
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

/**
 * Selecting problems here as well would be a second selection, free to differ from the data file's
 * (another token counter gives other ids), so the examples come only from the file `data taco` wrote.
 */
function missingExamples(gaveData: boolean): Error {
  const removed = gaveData ? '--data was removed: contexts no longer selects TACO problems itself. ' : '';
  return new Error(
    `${removed}--examples <file> is required: the examples JSONL written by ${EXAMPLES_WRITER}, so the contexts join to its ids`,
  );
}

/** Exit 1, saying what a rerun does about the failed problems. */
function failedMessage(summary: RequestContextsSummary, out: string): string {
  const rejected = summary.failed - summary.unanswered;
  const parts = [
    summary.unanswered ? `${summary.unanswered} got no answer (a rerun asks them again)` : '',
    rejected ? `${rejected} had their answer rejected (rerun with --retry-failed to ask again)` : '',
  ].filter(Boolean);
  return `${summary.failed} of ${summary.total} problems failed: ${parts.join('; ')}. Reasons are in ${out}.`;
}
