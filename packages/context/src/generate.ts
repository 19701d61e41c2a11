import type OpenAI from 'openai';
import { parseTeacherConfig, type TeacherConfig, type TeacherConfigInput } from './config.js';
import { findLeak, type LeakOptions } from './leakage.js';
import { EndpointPool } from './pool.js';
import { buildContextMessages } from './prompt.js';
import { InvalidContextError, parseContextResponse } from './sections.js';
import { ContextStore, type ContextRecord } from './store.js';
import { createTeacherClient, requestCompletion, TeacherError } from './teacher.js';
import { backoffDelay, realTiming, type Timing } from './timing.js';
import { UsageMeter, type UsageTotals } from './usage.js';

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
  /** Jobs already in the output file, skipped. */
  skipped: number;
  usage: UsageTotals;
  last?: ContextRecord;
}

export interface GenerateOptions {
  config: TeacherConfigInput | TeacherConfig;
  outPath: string;
  /** Retry jobs recorded as failed by an earlier run (their new record is appended). */
  retryFailed?: boolean;
  onProgress?: (progress: ContextProgress) => void;
  signal?: AbortSignal;
  leak?: LeakOptions;
  timing?: Partial<Timing>;
  /** Client factory, for tests that need to see the SDK objects. */
  createClient?: (endpoint: TeacherConfig['endpoints'][number], timeoutMs: number) => OpenAI;
}

export interface GenerateSummary extends ContextProgress {
  aborted: boolean;
  repairedBytes: number;
  endpoints: Array<{ name: string; state: string; started: number }>;
}

/**
 * Writes a context for every job not already in `outPath`, appending each record as it arrives.
 * Transport faults are retried with back-off across endpoints; leaked or malformed contexts are
 * re-requested `contentRetries` times, then recorded as failed with the reason.
 */
export async function generateContexts(jobs: ContextJob[], options: GenerateOptions): Promise<GenerateSummary> {
  const config = parseTeacherConfig(options.config);
  const timing: Timing = { ...realTiming, ...options.timing };
  const makeClient = options.createClient ?? createTeacherClient;
  const pool = new EndpointPool(
    config.endpoints.map((e) => ({ name: e.baseURL, client: makeClient(e, config.timeoutMs), maxConcurrency: e.maxConcurrency })),
    config.breaker,
    timing,
  );
  const store = await ContextStore.open(options.outPath);
  const finished = (id: string) => {
    const record = store.existing.get(id);
    return record !== undefined && (record.status === 'ok' || !options.retryFailed);
  };
  const seen = new Set<string>();
  const pending = jobs.filter((job) => !finished(job.id) && !seen.has(job.id) && seen.add(job.id));
  const meter = new UsageMeter(config.pricing);
  const progress: ContextProgress = { done: 0, total: pending.length, ok: 0, failed: 0, skipped: jobs.length - pending.length, usage: meter.totals };
  options.onProgress?.(progress);

  let next = 0;
  const worker = async () => {
    while (next < pending.length && !options.signal?.aborted) {
      const job = pending[next++];
      const record = await runJob(job, config, pool, meter, timing, options);
      if (record === null) return; // aborted mid-job: nothing is written, the rerun redoes it
      await store.append(record);
      progress.done++;
      if (record.status === 'ok') progress.ok++;
      else progress.failed++;
      progress.last = record;
      options.onProgress?.(progress);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(pool.capacity, pending.length) }, worker));
  } finally {
    await store.close();
  }
  return {
    ...progress,
    aborted: options.signal?.aborted ?? false,
    repairedBytes: store.repairedBytes,
    endpoints: pool.states().map(({ name, state, started }) => ({ name, state, started })),
  };
}

/** Returns the job's record, or null when the run was aborted before it finished. */
async function runJob(
  job: ContextJob,
  config: TeacherConfig,
  pool: EndpointPool<OpenAI>,
  meter: UsageMeter,
  timing: Timing,
  options: GenerateOptions,
): Promise<ContextRecord | null> {
  const messages = buildContextMessages(job.question, job.solution);
  let attempts = 0;
  let transportFailures = 0;
  let contentFailures = 0;
  const signal = options.signal;
  try {
    for (;;) {
      const lease = await pool.acquire(signal);
      attempts++;
      let completion;
      try {
        completion = await requestCompletion(lease.endpoint.client, config, messages, timing.now(), signal);
        lease.release('success');
      } catch (e) {
        if (!(e instanceof TeacherError)) {
          lease.release('neutral');
          throw e;
        }
        lease.release(e.countsAgainstEndpoint ? 'failure' : 'neutral');
        meter.recordFailure();
        if (!e.retryable) return { id: job.id, status: 'failed', reason: `client: ${e.message}`, attempts };
        if (++transportFailures > config.retry.maxRetries) return { id: job.id, status: 'failed', reason: `transport: ${e.message}`, attempts };
        await timing.sleep(backoffDelay(transportFailures, config.retry, timing.random, e.retryAfterMs), signal);
        continue;
      }
      meter.recordSuccess(completion.promptTokens, completion.completionTokens);
      let reason: string;
      try {
        const sections = parseContextResponse(completion.text);
        const leak = findLeak(sections, job.solution, options.leak);
        if (leak === null) {
          return {
            id: job.id, status: 'ok', sections, model: config.model, endpoint: lease.endpoint.name, attempts,
            promptTokens: completion.promptTokens, completionTokens: completion.completionTokens,
          };
        }
        reason = `leak: ${leak.kind}: ${leak.detail}`;
      } catch (e) {
        if (!(e instanceof InvalidContextError)) throw e;
        reason = `invalid: ${e.message}`;
      }
      if (++contentFailures > config.contentRetries) return { id: job.id, status: 'failed', reason, attempts };
    }
  } catch (e) {
    if (signal?.aborted) return null;
    throw e;
  }
}
