import { readFile, writeFile } from 'node:fs/promises';
import { readContexts, requestContexts } from '../src/index.js';
import { cleanAnswer, problemIdOf, type Fault } from './helpers/fake-teacher.js';
import { closeTeachers, config, fastTiming, jobs, lines, outFile, teacher } from './helpers/runs.js';

afterEach(closeTeachers);

describe.each([false, true])('requestContexts (stream=%s)', (stream) => {
  it('survives every injected fault and stores validated sections', async () => {
    const faults: Fault[] = [
      { kind: 'rate-limit', retryAfter: '1' },
      { kind: 'server-error' },
      { kind: 'cut' },
      { kind: 'malformed' },
      { kind: 'slow', delayMs: 700 },
      { kind: 'server-error', status: 503 },
    ];
    const server = await teacher({ faults });
    const out = await outFile();
    const { delays, timing } = fastTiming();
    const summary = await requestContexts(jobs(6), { config: config([server.url], { stream, timeoutMs: 400 }), outPath: out, timing });
    expect(summary).toMatchObject({ done: 6, ok: 6, failed: 0 });
    expect(server.requests.map((r) => r.fault).slice(0, 6)).toEqual(faults.map((f) => f.kind));
    expect(server.requests.every((r) => r.body.model === 'teacher-70b' && r.body.stream === (stream || undefined) || !stream)).toBe(true);
    // Retry-After: 1 was honoured over the shorter exponential delay.
    expect(Math.max(...delays)).toBeGreaterThanOrEqual(1000);
    expect(summary.usage.failedRequests).toBe(6);
    expect(summary.usage.promptTokens).toBeGreaterThan(0);
    expect(summary.usage.costUsd).toBeCloseTo((summary.usage.promptTokens + 2 * summary.usage.completionTokens) / 1e6, 12);
    const records = await lines(out);
    expect(records.map((r) => r.id).sort()).toEqual(jobs(6).map((j) => j.id));
    for (const r of records) {
      expect(r.status).toBe('ok');
      expect(Object.keys(r.sections as object)).toEqual(['intent', 'steps', 'formulas', 'edge_cases', 'libraries']);
    }
  });
});

describe('requestContexts', () => {
  it('rejects leaked code, retries a bounded number of times, then records the reason', async () => {
    const leaky = (id?: string) => JSON.stringify({ ...JSON.parse(cleanAnswer(0, id)), steps: 'Do this:\n```python\nn = int(input())\n```' });
    const server = await teacher({ answer: (request) => leaky(problemIdOf(request)) });
    const out = await outFile();
    const summary = await requestContexts(jobs(1), { config: config([server.url], { contentRetries: 2 }), outPath: out, timing: fastTiming().timing });
    expect(summary).toMatchObject({ ok: 0, failed: 1 });
    expect(server.requests).toHaveLength(3);
    const [record] = await lines(out);
    expect(record).toMatchObject({ id: 'job-0', status: 'failed', attempts: 3 });
    expect(record.reason).toMatch(/^leak: fenced-code/);
  });

  it('accepts a clean retry after a leak', async () => {
    const copied = JSON.stringify({ ...JSON.parse(cleanAnswer(0, 'job-0')), steps: 'Then print(comb(n, 5) * comb(n, 5) * 120) gives it.' });
    const server = await teacher({ faults: [{ kind: 'content', text: copied }, { kind: 'content', text: 'not json' }] });
    const out = await outFile();
    const summary = await requestContexts(jobs(1), { config: config([server.url]), outPath: out, timing: fastTiming().timing });
    expect(summary).toMatchObject({ ok: 1 });
    expect((await lines(out))[0]).toMatchObject({ status: 'ok', attempts: 3 });
  });

  it('records non-retryable client errors without retrying', async () => {
    const server = await teacher({ faults: [{ kind: 'bad-request' }] });
    const out = await outFile();
    await requestContexts(jobs(1), { config: config([server.url]), outPath: out, timing: fastTiming().timing });
    expect(server.requests).toHaveLength(1);
    expect((await lines(out))[0].reason).toBe('client: HTTP 400: model not found');
  });

  it('stops at a refused API key instead of failing every problem alike; the problems stay unrecorded for a rerun', async () => {
    const server = await teacher({ faults: Array.from({ length: 3 }, () => ({ kind: 'unauthorized' as const })) });
    const out = await outFile();
    const run = requestContexts(jobs(3), { config: config([server.url], { endpoints: [{ baseURL: server.url, maxConcurrency: 1 }] }), outPath: out, timing: fastTiming().timing });
    await expect(run).rejects.toThrow(`${server.url} refused the request (HTTP 401: Incorrect API key provided): its API key is missing or wrong (read from the environment variable OPENAI_API_KEY)`);
    expect(server.requests).toHaveLength(1);
    expect(await lines(out)).toEqual([]);
  });

  it('gives up after maxRetries transport failures and records why', async () => {
    const server = await teacher({ faults: Array.from({ length: 10 }, () => ({ kind: 'server-error' as const })) });
    const out = await outFile();
    const cfg = config([server.url], { retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 20 }, breaker: { failureThreshold: 100, cooldownMs: 10 } });
    await requestContexts(jobs(1), { config: cfg, outPath: out, timing: fastTiming().timing });
    expect(server.requests).toHaveLength(3);
    expect((await lines(out))[0]).toMatchObject({ status: 'failed', attempts: 3, reason: expect.stringMatching(/^transport: HTTP 500/) });
  });

  it('balances endpoints by load and routes around a dead one with the circuit breaker', async () => {
    const healthy = await teacher({ latencyMs: 10 });
    const dead = await teacher({ faults: Array.from({ length: 100 }, () => ({ kind: 'server-error' as const })) });
    const out = await outFile();
    const summary = await requestContexts(jobs(20), {
      config: config([dead.url, healthy.url], { breaker: { failureThreshold: 2, cooldownMs: 60_000 } }),
      outPath: out,
      timing: fastTiming().timing,
    });
    expect(summary).toMatchObject({ ok: 20, failed: 0 });
    // The dead endpoint got its threshold of failures (one per concurrent slot at most), then none.
    expect(dead.requests.length).toBeLessThanOrEqual(3);
    expect(summary.endpoints.find((e) => e.name === dead.url)?.state).toBe('open');
    expect((await lines(out)).every((r) => r.endpoint === healthy.url)).toBe(true);
  });

  it('spreads work over healthy endpoints', async () => {
    const a = await teacher({ latencyMs: 15 });
    const b = await teacher({ latencyMs: 15 });
    await requestContexts(jobs(12), { config: config([a.url, b.url]), outPath: await outFile(), timing: fastTiming().timing });
    expect(a.requests.length).toBeGreaterThanOrEqual(4);
    expect(b.requests.length).toBeGreaterThanOrEqual(4);
    expect(a.requests.length + b.requests.length).toBe(12);
  });

  it('resumes after an abort without losing or duplicating rows', async () => {
    const server = await teacher({ latencyMs: 20 });
    const out = await outFile();
    const controller = new AbortController();
    const first = await requestContexts(jobs(12), {
      config: config([server.url]),
      outPath: out,
      signal: controller.signal,
      onProgress: (p) => p.done >= 4 && controller.abort(),
    });
    expect(first.aborted).toBe(true);
    const partial = await lines(out);
    expect(partial.length).toBeGreaterThanOrEqual(4);
    expect(partial.length).toBeLessThan(12);

    // Simulate a crash mid-write too: a torn last line must be cut, not parsed or kept.
    await writeFile(out, (await readFile(out, 'utf8')) + '{"id":"job-11","status":"o');
    const second = await requestContexts(jobs(12), { config: config([server.url]), outPath: out });
    expect(second.skipped).toBe(partial.length);
    expect(second.repairedBytes).toBeGreaterThan(0);
    const all = await lines(out);
    expect(all.map((r) => r.id).sort()).toEqual(jobs(12).map((j) => j.id).sort());
    expect((await readContexts(out)).size).toBe(12);

    const third = await requestContexts(jobs(12), { config: config([server.url]), outPath: out });
    expect(third).toMatchObject({ total: 0, skipped: 12 });
  });

  it('retries rejected answers only when asked', async () => {
    const leak = JSON.stringify({ ...JSON.parse(cleanAnswer(0, 'job-0')), steps: 'def solve(n):' });
    const server = await teacher({ faults: [{ kind: 'content', text: leak }] });
    const out = await outFile();
    const cfg = config([server.url], { contentRetries: 0 });
    await requestContexts(jobs(2), { config: cfg, outPath: out });
    expect((await requestContexts(jobs(2), { config: cfg, outPath: out })).total).toBe(0);
    const retried = await requestContexts(jobs(2), { config: cfg, outPath: out, retryFailed: true });
    expect(retried).toMatchObject({ total: 1, ok: 1 });
    expect([...(await readContexts(out)).values()].every((r) => r.status === 'ok')).toBe(true);
  });

  it('asks unanswered problems again on every rerun: a failed row is not final', async () => {
    const server = await teacher({ faults: [{ kind: 'bad-request' }, { kind: 'server-error' }, { kind: 'server-error' }] });
    const out = await outFile();
    const cfg = config([server.url], { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureThreshold: 100, cooldownMs: 1 } });
    const first = await requestContexts(jobs(3), { config: { ...cfg, endpoints: [{ baseURL: server.url, maxConcurrency: 1 }] }, outPath: out });
    expect(first).toMatchObject({ ok: 1, failed: 2, unanswered: 2 });
    expect((await lines(out)).map((r) => (r.reason as string | undefined)?.slice(0, 10))).toEqual(['client: HT', 'transport:', undefined]);
    const rerun = await requestContexts(jobs(3), { config: cfg, outPath: out });
    expect(rerun).toMatchObject({ total: 2, ok: 2, skipped: 1 });
  });

  it('sends the API key from the configured environment variable', async () => {
    const server = await teacher();
    process.env.CODISTILL_TEST_KEY = 'sk-test-123';
    const cfg = config([server.url]);
    cfg.endpoints[0].apiKeyEnv = 'CODISTILL_TEST_KEY';
    await requestContexts(jobs(1), { config: cfg, outPath: await outFile() });
    expect(server.requests[0].authorization).toBe('Bearer sk-test-123');
    delete process.env.CODISTILL_TEST_KEY;
  });
});
