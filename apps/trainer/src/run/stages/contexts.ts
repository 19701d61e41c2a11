import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatStatus, generateContexts, readContexts, renderContext, unanswered, type ContextRecord, type GenerateSummary } from '@codistill/context';
import { writeExamplesJsonl, type TrainingExample } from '@codistill/data';
import { startServer, type RunningServer } from '../../serve.js';
import type { RunConfig } from '../config.js';
import { locate } from '../paths.js';
import type { Stage, StageContext } from '../stage.js';
import type { DataSummary } from './data.js';

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
  usage: GenerateSummary['usage'];
}

/** The teacher's endpoint: the configured one, or the student served by `codistill serve` for the length of the stage. */
async function teacherEndpoint(config: RunConfig, log: (line: string) => void): Promise<{ urls: string[]; model: string; server?: RunningServer }> {
  const { urls, model } = config.teacher;
  if (urls) {
    if (!model) throw new Error('teacher.model: required when teacher.urls is set (the model name the server knows)');
    return { urls, model };
  }
  const server = await startServer({
    model: locate(config.student),
    port: 0,
    host: '127.0.0.1',
    threads: config.threads ?? undefined,
    device: config.device,
    allowCpuFallback: config.allowCpuFallback,
    maxTokensLimit: config.teacher.serveMaxTokens,
  });
  log(`contexts: no teacher configured; serving the student '${server.modelName}' at ${server.url} as the teacher`);
  return { urls: [server.url], model: model ?? server.modelName, server };
}

async function teacherContexts(ctx: StageContext, dir: string, examples: TrainingExample[]) {
  const { config, log } = ctx;
  const t = config.teacher;
  const jobs = examples.slice(0, t.maxProblems ?? undefined).map((e) => ({ id: e.id, question: e.prompt, solution: e.code }));
  const endpoint = await teacherEndpoint(config, log);
  const bar = ctx.progress('contexts', ['ok', 'failed']);
  // `codistill run` shows bars exactly then; otherwise a log line now and then says the stage is alive.
  const interactive = config.progress && process.stderr.isTTY;
  try {
    const summary = await generateContexts(jobs, {
      config: {
        endpoints: endpoint.urls.map((baseURL) => ({ baseURL, apiKeyEnv: t.apiKeyEnv, maxConcurrency: t.concurrency })),
        model: endpoint.model,
        stream: t.stream,
        timeoutMs: Math.round(t.timeout * 1000),
        temperature: t.temperature,
        retry: { maxRetries: t.retries },
        maxUnavailableMs: Math.round(t.maxUnavailable * 1000),
      },
      outPath: path.join(dir, 'teacher.jsonl'),
      retryFailed: t.retryFailed,
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
export const contextsStage: Stage<ContextsSummary> = {
  name: 'contexts',
  // Which endpoint answered does not change the contexts (a server may move), so urls count only as set or not.
  inputs: (c) => ({ teacher: { model: c.teacher.model, urls: c.teacher.urls === null ? null : 'set', maxProblems: c.teacher.maxProblems, temperature: c.teacher.temperature, serveMaxTokens: c.teacher.urls ? undefined : c.teacher.serveMaxTokens }, fallbackContexts: c.fallbackContexts }),
  async run(ctx, dir) {
    const data = ctx.before.data as DataSummary;
    const examples = (await readFile(data.examplesFile, 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TrainingExample);
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
      const fallback = ctx.config.fallbackContexts;
      if (!fallback) throw new Error(`contexts: the teacher wrote no valid context for ${jobs.length} problems (see ${path.join(dir, 'teacher.jsonl')}) and fallbackContexts is null`);
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
    return { trainFile, source, teacher, jobs: jobs.length, teacherOk: ok, teacherFailed: jobs.length - ok, examples: withContext.length, usage: summary.usage };
  },
};
