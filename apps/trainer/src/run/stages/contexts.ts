import path from 'node:path';
import { formatStatus, readContexts, renderContext, requestContexts, unanswered, type ContextRecord, type RequestContextsSummary } from '@codistill/context';
import { writeExamplesJsonl, type TrainingExample } from '@codistill/data';
import { startServer, type RunningServer } from '@codistill/serve';
import { z } from 'zod';
import { readExamplesFile } from '../../contexts/examples-file.js';
import { teacherConfig } from '../../contexts/teacher-config.js';
import { locate } from '../paths.js';
import { carried, type Stage, type StageContext } from '../stage.js';

export interface ContextsSummary {
  trainFile: string;
  /** Where the training contexts came from, as the report prints it. */
  source: string;
  teacher: string;
  jobs: number;
  teacherOk: number;
  teacherFailed: number;
  /** Examples that got a context and go to training. */
  examples: number;
  /** The teacher's usage over every attempt of the stage (a killed one's requests too), not only the last. */
  usage: RequestContextsSummary['usageAllRuns'];
}

const summarySchema: z.ZodType<ContextsSummary> = z.object({
  trainFile: z.string(),
  source: z.string(),
  teacher: z.string(),
  jobs: z.number(),
  teacherOk: z.number(),
  teacherFailed: z.number(),
  examples: z.number(),
  usage: carried<ContextsSummary['usage']>(),
});

/** The teacher's endpoint: the configured one, or the student served by `codistill serve` for the length of the stage. */
async function teacherEndpoint({ config, log, models }: StageContext<'data'>): Promise<{ urls: string[]; model: string; server?: RunningServer }> {
  const { urls, model } = config.teacher;
  if (urls) {
    if (!model) throw new Error('teacher.model: required when teacher.urls is set (the model name the server knows)');
    return { urls, model };
  }
  const server = await startServer({
    model: await models.student(),
    servedName: locate(config.student), // the id (or folder) the run names, not the pinned snapshot's folder
    port: 0,
    host: '127.0.0.1',
    threads: config.threads ?? undefined,
    device: config.device,
    allowCpuFallback: config.allow_cpu_fallback,
    maxTokensLimit: config.teacher.serve_max_tokens,
  });
  log(`contexts: no teacher configured; serving the student '${server.modelName}' at ${server.url} as the teacher`);
  return { urls: [server.url], model: model ?? server.modelName, server };
}

async function teacherContexts(ctx: StageContext<'data'>, dir: string, examples: TrainingExample[]) {
  const { config, log } = ctx;
  const t = config.teacher;
  const jobs = examples.slice(0, t.max_problems ?? undefined).map((e) => ({ id: e.id, question: e.prompt, solution: e.code }));
  const endpoint = await teacherEndpoint(ctx);
  const bar = ctx.progress('contexts', ['ok', 'failed']);
  // `codistill run` shows bars exactly then; otherwise a log line now and then says the stage is alive.
  const interactive = config.progress && process.stderr.isTTY;
  try {
    const summary = await requestContexts(jobs, {
      config: teacherConfig({ ...t, urls: endpoint.urls, model: endpoint.model }),
      outPath: path.join(dir, 'teacher.jsonl'),
      retryFailed: t.retry_failed,
      signal: ctx.signal,
      onProgress: (p) => bar.update(p.done, p.total, { ok: p.ok, failed: p.failed }),
      onStatus: interactive ? undefined : (p) => log(formatStatus(p)),
    });
    bar.stop();
    ctx.signal.throwIfAborted();
    return { jobs, summary, teacher: endpoint.server ? `${endpoint.model} (the student, served by codistill serve)` : `${endpoint.model} at ${endpoint.urls.join(', ')}` };
  } finally {
    await endpoint.server?.close();
  }
}

const okText = (records: Map<string, ContextRecord>) => (id: string) => {
  const r = records.get(id);
  return r?.status === 'ok' ? renderContext(r.sections) : undefined;
};

/**
 * The teacher writes a context per selected pair (resumable JSONL); the pairs with a valid one
 * become training examples. When none is valid (a tiny teacher) the shipped fallback file is used
 * and the report says so.
 */
export const contextsStage: Stage<'contexts', 'data'> = {
  name: 'contexts',
  result: summarySchema,
  // Which endpoint answered does not change the contexts (a server may move), so urls count only as set or not.
  inputs: (c) => ({ teacher: { model: c.teacher.model, urls: c.teacher.urls === null ? null : 'set', max_problems: c.teacher.max_problems, temperature: c.teacher.temperature, serve_max_tokens: c.teacher.urls ? undefined : c.teacher.serve_max_tokens }, fallback_contexts: c.fallback_contexts }),
  files: (c) => [['fallback_contexts', c.fallback_contexts]],
  async run(ctx, dir) {
    const examples = readExamplesFile(ctx.before.data.examplesFile);
    const { jobs, summary, teacher } = await teacherContexts(ctx, dir, examples);
    const asked = new Set(jobs.map((j) => j.id));
    const teacherRecords = await readContexts(path.join(dir, 'teacher.jsonl'));
    const ok = [...teacherRecords.values()].filter((r) => asked.has(r.id) && r.status === 'ok').length;
    let contextFor = okText(teacherRecords);
    let source = `teacher: ${teacher}`;
    const noAnswer = [...teacherRecords.values()].filter(unanswered).filter((r) => asked.has(r.id));
    if (noAnswer.length) {
      // Not done: a finished stage would keep these rows for good, while a rerun resumes it and asks them again.
      // Only a teacher that answered (badly) is replaced by the fallback; a broken connection is the user's to fix.
      throw new Error(`contexts: ${noAnswer.length} of ${jobs.length} problems got no answer from the teacher (${noAnswer[0].reason}); finished rows are kept. Fix the endpoint if needed and rerun to ask them again`);
    }
    if (ok === 0) {
      const fallback = ctx.config.fallback_contexts;
      if (!fallback) throw new Error(`contexts: the teacher wrote no valid context for ${jobs.length} problems (see ${path.join(dir, 'teacher.jsonl')}) and fallback_contexts is null`);
      contextFor = okText(await readContexts(locate(fallback)));
      source = `shipped sample contexts ${fallback} (hand-written, not from a teacher): the teacher (${teacher}) wrote 0 valid of ${jobs.length}`;
      ctx.log(`contexts: ${source}`);
    }
    const withContext = examples.filter((e) => asked.has(e.id)).flatMap((e) => {
      const context = contextFor(e.id);
      return context === undefined ? [] : [{ ...e, context }];
    });
    if (withContext.length === 0) throw new Error('contexts: no selected problem has a context; nothing to train on');
    const trainFile = path.join(dir, 'train.jsonl');
    await writeExamplesJsonl(trainFile, withContext);
    return { trainFile, source, teacher, jobs: jobs.length, teacherOk: ok, teacherFailed: jobs.length - ok, examples: withContext.length, usage: summary.usageAllRuns };
  },
};
