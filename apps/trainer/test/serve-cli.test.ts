import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRandomLlama } from '@codistill/models';
import { register } from '../src/commands/serve.js';
import { expectFlagsRefused, runCommand } from './run-command.js';

// A random Llama with 2048 positions and no EOS token: every request runs to its max_tokens, so
// a long one (~1 s here) is reliably still running when a test disconnects or stops the server.
const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'serve-cli-'));
const model = path.join(dir, 'rand-llama');
const LONG = 2000;
beforeAll(() => {
  writeRandomLlama(model, { vocab_size: 384, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
  copyFileSync(path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama/tokenizer.json'), path.join(model, 'tokenizer.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose JSON on purpose
type Json = Record<string, any>;
// The served name defaults to --model exactly as given (vLLM's default), here the folder's full path.
const completion = (maxTokens: number, stream = false) => ({ model, prompt: 'def f(x):', max_tokens: maxTokens, temperature: 0, stream, ...(stream && { stream_options: { include_usage: true } }) });
const post = (url: string, body: object, signal?: AbortSignal) =>
  fetch(`${url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

/** Reads a streamed answer up to its first event (at least one token generated), leaving the rest to `rest`. */
async function firstEvent(res: Response): Promise<{ rest: () => Promise<string> }> {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
  return {
    rest: async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
      return text;
    },
  };
}

/** Polls `done` for up to 30 s (a CLI starting on a busy machine is slow). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe('the CLI', () => {
  interface Cli {
    child: ChildProcessWithoutNullStreams;
    out: () => string;
    err: () => string;
    exit: Promise<number | null>;
  }
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
  function cli(args: string[], env: Record<string, string> = {}): Cli {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/trainer/src/cli.ts', ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return { child, out: () => out, err: () => err, exit: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
  }

  test('SIGTERM: no new connections, the in-flight request gets its whole answer, exit 0', async () => {
    const serve = cli(['serve', '--model', model, '--port', '0', '--threads', '1']);
    await until(() => /at (http\S+)/.test(serve.out()), "the server's address");
    const url = serve.out().match(/at (http\S+)/)![1];
    const { rest } = await firstEvent(await post(url, completion(LONG, true)));
    serve.child.kill('SIGTERM');
    await until(() => serve.err().includes('SIGTERM'), 'the drain message');
    expect(serve.err()).toContain('SIGTERM: finishing 1 in-flight request(s)');
    await expect(post(url, completion(1))).rejects.toThrow();
    const events = (await rest()).split('\n\n').filter((f) => f.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const [finish, usage] = events.slice(-3, -1).map((e) => JSON.parse(e.slice(6)) as Json);
    expect(finish.choices[0].finish_reason).toBe('length');
    expect(usage.usage.completion_tokens).toBe(LONG);
    expect(await serve.exit).toBe(0);
  });

  test('a bad numeric flag stops serve before it starts: exit 1, the flag named', async () => {
    const serve = cli(['serve', '--model', model, '--max-tokens-limit', 'abc']);
    expect(await serve.exit).toBe(1);
    expect(serve.err()).toContain("option '--max-tokens-limit <n>' argument 'abc' is invalid");
  });

  test('every numeric flag is checked: exit code 1, the flag named', async () => {
    const bad: Array<[string, string, string?]> = [
      ['--port <n>', '70000'],
      ['--threads <n>', '0'],
      ['--max-tokens-limit <n>', '1.5'],
      ['--max-body-bytes <n>', '0'],
      ['--drain-timeout <seconds>', '-1'],
      ['--device <name>', 'tpu', 'Allowed choices are cpu, cuda, webgpu.'],
      ['--api-key <key>', ' ', 'expected a non-empty key'],
    ];
    await expectFlagsRefused((flag, value) => runCommand(register, ['serve', '--model', model, flag, value]), bad);
  });

  test('--device reaches the model: a provider this install lacks stops serve, named', async () => {
    await expect(runCommand(register, ['serve', '--model', model, '--port', '0', '--device', 'cuda'])).rejects.toThrow("execution provider 'cuda' is not available");
  });

  test('CODISTILL_API_KEY (as --api-key): /v1 needs the bearer key, /health does not', async () => {
    const serve = cli(['serve', '--model', model, '--port', '0', '--threads', '1'], { CODISTILL_API_KEY: 'sesame' });
    await until(() => /at (http\S+)/.test(serve.out()), "the server's address");
    const url = serve.out().match(/at (http\S+)/)![1];
    const models = (authorization?: string) => fetch(`${url}/models`, { headers: authorization ? { authorization } : {} });
    expect((await models()).status).toBe(401);
    expect((await models('Bearer sesame')).status).toBe(200);
    expect((await fetch(url.replace(/\/v1$/, '/health'))).status).toBe(200);
    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
  });
});
