import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/contexts.js';
import { register as registerData } from '../src/commands/data.js';
import { runCommand } from './run-command.js';
import { deadURL, startFakeTeacher, type FakeTeacher } from '../../../packages/context/test/helpers/fake-teacher.js';

const SAMPLE = fileURLToPath(new URL('../../../packages/data/samples/taco-sample.jsonl', import.meta.url));
const TRAINER = fileURLToPath(new URL('..', import.meta.url));
const TINY_LLAMA = fileURLToPath(new URL('../../../packages/models/test/fixtures/tiny-llama', import.meta.url));

/** `codistill data taco` on the shipped sample: what `contexts --examples` reads. */
const writeExamples = async (file: string, flags: string[] = []) => JSON.parse((await runCommand(registerData, ['data', 'taco', '--in', SAMPLE, '--out', file, ...flags])).join('\n'));

/** The sample's 29 first-round examples, made once. */
let EXAMPLES = '';
beforeAll(async () => {
  EXAMPLES = path.join(await mkdtemp(path.join(tmpdir(), 'contexts-cli-')), 'problems.jsonl');
  await writeExamples(EXAMPLES, ['--extra', '0']);
});

/** What the last runContexts wrote with console.error (status lines), kept out of the test output. */
let stderrLines: string[] = [];

async function runContexts(args: string[]): Promise<ReturnType<typeof JSON.parse>> {
  const error = console.error;
  stderrLines = [];
  console.error = (line: string) => void stderrLines.push(line);
  try {
    const lines = await runCommand(register, ['contexts', '--no-progress', '--retries', '3', ...args]);
    return JSON.parse(lines.join('\n'));
  } finally {
    console.error = error;
  }
}

const readJsonl = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const outFile = async () => path.join(await mkdtemp(path.join(tmpdir(), 'contexts-cli-')), 'contexts.jsonl');


/**
 * `codistill contexts` in a child process, its flags spelt as cli.ts spells them, noting when its
 * summary (the only stdout) was complete and when it exited.
 */
function spawnContexts(args: string[]) {
  const script = `import { Command } from 'commander'; import { register } from './src/commands/contexts.ts'; import { spellFlags } from './src/flag-spelling.ts';
    const p = new Command('codistill'); register(p); await p.parseAsync(spellFlags(p, ${JSON.stringify(['node', 'codistill', 'contexts', '--no-progress', ...args])}));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: TRAINER, stdio: ['ignore', 'pipe', 'pipe'] });
  const seen = { stdout: '', stderr: '', summaryAt: 0 };
  child.stdout.on('data', (data: Buffer) => {
    seen.stdout += data;
    if (!seen.summaryAt && seen.stdout.endsWith('}\n')) seen.summaryAt = Date.now();
  });
  child.stderr.on('data', (data: Buffer) => (seen.stderr += data));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, seen, exited };
}

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
    const summary = await runContexts(['--teacher-url', server.url, '--model', 'llama-70b', '--examples', EXAMPLES, '--out', out, '--max-problems', '8', '--stream']);
    expect(summary).toMatchObject({ jobs: 8, done: 8, ok: 8, failed: 0, aborted: false });
    expect(summary.usage.failedRequests).toBe(4);
    expect(server.requests).toHaveLength(8 + 5);
    const rows = await readJsonl(out);
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
  });

  it('resumes after the process is killed (SIGKILL) without duplicating or losing rows', async () => {
    server = await startFakeTeacher({ latencyMs: 40 });
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'contexts-cli-')), 'contexts.jsonl');
    const args = ['--teacher-url', server.url, '--model', 'm', '--examples', EXAMPLES, '--out', out, '--max-problems', '15', '--concurrency', '1'];
    const { child, exited } = spawnContexts(args);
    for (let i = 0; i < 400 && (await readJsonl(out)).length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    const before = await readJsonl(out);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(15);

    // What the killed run spent survives in its rows, and the rerun's summary adds it up.
    expect(before.every((r) => r.usage.requests >= 1)).toBe(true);

    const summary = await runContexts(args);
    expect(summary.skipped).toBe(before.length);
    const after = await readJsonl(out);
    expect(after).toHaveLength(15);
    expect(new Set(after.map((r) => r.id)).size).toBe(15);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(summary.usageAllRuns.requests).toBe(after.reduce((n, r) => n + r.usage.requests, 0));
  });

  it('refuses a second run on the same --out at once, and exits within 2 s of its summary though an endpoint is dead', async () => {
    server = await startFakeTeacher({ latencyMs: 300 });
    const dead = await deadURL();
    const out = await outFile();
    const args = ['--teacher-url', `${server.url},${dead}`, '--model', 'm', '--examples', EXAMPLES, '--out', out, '--max-problems', '20', '--concurrency', '4'];
    const first = spawnContexts(args);
    for (let i = 0; i < 800 && !existsSync(`${out}.lock`); i++) await sleep(25);
    await expect(runContexts(args)).rejects.toThrow(`is in use by another process (pid ${first.child.pid})`);

    const { code, at } = await first.exited;
    expect(first.seen.stderr).toMatch(/^contexts: 20\/20 done \(ok 20, failed 0\), 0 pending; \d+ tokens; endpoints: .* open \(connection failed/m);
    expect(code).toBe(0);
    // The dead endpoint's circuit was open with its 30 s cool-down: no timer of it may keep the process alive.
    expect(JSON.parse(first.seen.stdout)).toMatchObject({ ok: 20, failed: 0, endpoints: [{ name: server.url, state: 'closed' }, { name: dead, state: 'open' }] });
    expect(at - first.seen.summaryAt).toBeLessThan(2000);
    expect(new Set((await readJsonl(out)).map((r) => r.id)).size).toBe(20);
  });

  it('stops with an error naming the endpoint when no teacher answers for --max-unavailable seconds', async () => {
    const dead = await deadURL();
    const args = ['--teacher-url', dead, '--model', 'm', '--examples', EXAMPLES, '--out', await outFile(), '--max-problems', '8', '--concurrency', '8', '--max-unavailable', '0.5'];
    const started = Date.now();
    const error = await runContexts(args).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toMatch(new RegExp(`^no teacher endpoint answered for 0.5 s: ${dead} \\(circuit open, last error: connection failed`));
    expect(stderrLines).toContainEqual(expect.stringMatching(/^contexts: 0\/8 done \(ok 0, failed 0\), 8 pending; 0 tokens; endpoints: .* open \(connection failed/));
  });

  it('exits 1 when problems failed, and a rerun asks the unanswered ones again', async () => {
    server = await startFakeTeacher({ then: { kind: 'bad-request' } });
    const out = await outFile();
    const args = ['--model', 'm', '--examples', EXAMPLES, '--out', out, '--max-problems', '3'];
    const error = await runContexts(['--teacher-url', server.url, ...args]).catch((e: Error) => e);
    expect(error.message).toBe(`3 of 3 problems failed: 3 got no answer (a rerun asks them again). Reasons are in ${out}.`);
    await server.close();
    server = await startFakeTeacher();
    const rerun = await runContexts(['--teacher-url', server.url, ...args]);
    expect(rerun).toMatchObject({ total: 3, ok: 3, skipped: 0 });
  });

  it.each([
    ['--concurrency', '0'],
    ['--timeout', 'abc'],
    ['--max-unavailable', '-1'],
    ['--retries', '1.5'],
    ['--max-problems', '0'],
  ])('refuses %s %s naming the flag, before any work', async (flag, value) => {
    const error = await runContexts(['--teacher-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--examples', 'missing.jsonl', '--out', '/dev/null', flag, value]).catch((e: unknown) => e);
    // Named as the setting is (dashes are accepted on the command line, the name has underscores).
    expect((error as Error).message).toMatch(new RegExp(`^--${flag.slice(2).replaceAll('-', '_')}: `));
  });

  it('asks for exactly the examples of the data file, so `data taco --contexts` joins every one', async () => {
    server = await startFakeTeacher();
    const dir = await mkdtemp(path.join(tmpdir(), 'contexts-cli-'));
    // The student's tokenizer and a tight budget: the approximate counter would select other pairs here.
    const selection = ['--tokenizer', TINY_LLAMA, '--max-tokens', '800', '--extra', '3'];
    const problems = path.join(dir, 'problems.jsonl');
    await writeExamples(problems, selection);
    const ids = (await readJsonl(problems)).map((r) => r.id);
    await writeExamples(path.join(dir, 'approximate.jsonl'), selection.slice(2));
    expect((await readJsonl(path.join(dir, 'approximate.jsonl'))).map((r) => r.id)).not.toEqual(ids);

    const contexts = path.join(dir, 'contexts.jsonl');
    const summary = await runContexts(['--teacher-url', server.url, '--model', 'm', '--examples', problems, '--out', contexts]);
    expect(summary).toMatchObject({ examples: problems, jobs: ids.length, ok: ids.length });
    expect((await readJsonl(contexts)).map((r) => r.id).sort()).toEqual([...ids].sort());

    const train = path.join(dir, 'train.jsonl');
    expect(await writeExamples(train, [...selection, '--contexts', contexts])).toMatchObject({ missingContext: 0 });
    expect((await readJsonl(train)).map((r) => r.id)).toEqual(ids);
  });

  it('refuses an examples file that is not one, naming the file and line, before asking the teacher', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contexts-cli-'));
    const file = (name: string, lines: string[]) => {
      const at = path.join(dir, name);
      return writeFile(at, lines.join('\n') + '\n').then(() => at);
    };
    const example = (id: string) => JSON.stringify({ id, prompt: 'p', context: '', code: 'c', tests: '' });
    const refused = (examples: string) => runContexts(['--teacher-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--examples', examples, '--out', path.join(dir, 'out.jsonl')]);
    await expect(refused(SAMPLE)).rejects.toThrow(new RegExp(`^${SAMPLE}:1: field 'id': .*; expected an example \\{id, prompt, context, code, tests\\} as written by \`codistill data taco`));
    const broken = await file('broken.jsonl', [example('a'), '{"id": "b", "prompt":']);
    await expect(refused(broken)).rejects.toThrow(`${broken}:2: not valid JSON`);
    const twice = await file('twice.jsonl', [example('a'), example('b'), example('a')]);
    await expect(refused(twice)).rejects.toThrow(`${twice}:3: id 'a' is also on line 1`);
    const wrongType = await file('wrong-type.jsonl', [example('a'), JSON.stringify({ id: 'b', prompt: 'p', context: '', code: 7, tests: '' })]);
    await expect(refused(wrongType)).rejects.toThrow(new RegExp(`^${wrongType}:2: field 'code': `));
    const empty = await file('empty.jsonl', []);
    await expect(refused(empty)).rejects.toThrow(`${empty}: no examples; write it with \`codistill data taco`);
    await expect(refused(path.join(dir, 'absent.jsonl'))).rejects.toThrow(`cannot read ${path.join(dir, 'absent.jsonl')}: ENOENT`);
    expect(existsSync(path.join(dir, 'out.jsonl'))).toBe(false);
  });

  it('requires --examples, naming the command that writes it; the removed --data says so', async () => {
    const args = ['--teacher-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--out', '/dev/null'];
    const required = /--examples <file> is required: the examples JSONL written by `codistill data taco --in TACO --tokenizer STUDENT --out FILE`/;
    await expect(runContexts(args)).rejects.toThrow(required);
    const removed = runContexts([...args, '--data', SAMPLE]);
    await expect(removed).rejects.toThrow(/^--data was removed: contexts no longer selects TACO problems itself\. --examples <file> is required/);
  });

  it('names the bad field in the teacher settings', async () => {
    await expect(runContexts(['--teacher-url', 'not-a-url', '--model', 'm', '--examples', EXAMPLES, '--out', '/dev/null'])).rejects.toThrow(/endpoints\.0\.baseURL/);
  });
});
