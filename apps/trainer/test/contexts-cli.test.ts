import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/contexts.js';
import { runCommand } from './run-command.js';
import { startFakeTeacher, type FakeTeacher } from '../../../packages/context/test/helpers/fake-teacher.js';

const SAMPLE = fileURLToPath(new URL('../../../packages/data/samples/taco-sample.jsonl', import.meta.url));
const TRAINER = fileURLToPath(new URL('..', import.meta.url));

async function runContexts(args: string[]): Promise<ReturnType<typeof JSON.parse>> {
  const lines = await runCommand(register, ['contexts', '--no-progress', '--retries', '3', ...args]);
  return JSON.parse(lines.join('\n'));
}

const readJsonl = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

let server: FakeTeacher | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('codistill contexts', () => {
  it('writes a context per selected pair through faults and leaks, and reports usage', async () => {
    const leak = JSON.stringify({ intent: 'i', steps: 'def solve(n):', formulas: 'None', edge_cases: 'e', libraries: 'l' });
    server = await startFakeTeacher({
      faults: [{ kind: 'rate-limit', retryAfter: '0' }, { kind: 'server-error' }, { kind: 'cut' }, { kind: 'malformed' }, { kind: 'content', text: leak }],
    });
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'contexts-cli-')), 'contexts.jsonl');
    const summary = await runContexts(['--teacher-url', server.url, '--model', 'llama-70b', '--data', SAMPLE, '--out', out, '--max-problems', '8', '--extra', '0', '--stream']);
    expect(summary).toMatchObject({ jobs: 8, done: 8, ok: 8, failed: 0, aborted: false });
    expect(summary.usage.failedRequests).toBe(4);
    expect(server.requests).toHaveLength(8 + 5);
    const rows = await readJsonl(out);
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
  });

  it('resumes after the process is killed (SIGKILL) without duplicating or losing rows', async () => {
    server = await startFakeTeacher({ latencyMs: 40 });
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'contexts-cli-')), 'contexts.jsonl');
    const args = ['--teacher-url', server.url, '--model', 'm', '--data', SAMPLE, '--out', out, '--max-problems', '15', '--extra', '0', '--concurrency', '1'];
    const script = `import { Command } from 'commander'; import { register } from './src/commands/contexts.ts';
      const p = new Command('codistill'); register(p); await p.parseAsync(${JSON.stringify(['contexts', '--no-progress', ...args])}, { from: 'user' });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: TRAINER, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 400 && (await readJsonl(out)).length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = await readJsonl(out);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(15);

    const summary = await runContexts(args);
    expect(summary.skipped).toBe(before.length);
    const after = await readJsonl(out);
    expect(after).toHaveLength(15);
    expect(new Set(after.map((r) => r.id)).size).toBe(15);
    expect(after.slice(0, before.length)).toEqual(before);
  });

  it('names the bad field in the teacher settings', async () => {
    await expect(runContexts(['--teacher-url', 'not-a-url', '--model', 'm', '--data', SAMPLE, '--out', '/dev/null'])).rejects.toThrow(/endpoints\.0\.baseURL/);
  });
});
