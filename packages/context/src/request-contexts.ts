import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { AvailabilityWatch } from './availability.js';
import { parseTeacherConfig, type TeacherConfig, type TeacherConfigInput } from './config.js';
import { findLeak, type LeakOptions } from './leakage.js';
import { EndpointPool, type EndpointState, type Lease } from './pool.js';
import { buildContextMessages } from './prompt.js';
import { InvalidContextError, parseContextResponse, type ContextSections } from './sections.js';
import { ContextStore, unanswered, type ContextFailed, type ContextRecord } from './store.js';
import { createTeacherClient, requestCompletion, TeacherError, type Completion, type Received } from './teacher.js';
import { backoffDelay, realTiming, type Timing } from './timing.js';
import { addUsage, costUsd, emptyUsage, estimateTokens, UsageMeter, type Usage, type UsageTotals } from './usage.js';

/** One problem to write a context for; `id` must be deterministic (e.g. hash of question + solution index). */
export interface ContextJob {
  id: string;
  question: string;
  solution: string;
}

export interface ContextProgress {
  /** Jobs finished in this run (ok or failed), and the number this run set out to do. */
  done: number;
  total: number;
  ok: number;
  failed: number;
  /** Of `failed`, jobs that never got an answer (transport or client errors): every rerun asks them again. */
  unanswered: number;
  /** Jobs already in the output file, skipped. */
  skipped: number;
  usage: UsageTotals;
  endpoints: EndpointState[];
  last?: ContextRecord;
}

/** How often onStatus is called by default: often enough to show a log is alive, rarely enough to stay readable. */
export const DEFAULT_STATUS_EVERY_MS = 15_000;

export interface RequestContextsOptions {
  config: TeacherConfigInput | TeacherConfig;
  outPath: string;
  /** Also retry jobs whose answer an earlier run rejected (leak, invalid); unanswered jobs are always retried. */
  retryFailed?: boolean;
  /** After each finished job. */
  onProgress?: (progress: ContextProgress) => void;
  /** Every `statusEveryMs` while the run lasts, finished jobs or not: shows a log that the run is alive and which endpoints are down. */
  onStatus?: (progress: ContextProgress) => void;
  statusEveryMs?: number;
  signal?: AbortSignal;
  leak?: LeakOptions;
  timing?: Partial<Timing>;
  /** Client factory, for tests that need to see the SDK objects. */
  createClient?: (endpoint: TeacherConfig['endpoints'][number], timeoutMs: number) => OpenAI;
}

export interface RequestContextsSummary extends ContextProgress {
  aborted: boolean;
  repairedBytes: number;
  /** Everything spent on `outPath` so far: earlier runs (killed ones included) and this one. */
  usageAllRuns: UsageTotals;
}

/**
 * Thrown when no endpoint answered for `maxUnavailableMs` after requests started failing. Finished
 * rows are kept; unfinished jobs get no row (their usage is kept) and a rerun asks them again.
 */
/** An endpoint refused the API key: no request can succeed, so the run stops at the first refusal. */
export class TeacherAuthError extends Error {
  constructor(endpoint: string, message: string, apiKeyEnv: string) {
    super(`${endpoint} refused the request (${message}): its API key is missing or wrong (read from the environment variable ${apiKeyEnv}); problems not answered are not recorded, so a rerun asks them`);
    this.name = 'TeacherAuthError';
  }
}

export class TeacherUnavailableError extends Error {
  /** The run's summary up to the stop, filled in before the error is thrown. */
  summary?: RequestContextsSummary;

  constructor(endpoints: EndpointState[], budgetMs: number, outPath: string) {
    const each = endpoints.map((e) => `${e.name} (circuit ${e.state}${e.lastError ? `, last error: ${e.lastError}` : ''})`);
    super(`no teacher endpoint answered for ${budgetMs / 1000} s: ${each.join('; ')}. Finished rows are kept in ${outPath}; rerun when the server is back.`);
    this.name = 'TeacherUnavailableError';
  }
}

/** What every job of one run shares. */
interface Run {
  config: TeacherConfig;
  pool: EndpointPool<OpenAI>;
  meter: UsageMeter;
  watch: AvailabilityWatch;
  timing: Timing;
  /** The caller's signal, or the availability watch stopping the run. */
  signal: AbortSignal;
  leak?: LeakOptions;
}

/**
 * Asks the teacher for a context for every job not already in `outPath`, appending each record as it arrives.
 * Transport faults are retried with back-off across endpoints; leaked or malformed contexts are
 * re-requested `contentRetries` times, then recorded as failed with the reason. Throws
 * TeacherUnavailableError when no endpoint has answered for `maxUnavailableMs`.
 */
export async function requestContexts(jobs: ContextJob[], options: RequestContextsOptions): Promise<RequestContextsSummary> {
  const config = parseTeacherConfig(options.config);
  const store = ContextStore.open(options.outPath);
  try {
    return await runPending(jobs, config, store, options);
  } finally {
    store.close();
  }
}

async function runPending(jobs: ContextJob[], config: TeacherConfig, store: ContextStore, options: RequestContextsOptions): Promise<RequestContextsSummary> {
  const timing: Timing = { ...realTiming, ...options.timing };
  const makeClient = options.createClient ?? createTeacherClient;
  const pool = new EndpointPool(
    config.endpoints.map((e) => ({ name: e.baseURL, client: makeClient(e, config.timeoutMs), maxConcurrency: e.maxConcurrency })),
    config.breaker,
    timing,
  );
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const watch = new AvailabilityWatch(config.maxUnavailableMs, timing, () => stop.abort(new TeacherUnavailableError(pool.states(), config.maxUnavailableMs, options.outPath)));
  const run: Run = { config, pool, meter: new UsageMeter(config.pricing), watch, timing, signal, leak: options.leak };

  const pending = pendingJobs(jobs, store.existing, options.retryFailed ?? false);
  const progress: ContextProgress = { done: 0, total: pending.length, ok: 0, failed: 0, unanswered: 0, skipped: jobs.length - pending.length, usage: run.meter.totals, endpoints: pool.states() };
  const report = (callback?: (p: ContextProgress) => void) => callback?.({ ...progress, endpoints: pool.states() });
  report(options.onProgress);
  const status = options.onStatus && setInterval(() => report(options.onStatus), options.statusEveryMs ?? DEFAULT_STATUS_EVERY_MS);

  let next = 0;
  const work = async () => {
    while (next < pending.length && !signal.aborted) {
      const job = pending[next++];
      const usage = emptyUsage();
      const record = await runJob(job, run, usage);
      if (record === null) return store.appendAbandoned(job.id, usage); // no row: the rerun asks it again
      store.append(record);
      progress.done++;
      if (record.status === 'ok') progress.ok++;
      else progress.failed++;
      if (unanswered(record)) progress.unanswered++;
      progress.last = record;
      report(options.onProgress);
    }
  };
  // A worker that fails (a full disk) stops the others, so none appends after the lock is released.
  const worker = () => work().catch((error: unknown) => stop.abort(error));
  try {
    await Promise.all(Array.from({ length: Math.min(pool.capacity, pending.length) }, worker));
  } finally {
    // Nothing may outlive the run: these timers would keep the process alive after the summary.
    watch.stop();
    if (status) clearInterval(status);
  }
  const summary: RequestContextsSummary = {
    ...progress,
    endpoints: pool.states(),
    aborted: options.signal?.aborted ?? false,
    repairedBytes: store.repairedBytes,
    usageAllRuns: allRuns(store.usageBefore, run.meter.totals, config.pricing),
  };
  if (stop.signal.aborted && !summary.aborted) {
    const error = stop.signal.reason as Error;
    if (error instanceof TeacherUnavailableError) error.summary = summary;
    throw error;
  }
  return summary;
}

/** Jobs without a final row, each once. Unanswered rows are never final; rejected answers are with retryFailed unset. */
function pendingJobs(jobs: ContextJob[], existing: Map<string, ContextRecord>, retryFailed: boolean): ContextJob[] {
  const final = (record: ContextRecord | undefined) => record !== undefined && (record.status === 'ok' || (!retryFailed && !unanswered(record)));
  const seen = new Set<string>();
  return jobs.filter((job) => !final(existing.get(job.id)) && !seen.has(job.id) && seen.add(job.id));
}

function allRuns(before: Usage, now: Usage, pricing: TeacherConfig['pricing']): UsageTotals {
  const total = emptyUsage();
  addUsage(total, before);
  addUsage(total, now);
  return { ...total, costUsd: costUsd(total, pricing) };
}

/** Returns the job's record, or null when the run stopped before it finished. `usage` collects every request it made. */
async function runJob(job: ContextJob, run: Run, usage: Usage): Promise<ContextRecord | null> {
  const messages = buildContextMessages(job.question, job.solution, job.id);
  const failed = (reason: string): ContextFailed => ({ id: job.id, status: 'failed', reason, attempts: usage.requests, usage });
  let transportFailures = 0;
  let contentFailures = 0;
  try {
    for (;;) {
      const lease = await run.pool.acquire(run.signal);
      const answer = await ask(lease, messages, run, usage);
      if (answer instanceof TeacherError) {
        // A prompt longer than the teacher's context is the teacher's verdict on this problem, like an invalid answer.
        if (answer.kind === 'too-long') return failed(`too-long: ${answer.message}`);
        // Every problem would fail alike: the run stops, and the problems not answered stay unrecorded for a rerun.
        if (answer.kind === 'auth') throw new TeacherAuthError(lease.endpoint.name, answer.message, run.config.endpoints.find((e) => e.baseURL === lease.endpoint.name)!.apiKeyEnv);
        if (!answer.retryable) return failed(`client: ${answer.message}`);
        // A failed probe only says the endpoint is still down; the availability budget bounds that,
        // so it must not use up the job's attempts (probes every cool-down would fail every job).
        if (!lease.probe) transportFailures++;
        if (transportFailures > run.config.retry.maxRetries) return failed(`transport: ${answer.message}`);
        await run.timing.sleep(backoffDelay(Math.max(1, transportFailures), run.config.retry, run.timing.random, answer.retryAfterMs), run.signal);
        continue;
      }
      const verdict = judge(answer.text, job, run.leak);
      if (typeof verdict !== 'string') {
        return {
          id: job.id, status: 'ok', sections: verdict, model: run.config.model, endpoint: lease.endpoint.name, attempts: usage.requests,
          promptTokens: answer.promptTokens, completionTokens: answer.completionTokens, usage,
        };
      }
      if (++contentFailures > run.config.contentRetries) return failed(verdict);
    }
  } catch (e) {
    if (run.signal.aborted) return null;
    throw e;
  }
}

/** One request: its completion, or the classified failure. Feeds the breaker, the availability watch and the usage. */
async function ask(lease: Lease<OpenAI>, messages: ChatCompletionMessageParam[], run: Run, usage: Usage): Promise<Completion | TeacherError> {
  const received: Received = { characters: 0 };
  try {
    const completion = await requestCompletion(lease.endpoint.client, run.config, messages, run.timing.now(), run.signal, received);
    lease.release('success');
    run.watch.answered();
    run.meter.recordSuccess(usage, completion.promptTokens, completion.completionTokens);
    return completion;
  } catch (e) {
    const cutOff = run.signal.aborted || (e instanceof TeacherError && e.kind === 'timeout');
    if (cutOff) run.meter.recordCutOff(usage, spentSoFar(messages, received));
    if (!(e instanceof TeacherError)) {
      lease.release('neutral');
      throw e;
    }
    if (!cutOff) run.meter.recordFailure(usage);
    lease.release(e.countsAgainstEndpoint ? 'failure' : 'neutral', e.message);
    if (e.kind !== 'client') run.watch.failed();
    return e;
  }
}

/** What a cut-off request cost: the server's own count when it sent one mid-stream, else characters / 4. */
function spentSoFar(messages: ChatCompletionMessageParam[], received: Received) {
  if (received.promptTokens !== undefined && received.completionTokens !== undefined) {
    return { promptTokens: received.promptTokens, completionTokens: received.completionTokens, estimated: false };
  }
  const promptCharacters = messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);
  return { promptTokens: estimateTokens(promptCharacters), completionTokens: estimateTokens(received.characters), estimated: true };
}

/** The sections of a valid answer for this job, or why it was rejected. */
function judge(text: string, job: ContextJob, leakOptions?: LeakOptions): ContextSections | string {
  try {
    const sections = parseContextResponse(text, { problemId: job.id });
    const leak = findLeak(sections, job.solution, leakOptions);
    return leak === null ? sections : `leak: ${leak.kind}: ${leak.detail}`;
  } catch (e) {
    if (!(e instanceof InvalidContextError)) throw e;
    return `invalid: ${e.message}`;
  }
}

/** One line for logs: jobs done/failed/pending and each endpoint's circuit. */
export function formatStatus(p: ContextProgress): string {
  const tokens = p.usage.promptTokens + p.usage.completionTokens;
  const endpoints = p.endpoints.map((e) => `${e.name} ${e.state}${e.state !== 'closed' && e.lastError ? ` (${e.lastError})` : ''}`).join(', ');
  return `contexts: ${p.done}/${p.total} done (ok ${p.ok}, failed ${p.failed}), ${p.total - p.done} pending; ${tokens} tokens; endpoints: ${endpoints}`;
}
