// Shared by the requestContexts tests: problems, a test config, output files and fake teachers that close after each test.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realTiming, type ContextJob, type TeacherConfigInput } from '../../src/index.js';
import { startFakeTeacher, type FakeTeacher } from './fake-teacher.js';

export const SOLUTION = 'from math import comb\nn = int(input())\nprint(comb(n, 5) * comb(n, 5) * 120)\n';

export const jobs = (n: number): ContextJob[] =>
  Array.from({ length: n }, (_, i) => ({ id: `job-${i}`, question: `Problem ${i}: count benches for n paths.`, solution: SOLUTION }));

/** Real sleeps, shortened: back-off policy is still computed in full and recorded for assertions. */
export function fastTiming() {
  const delays: number[] = [];
  return {
    delays,
    timing: { random: () => 0.5, sleep: (ms: number, signal?: AbortSignal) => (delays.push(ms), realTiming.sleep(Math.min(ms / 100, 20), signal)) },
  };
}

export const config = (urls: string[], extra: Partial<TeacherConfigInput> = {}): TeacherConfigInput => ({
  endpoints: urls.map((baseURL) => ({ baseURL, maxConcurrency: 2 })),
  model: 'teacher-70b',
  timeoutMs: 2000,
  retry: { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 1000 },
  breaker: { failureThreshold: 3, cooldownMs: 200 },
  pricing: { inputPerMillion: 1, outputPerMillion: 2 },
  ...extra,
});

export async function outFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'contexts-')), 'contexts.jsonl');
}

export async function lines(path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Fake teachers started through this are closed by closeTeachers() (call it in afterEach). */
const servers: FakeTeacher[] = [];
export async function teacher(...args: Parameters<typeof startFakeTeacher>): Promise<FakeTeacher> {
  const server = await startFakeTeacher(...args);
  servers.push(server);
  return server;
}
export async function closeTeachers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
}
