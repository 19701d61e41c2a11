import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/serve.js';
// The served-model requests the serve package's own lifecycle tests use.
import { firstEvent, LONG, post, randomServedModel, until, type Json } from '../../../packages/serve/test/helpers.js';
import { foreignAdapters } from '../../../packages/lora/test/helpers.js';
import { hubHome, offlineAt } from './hub-cache.js';
import { expectFlagsRefused, runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { model, completion } = randomServedModel('serve-cli-');

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

  test('--revision reaches the Hub lookup of --model (an uncached one is named before serve listens); with a folder it is refused', async () => {
    await expect(offlineAt(hubHome(), () => runCommand(register, ['serve', '--model', 'org/tiny', '--revision', 'v2', '--port', '0']))).rejects.toThrow(/^org\/tiny@v2 is not in the cache /);
    await expect(runCommand(register, ['serve', '--model', model, '--revision', 'v1', '--port', '0'])).rejects.toThrow(`--revision v1: --model ${model} is a folder, which has no revisions`);
  });

  test('an adapter saved for another model stops serve before it listens, naming the tensor and both shapes', async () => {
    const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');
    const { narrow } = foreignAdapters(fs.mkdtempSync(path.join(os.tmpdir(), 'serve-cli-')));
    await expect(runCommand(register, ['serve', '--model', tinyLlama, '--adapter', narrow, '--port', '0', '--threads', '1'])).rejects.toThrow(
      /q_proj\.lora_A\.weight is \[4, 32\], this model's is \[4, 64\] \(saved for another model\?\)/,
    );
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
