import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeRandomLlama } from '@codistill/models';
import { startServer, type RunningServer } from '../src/index.js';
import { tinyLlama } from './helpers.js';

// A random Llama with 2048 positions and no EOS token: every request runs to its max_tokens, so
// a long one (~1 s here) is reliably still running when a test disconnects or stops the server.
const dir = mkdtempSync(path.join(tmpdir(), 'serve-lifecycle-'));
const model = path.join(dir, 'rand-llama');
const LONG = 2000;
beforeAll(() => {
  writeRandomLlama(model, { vocab_size: 384, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
  copyFileSync(tinyLlama('tokenizer.json'), path.join(model, 'tokenizer.json'));
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

/** Polls `done` for up to 30 s (a busy machine is slow). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe('in process', () => {
  let server: RunningServer;
  const logged: string[] = [];
  beforeAll(async () => {
    server = await startServer({ model, port: 0, host: '127.0.0.1', threads: 1, log: (line) => logged.push(line) });
  });
  afterAll(() => server.close());

  test("without servedName the model's name is the model string as given", () => {
    expect(server.modelName).toBe(model);
  });

  test('device reaches the execution provider: one this onnxruntime-node install lacks is an error naming it', async () => {
    await expect(startServer({ model, port: 0, device: 'cuda' })).rejects.toThrow("execution provider 'cuda' is not available");
  });

  test('prompt + max_tokens over the context is refused (400, vLLM wording); max_tokens 1e15 too', async () => {
    const promptTokens = ((await (await post(server.url, completion(1))).json()) as Json).usage.prompt_tokens as number;
    for (const maxTokens of [2048 - promptTokens + 1, 1e15]) {
      const res = await post(server.url, completion(maxTokens));
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error).toMatchObject({
        param: 'max_tokens',
        code: 'context_length_exceeded',
        message: `This model's maximum context length is 2048 tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the prompt, ${maxTokens} in the completion). Please reduce the length of the prompt or completion.`,
      });
    }
  });

  test('a client that disconnects mid-stream stops its generation; the next request is served', async () => {
    const client = new AbortController();
    await firstEvent(await post(server.url, completion(LONG, true), client.signal));
    client.abort();
    await until(() => logged.some((l) => l.includes('client disconnected')), 'the cancellation');
    const [, done] = logged.find((l) => l.includes('client disconnected'))!.match(/cancelled after (\d+) of 2000 tokens/)!;
    expect(Number(done)).toBeLessThan(LONG);
    const next = (await (await post(server.url, completion(3))).json()) as Json;
    expect(next.usage.completion_tokens).toBe(3);
  });
});

test('close(drainSeconds) cancels what is still running when the time is up, with an error event', async () => {
  const logged: string[] = [];
  const server = await startServer({ model, port: 0, host: '127.0.0.1', threads: 1, log: (line) => logged.push(line) });
  const { rest } = await firstEvent(await post(server.url, completion(LONG, true)));
  await server.close(0.05);
  const text = await rest();
  expect(text).not.toContain('[DONE]');
  expect(text).toContain('"code":"server_shutting_down"');
  expect(logged.join('\n')).toMatch(/cancelled after \d+ of 2000 tokens \(the server is shutting down\)/);
});
