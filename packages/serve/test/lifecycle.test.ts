import { SERVE_DEFAULTS, startServer, type RunningServer } from '../src/index.js';
import { firstEvent, LONG, post, randomServedModel, until, type Json } from './helpers.js';

const { model, completion } = randomServedModel('serve-lifecycle-');

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

  test('without max_tokens, completions generate 16 tokens (OpenAI and vLLM) and chat 256: SERVE_DEFAULTS', async () => {
    expect([SERVE_DEFAULTS.completionMaxTokens, SERVE_DEFAULTS.chatMaxTokens]).toEqual([16, 256]);
    // This model has no EOS token: every request runs to its max_tokens.
    const completion = (await (await post(server.url, { model, prompt: 'def f(x):', temperature: 0 })).json()) as Json;
    expect(completion.usage.completion_tokens).toBe(16);
    const chat = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], temperature: 0 }) });
    expect(((await chat.json()) as Json).usage.completion_tokens).toBe(256);
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
