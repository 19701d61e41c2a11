// The teacher stage under a flaky or dead server: every test drives the real OpenAI client against a
// fault-injecting loopback server, with budgets of milliseconds instead of minutes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import {
  abandonedUsagePath, formatStatus, readContexts, requestContexts, TeacherUnavailableError, type ContextProgress, type RequestContextsSummary, type Usage,
} from '../src/index.js';
import { cleanAnswer, deadURL, problemIdOf } from './helpers/fake-teacher.js';
import { closeTeachers, config, jobs, lines, outFile, teacher } from './helpers/runs.js';

afterEach(closeTeachers);


async function stopped(run: Promise<RequestContextsSummary>): Promise<TeacherUnavailableError> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TeacherUnavailableError);
  return error as TeacherUnavailableError;
}

describe('a teacher that stops answering', () => {
  it('stops the run after maxUnavailableMs naming the endpoint and its last error, keeping finished rows; probes use up no attempts', async () => {
    const server = await teacher({ latencyMs: 30 });
    const out = await outFile();
    // A probe every 20 ms for 600 ms: if probes counted, every job would fail its 3 attempts long before the budget ran out.
    const cfg = config([server.url], { maxUnavailableMs: 600, retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 }, breaker: { failureThreshold: 2, cooldownMs: 20 } });
    let dying: Promise<void> | undefined;
    const started = Date.now();
    const error = await stopped(requestContexts(jobs(8), { config: cfg, outPath: out, onProgress: (p) => void (p.done === 2 && (dying ??= server.close())) }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message).toMatch(new RegExp(`^no teacher endpoint answered for 0.6 s: ${server.url} \\(circuit (open|half-open), last error: connection failed`));
    expect(error.message).toContain(out);
    const rows = await lines(out);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    expect(error.summary).toMatchObject({ failed: 0, ok: rows.length, aborted: false });
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('bounds a server that answers only 429 by the same budget instead of every job waiting out its Retry-After', async () => {
    const server = await teacher({ then: { kind: 'rate-limit', retryAfter: '120' } });
    // Without the budget: 51 attempts of ~100 ms per job, 3 jobs on 2 slots, about 10 s.
    const cfg = config([server.url], { maxUnavailableMs: 500, retry: { maxRetries: 50, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 100 } });
    const started = Date.now();
    const error = await stopped(requestContexts(jobs(3), { config: cfg, outPath: await outFile() }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toMatch(/last error: HTTP 429/);
    expect(server.requests.length).toBeLessThan(30);
  });

  it('reports progress and circuit states every statusEveryMs while nothing finishes', async () => {
    const dead = await deadURL();
    const statuses: ContextProgress[] = [];
    const cfg = config([dead], { maxUnavailableMs: 400, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    await stopped(requestContexts(jobs(3), { config: cfg, outPath: await outFile(), onStatus: (p) => statuses.push(p), statusEveryMs: 50 }));
    expect(statuses.length).toBeGreaterThanOrEqual(4);
    const last = statuses.at(-1)!;
    expect(last.endpoints).toEqual([expect.objectContaining({ name: dead, state: 'open', lastError: expect.stringMatching(/^connection failed/) })]);
    expect(formatStatus(last)).toMatch(new RegExp(`^contexts: 0/3 done \\(ok 0, failed 0\\), 3 pending; 0 tokens; endpoints: ${dead} open \\(connection failed`));
  });
});

describe('usage', () => {
  it('is stored with each row, retries included, and summed over every run of the output', async () => {
    const server = await teacher({ faults: [{ kind: 'server-error' }, { kind: 'server-error' }] });
    const out = await outFile();
    const cfg = config([server.url], { retry: { maxRetries: 4, baseDelayMs: 1, maxDelayMs: 1 } });
    const first = await requestContexts(jobs(1), { config: cfg, outPath: out });
    const [row] = await lines(out);
    const usage = row.usage as Usage;
    expect(usage).toMatchObject({ requests: 3, failedRequests: 2, estimatedRequests: 0 });
    expect(usage.promptTokens).toBe(row.promptTokens);
    expect(first.usage).toMatchObject(usage);
    const second = await requestContexts(jobs(2), { config: cfg, outPath: out });
    expect(second.usage).toMatchObject({ requests: 1, failedRequests: 0 });
    expect(second.usageAllRuns).toMatchObject({ requests: 4, failedRequests: 2, promptTokens: usage.promptTokens + second.usage.promptTokens });
  });

  it('of requests cut off by an interrupt is estimated and kept, though their problems get no row', async () => {
    const server = await teacher({ then: { kind: 'stall' } });
    const out = await outFile();
    const controller = new AbortController();
    const cfg = config([server.url], { stream: true });
    const run = requestContexts(jobs(2), { config: cfg, outPath: out, signal: controller.signal });
    for (let i = 0; i < 200 && server.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // the first streamed piece arrives
    controller.abort();
    const summary = await run;
    expect(summary).toMatchObject({ aborted: true, done: 0 });
    expect(await lines(out)).toEqual([]);
    expect(summary.usage).toMatchObject({ requests: 2, estimatedRequests: 2 });
    // Prompt characters / 4, plus the 40 streamed characters / 4.
    expect(summary.usage.completionTokens).toBe(20);
    expect(summary.usage.estimatedTokens).toBe(summary.usage.promptTokens + 20);
    const abandoned = await lines(abandonedUsagePath(out));
    expect(abandoned.map((a) => a.id).sort()).toEqual(['job-0', 'job-1']);

    const healthy = await teacher();
    const rerun = await requestContexts(jobs(2), { config: config([healthy.url]), outPath: out });
    expect(rerun).toMatchObject({ ok: 2 });
    expect(rerun.usageAllRuns).toMatchObject({ requests: 4, estimatedRequests: 2, estimatedTokens: summary.usage.estimatedTokens });
  });
});

describe('the output file', () => {
  it('is refused at once while another live process holds its lock, naming the pid', async () => {
    const server = await teacher();
    const out = await outFile();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      await writeFile(`${out}.lock`, String(other.pid));
      await expect(requestContexts(jobs(2), { config: config([server.url]), outPath: out })).rejects.toThrow(`is in use by another process (pid ${other.pid})`);
      expect(server.requests).toHaveLength(0);
    } finally {
      other.kill();
    }
  });

  it('never lets a later failed row hide an earlier ok one', async () => {
    const server = await teacher();
    const out = await outFile();
    await requestContexts(jobs(1), { config: config([server.url]), outPath: out });
    const [ok] = await lines(out);
    await writeFile(out, `${JSON.stringify(ok)}\n${JSON.stringify({ id: 'job-0', status: 'failed', reason: 'transport: HTTP 500', attempts: 7 })}\n`);
    expect((await readContexts(out)).get('job-0')).toEqual(ok);
    expect(await requestContexts(jobs(1), { config: config([server.url]), outPath: out, retryFailed: true })).toMatchObject({ total: 0, skipped: 1 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('an answer meant for another problem', () => {
  it('is refused and asked again: the prompt carries the id and the answer must echo it', async () => {
    const server = await teacher({ faults: [{ kind: 'content', text: cleanAnswer(0, 'job-7') }, { kind: 'content', text: cleanAnswer(0) }] });
    const out = await outFile();
    const summary = await requestContexts(jobs(1), { config: config([server.url], { contentRetries: 2 }), outPath: out });
    expect(summary).toMatchObject({ ok: 1 });
    expect(server.requests.map((r) => problemIdOf(r.body))).toEqual(['job-0', 'job-0', 'job-0']);
    expect((await lines(out))[0]).toMatchObject({ status: 'ok', attempts: 3 });
  });

  it('fails the problem with the reason once content retries run out', async () => {
    const server = await teacher({ answer: () => cleanAnswer(0, 'job-7') });
    const out = await outFile();
    await requestContexts(jobs(1), { config: config([server.url], { contentRetries: 0 }), outPath: out });
    expect((await lines(out))[0]).toMatchObject({ status: 'failed', reason: 'invalid: "problem_id" is "job-7", not "job-0": the answer is for another problem' });
  });
});
