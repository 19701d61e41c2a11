import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { TextTokenizer } from '@codistill/models';
import OpenAI from 'openai';
import { startServer, type RunningServer } from '../src/index.js';
import { tinyLlama, tinyLlamaWithTemplate } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ model: tinyLlama(), servedName: 'tiny-llama', port: 0, host: '127.0.0.1', threads: 1, maxTokensLimit: 12 });
});
afterAll(() => server.close());

// The tests read OpenAI response shapes field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose JSON on purpose
type Json = Record<string, any>;
const post = (route: string, body: object) =>
  fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const postJson = async (route: string, body: object): Promise<Json> => (await post(route, body)).json() as Promise<Json>;

/** Reads an SSE body into its JSON events (the [DONE] sentinel checked and dropped). */
async function events(res: Response): Promise<Json[]> {
  const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('data: '));
  expect(frames.at(-1)).toBe('data: [DONE]');
  return frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
}

test("GET /v1/models lists the served model with vLLM's fields", async () => {
  const body = (await (await fetch(`${server.url}/models`)).json()) as Json;
  expect(body.data.map((m: { id: string }) => m.id)).toEqual(['tiny-llama']);
  // root: the model as given; max_model_len: the checkpoint's positions (clients size requests by it).
  expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'codistill', root: tinyLlama(), parent: null, max_model_len: 128 });
  // vLLM's ModelPermission, field for field.
  const [permission] = body.data[0].permission;
  expect(body.data[0].permission).toHaveLength(1);
  expect(Object.keys(permission).sort()).toEqual(
    ['allow_create_engine', 'allow_fine_tuning', 'allow_logprobs', 'allow_sampling', 'allow_search_indices', 'allow_view', 'created', 'group', 'id', 'is_blocking', 'object', 'organization'],
  );
  expect(permission).toMatchObject({ id: expect.stringMatching(/^modelperm-[0-9a-f]{32}$/), object: 'model_permission', allow_sampling: true, allow_logprobs: true, organization: '*' });
});

test('chat completions: greedy is repeatable, streaming sends the same text in deltas', async () => {
  const request = { model: 'tiny-llama', messages: [{ role: 'user', content: 'def add(a, b):' }], temperature: 0, max_tokens: 8 };
  const a = await postJson('/chat/completions', request);
  const b = await postJson('/chat/completions', request);
  expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
  expect(a.usage.completion_tokens).toBeGreaterThan(0);
  expect(a.usage.completion_tokens).toBeLessThanOrEqual(8);
  const chunks = await events(await post('/chat/completions', { ...request, stream: true }));
  const streamed = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
  expect(streamed).toBe(a.choices[0].message.content);
  expect(chunks.at(-1)!.choices[0].finish_reason).toBe(a.choices[0].finish_reason);
});

test('completions: sampling with a seed repeats; stop cuts the text, also when streaming', async () => {
  const request = { model: 'tiny-llama', prompt: 'for i in', temperature: 0.9, top_p: 0.95, seed: 7, max_tokens: 12 };
  const a = await postJson('/completions', request);
  const b = await postJson('/completions', request);
  expect(a.choices[0].text).toBe(b.choices[0].text);
  const stop = a.choices[0].text.slice(3, 5);
  const cut = await postJson('/completions', { ...request, stop: [stop] });
  expect(cut.choices[0].text).toBe(a.choices[0].text.slice(0, a.choices[0].text.indexOf(stop)));
  expect(cut.choices[0].finish_reason).toBe('stop');
  const chunks = await events(await post('/completions', { ...request, stop: [stop], stream: true }));
  expect(chunks.map((c) => c.choices[0].text).join('')).toBe(cut.choices[0].text);
});

test('bad requests get OpenAI-style errors naming the field', async () => {
  const missing = await post('/chat/completions', { model: 'tiny-llama' });
  expect(missing.status).toBe(400);
  expect(((await missing.json()) as Json).error.message).toMatch(/^messages:/);
  const other = await post('/completions', { model: 'gpt-x', prompt: 'x' });
  expect(other.status).toBe(404);
  expect(((await other.json()) as Json).error.param).toBe('model');
});

test('the openai SDK talks to it, streaming and not', async () => {
  const client = new OpenAI({ baseURL: server.url, apiKey: 'none' });
  const messages = [{ role: 'user' as const, content: 'hello' }];
  const r = await client.chat.completions.create({ model: 'tiny-llama', messages, temperature: 0, max_tokens: 6 });
  let text = '';
  for await (const chunk of await client.chat.completions.create({ model: 'tiny-llama', messages, temperature: 0, max_tokens: 6, stream: true })) {
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  expect(text).toBe(r.choices[0].message.content);
});

describe("vLLM's dialect", () => {
  const client = () => new OpenAI({ baseURL: server.url, apiKey: 'none' });
  const sampled = { model: 'tiny-llama', temperature: 1, seed: 11, max_tokens: 12 };
  const badRequest = async (call: Promise<unknown>) => {
    const e = (await call.then(() => null, (err: unknown) => err)) as InstanceType<typeof OpenAI.APIError> | null;
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e!.status).toBe(400);
    return e!;
  };

  test('n: n sampled choices indexed 0..n-1, choice i repeats as seed + i, usage summed', async () => {
    const r = await client().completions.create({ ...sampled, prompt: 'def f(x):', n: 4 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(new Set(r.choices.map((c) => c.text)).size).toBeGreaterThan(1);
    let tokens = 0;
    for (const c of r.choices) {
      const alone = await client().completions.create({ ...sampled, prompt: 'def f(x):', seed: sampled.seed + c.index });
      expect(alone.choices[0].text).toBe(c.text);
      tokens += alone.usage!.completion_tokens;
    }
    expect(r.usage!.completion_tokens).toBe(tokens);
  });

  test('several prompts: choices prompt by prompt (index k * n + j), each as its own request, usage summed; streamed alike', async () => {
    const prompts = ['def f(x):', 'for i in'];
    const r = await client().completions.create({ ...sampled, prompt: prompts, n: 2 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    let promptTokens = 0;
    for (const [k, prompt] of prompts.entries()) {
      const alone = await client().completions.create({ ...sampled, prompt, n: 2 });
      expect(r.choices.slice(k * 2, k * 2 + 2).map((c) => c.text)).toEqual(alone.choices.map((c) => c.text));
      promptTokens += alone.usage!.prompt_tokens;
    }
    expect(r.usage!.prompt_tokens).toBe(promptTokens);
    const texts = ['', '', '', ''];
    for await (const chunk of await client().completions.create({ ...sampled, prompt: prompts, n: 2, stream: true })) for (const c of chunk.choices) texts[c.index] += c.text;
    expect(texts).toEqual(r.choices.map((c) => c.text));
    const tooMany = await badRequest(client().completions.create({ ...sampled, prompt: Array(65).fill('x'), n: 2 }));
    expect(tooMany.param).toBe('n');
  });

  test('n when streaming: each choice streams under its index, the same texts as without streaming; usage when asked', async () => {
    const request = { ...sampled, messages: [{ role: 'user' as const, content: 'hi' }], n: 3 };
    const whole = await client().chat.completions.create(request);
    const texts = ['', '', ''];
    const chunks = [];
    for await (const chunk of await client().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) chunks.push(chunk);
    for (const c of chunks.flatMap((k) => k.choices)) texts[c.index] += c.delta.content ?? '';
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: whole.usage });
    expect(chunks.slice(0, -1).every((k) => !k.usage)).toBe(true);
  });

  test('chat logprobs: each generated token with its top_logprobs, most likely first; streamed the same', async () => {
    const request = { model: 'tiny-llama', messages: [{ role: 'user' as const, content: 'hi' }], temperature: 0, max_tokens: 6, logprobs: true, top_logprobs: 3 };
    const r = await client().chat.completions.create(request);
    const content = r.choices[0].logprobs!.content!;
    expect(content).toHaveLength(r.usage!.completion_tokens);
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs.map((a) => a.logprob)).toEqual([...t.top_logprobs.map((a) => a.logprob)].sort((a, b) => b - a));
      // Greedy: the picked token is the most likely one.
      expect(t).toMatchObject({ token: t.top_logprobs[0].token, logprob: t.top_logprobs[0].logprob, bytes: t.top_logprobs[0].bytes });
      expect(t.logprob).toBeLessThanOrEqual(0);
    }
    const streamed = [];
    for await (const chunk of await client().chat.completions.create({ ...request, stream: true })) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed).toEqual(content);
    const top = await badRequest(client().chat.completions.create({ ...request, logprobs: false }));
    expect(top.param).toBe('top_logprobs');
  });

  test("completions logprobs: k alternatives plus the sampled token; echo prepends the prompt with its tokens' logprobs", async () => {
    const request = { model: 'tiny-llama', prompt: 'def add(a, b):', temperature: 0, max_tokens: 6 };
    const r = await client().completions.create({ ...request, logprobs: 2 });
    const lp = r.choices[0].logprobs!;
    expect(lp.tokens!.join('')).toBe(r.choices[0].text);
    expect(lp.token_logprobs).toHaveLength(r.usage!.completion_tokens);
    expect(lp.text_offset![1]).toBe(lp.tokens![0].length);
    lp.top_logprobs!.forEach((alternatives, i) => {
      expect(Object.keys(alternatives).length).toBeLessThanOrEqual(3);
      expect(alternatives[lp.tokens![i]]).toBe(lp.token_logprobs![i]);
    });
    const echoed = await client().completions.create({ ...request, echo: true, logprobs: 0 });
    expect(echoed.choices[0].text).toBe(request.prompt + r.choices[0].text);
    const e = echoed.choices[0].logprobs!;
    expect(e.token_logprobs).toHaveLength(echoed.usage!.prompt_tokens + echoed.usage!.completion_tokens);
    expect(e.token_logprobs![0]).toBeNull(); // the first prompt token has no context
    expect(e.token_logprobs!.slice(1).every((v) => typeof v === 'number' && v <= 0)).toBe(true);
    expect(e.token_logprobs!.slice(-lp.token_logprobs!.length)).toEqual(lp.token_logprobs!.map((v) => expect.closeTo(v, 4)));
    const chunks = await events(await post('/completions', { ...request, echo: true, stream: true }));
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(echoed.choices[0].text);
    expect((await badRequest(client().completions.create({ ...request, echo: true, logprobs: 2 }))).param).toBe('logprobs');
  });

  test("logprobs' bytes are the token's own UTF-8 bytes, also for a token that is part of a character", async () => {
    const request = { model: 'tiny-llama', messages: [{ role: 'user' as const, content: 'hi' }], temperature: 0, max_tokens: 6, logprobs: true, top_logprobs: 20 };
    const r = await client().chat.completions.create(request);
    const entries = r.choices[0].logprobs!.content!.flatMap((t) => [t, ...t.top_logprobs]);
    const pieces = entries.filter((t) => t.token === '\ufffd');
    // The tiny model's greedy answer and its alternatives hold single bytes of multi-byte characters (decoded alone: U+FFFD).
    expect(pieces.length).toBeGreaterThan(0);
    for (const t of pieces) expect(t.bytes).toEqual([expect.any(Number)]);
    expect(pieces.every((t) => t.bytes![0] >= 0x80)).toBe(true);
    for (const t of entries.filter((e) => e.token !== '\ufffd')) expect(t.bytes).toEqual([...Buffer.from(t.token)]);
    // Token after token, the bytes rebuild the answer as its text decodes (U+FFFD only where a character stays torn).
    const content = r.choices[0].logprobs!.content!;
    expect(Buffer.from(content.flatMap((t) => t.bytes!)).toString()).toBe(r.choices[0].message.content);
  });

  test('stream_options without stream: true is a 400 naming it (vLLM), on both routes', async () => {
    for (const [route, body] of [
      ['/completions', { prompt: 'x' }],
      ['/chat/completions', { messages: [{ role: 'user', content: 'x' }] }],
    ] as const) {
      for (const stream of [false, undefined]) {
        const res = await post(route, { model: 'tiny-llama', max_tokens: 1, ...body, stream, stream_options: { include_usage: true } });
        expect([route, stream, res.status]).toEqual([route, stream, 400]);
        expect(((await res.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', param: 'stream_options', message: 'stream_options: Stream options can only be defined when `stream=True`.' });
      }
    }
  });

  test('chat messages: a role the server does not render, a content part that is not text, or an extra key is a 400 naming it', async () => {
    for (const [message, param, words] of [
      [{ role: 'foo', content: 'x' }, 'messages[0].role', '"foo" is not a role this server renders (system, user, assistant)'],
      [{ role: 'tool', content: 'x', tool_call_id: 'c1' }, 'messages[0].role', '"tool" is not a role'],
      [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }, 'messages[0].content[1].type', '"image_url" content parts are not supported by this server'],
      [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }, 'messages[0].content[0].type', '"input_audio" content parts are not supported'],
      [{ role: 'user', content: [{ type: 'text' }] }, 'messages[0].content[0].text', 'expected string'],
      [{ role: 'assistant', content: null, tool_calls: [] }, 'messages[0].tool_calls', 'not supported by this server'],
    ] as const) {
      const res = await post('/chat/completions', { model: 'tiny-llama', max_tokens: 1, messages: [message] });
      expect([param, res.status]).toEqual([param, 400]);
      const error = ((await res.json()) as Json).error;
      expect(error).toMatchObject({ type: 'invalid_request_error', param });
      expect(error.message).toMatch(`${param}: `);
      expect(error.message).toContain(words);
    }
    // Text parts are joined, as before.
    const parts = { model: 'tiny-llama', max_tokens: 3, temperature: 0 };
    const joined = await postJson('/chat/completions', { ...parts, messages: [{ role: 'system', content: [{ type: 'text', text: 'be ' }, { type: 'text', text: 'brief' }] }] });
    const whole = await postJson('/chat/completions', { ...parts, messages: [{ role: 'system', content: 'be brief' }] });
    expect(joined.choices[0].message.content).toBe(whole.choices[0].message.content);
  });

  test('an empty prompt is a 400 naming it before any work, streaming too; also one of a list', async () => {
    for (const [prompt, param] of [
      ['', 'prompt'],
      [['def f(x):', ''], 'prompt[1]'],
    ] as const) {
      for (const stream of [false, true]) {
        const res = await post('/completions', { model: 'tiny-llama', prompt, max_tokens: 3, stream });
        expect([param, stream, res.status]).toEqual([param, stream, 400]);
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(((await res.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', param, message: `${param}: the prompt is empty (it has no tokens to continue from)` });
      }
    }
    // The server still answers.
    expect((await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1 })).status).toBe(200);
  });

  test('chat: a template that renders the messages to nothing, or refuses them, is a 400 naming messages', async () => {
    const template = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}{{ m.content }}{% endfor %}";
    const { model, remove } = tinyLlamaWithTemplate(template);
    const templated = await startServer({ model, servedName: 'templated', port: 0, host: '127.0.0.1', threads: 1 });
    try {
      const chat = (messages: object[], stream = false) =>
        fetch(`${templated.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'templated', messages, max_tokens: 2, stream }) });
      for (const stream of [false, true]) {
        const res = await chat([{ role: 'user', content: '' }], stream);
        expect([stream, res.status]).toEqual([stream, 400]);
        expect(((await res.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', param: 'messages', message: 'messages: the prompt is empty (it has no tokens to continue from)' });
      }
      const refused = await chat([{ role: 'system', content: 'x' }]);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Json).error).toMatchObject({ param: 'messages', message: expect.stringMatching(/^messages: the chat template cannot render them: .*no system role/) });
      expect((await chat([{ role: 'user', content: 'x' }])).status).toBe(200);
    } finally {
      await templated.close();
      remove();
    }
  });

  test('chat: the rendered template is encoded without a second BOS, as transformers and vLLM encode it', async () => {
    const { model, remove } = tinyLlamaWithTemplate('{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}', { bos: true });
    const templated = await startServer({ model, servedName: 'templated', port: 0, host: '127.0.0.1', threads: 1 });
    try {
      const ask = async (route: string, body: object) =>
        ((await (await fetch(`${templated.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'templated', max_tokens: 1, ...body }) })).json()) as Json).usage!.prompt_tokens;
      // The same text as a completion gets the tokenizer's BOS in front of the template's own.
      const chat = await ask('/chat/completions', { messages: [{ role: 'user', content: 'hi there' }] });
      expect(await ask('/completions', { prompt: '<s>hi there' })).toBe(chat + 1);
    } finally {
      await templated.close();
      remove();
    }
  });

  test('a key the server does not implement is a 400 naming it, never dropped', async () => {
    for (const [route, key, value] of [
      ['/completions', 'logit_bias', { 5: 100 }],
      ['/completions', 'best_of', 2],
      ['/chat/completions', 'echo', true],
      ['/chat/completions', 'tools', []],
    ] as const) {
      const body = route === '/completions' ? { prompt: 'x' } : { messages: [{ role: 'user', content: 'x' }] };
      const res = await post(route, { model: 'tiny-llama', max_tokens: 2, ...body, [key]: value });
      expect([key, res.status]).toEqual([key, 400]);
      const error = ((await res.json()) as Json).error;
      expect(error).toMatchObject({ type: 'invalid_request_error', param: key, message: expect.stringMatching(new RegExp(`^${key}: not supported by this server \\(accepted keys: .*max_tokens`)) });
    }
    expect((await badRequest(client().completions.create({ model: 'tiny-llama', prompt: 'x', suffix: 'y' }))).param).toBe('suffix');
    // Known no-ops and options are accepted.
    expect((await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1, user: 'u1', stream_options: null })).status).toBe(200);
  });

  test('presence and frequency penalties are not implemented, so any non-neutral value is a 400 naming it', async () => {
    for (const [param, value, neutral] of [
      ['presence_penalty', 0.5, 0],
      ['frequency_penalty', -1, 0],
    ] as const) {
      const e = await badRequest(client().completions.create({ model: 'tiny-llama', prompt: 'x', max_tokens: 1, [param]: value }));
      expect([e.param, e.message]).toEqual([param, expect.stringContaining(`${param}: not supported`)]);
      expect((await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1, [param]: neutral })).status).toBe(200);
    }
  });

  test("repetition_penalty (vLLM's extra parameter) is transformers' repetition penalty; not a number > 0 is a 400 naming it", async () => {
    // @codistill/models' fixtures: transformers' greedy tokens of the tiny Llama with repetition_penalty 1.3, and without.
    const reference = (name: string) => JSON.parse(readFileSync(tinyLlama('..', name, 'greedy-transformers.json'), 'utf8'));
    const [penalised, plain] = [reference('tiny-llama-reppen'), reference('tiny-llama')];
    const tokenizer = TextTokenizer.fromDir(tinyLlama());
    const max = 12; // the server's maxTokensLimit
    const text = async (repetition_penalty: number | null) =>
      (await postJson('/completions', { model: 'tiny-llama', prompt: penalised.prompts[1], temperature: 0, max_tokens: max, repetition_penalty })).choices[0].text;
    expect(await text(penalised.repetition_penalty)).toBe(tokenizer.decode(penalised.alone[1].slice(0, max)));
    expect(await text(null)).toBe(tokenizer.decode(plain.alone[1].slice(0, max)));
    expect(penalised.alone[1].slice(0, max)).not.toEqual(plain.alone[1].slice(0, max));
    // Unset, the model's generation_config.json decides, as vLLM's --generation-config auto: tiny-llama-reppen has 1.3.
    const reppen = await startServer({ model: tinyLlama('..', 'tiny-llama-reppen'), servedName: 'reppen', port: 0, host: '127.0.0.1', threads: 1 });
    try {
      const body = { model: 'reppen', prompt: penalised.prompts[1], temperature: 0, max_tokens: max };
      const res = await fetch(`${reppen.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(((await res.json()) as Json).choices[0].text).toBe(tokenizer.decode(penalised.alone[1].slice(0, max)));
    } finally {
      await reppen.close();
    }
    for (const value of [0, -1.2, 'high']) {
      const res = await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1, repetition_penalty: value });
      expect([value, res.status]).toEqual([value, 400]);
      expect(((await res.json()) as Json).error).toMatchObject({ param: 'repetition_penalty', message: expect.stringMatching(/^repetition_penalty: /) });
    }
  });

  test("a request's unset temperature, top_p, top_k and max_tokens come from generation_config.json, as vLLM's --generation-config auto", async () => {
    const { model, remove } = tinyLlamaWithTemplate('');
    const generationConfig = (fields: object) => writeFileSync(path.join(model, 'generation_config.json'), JSON.stringify({ eos_token_id: 1, ...fields }));
    try {
      // vLLM samples with these whatever do_sample says.
      generationConfig({ do_sample: false, temperature: 0.8, top_p: 0.9, top_k: 5, max_new_tokens: 6 });
      const served = await startServer({ model, servedName: 'gen', port: 0, host: '127.0.0.1', threads: 1 });
      try {
        const ask = async (body: object) => ((await (await fetch(`${served.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gen', prompt: 'def f(x):', ...body }) })).json()) as Json).choices[0];
        for (const seed of [1, 2, 3]) {
          const explicit = await postJson('/completions', { model: 'tiny-llama', prompt: 'def f(x):', temperature: 0.8, top_p: 0.9, top_k: 5, max_tokens: 6, seed });
          expect(await ask({ seed })).toEqual(explicit.choices[0]);
        }
        // What the request gives wins: temperature 0 is greedy, max_tokens its own.
        const greedy = await postJson('/completions', { model: 'tiny-llama', prompt: 'def f(x):', temperature: 0, max_tokens: 9 });
        expect(await ask({ temperature: 0, max_tokens: 9 })).toEqual(greedy.choices[0]);
      } finally {
        await served.close();
      }
      generationConfig({ top_p: 1.5 });
      await expect(startServer({ model, port: 0, host: '127.0.0.1', threads: 1 })).rejects.toThrow(`${path.join(model, 'generation_config.json')}: top_p must be a number in (0, 1], got 1.5`);
    } finally {
      remove();
    }
  });

  test('GET /health: an empty 200 once the model is loaded', async () => {
    const res = await fetch(server.url.replace(/\/v1$/, '/health'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  test('apiKey: /v1 needs the bearer key (401 in OpenAI\'s shape otherwise); /health stays open', async () => {
    const locked = await startServer({ model: tinyLlama(), servedName: 'tiny-llama', apiKey: 'sesame', port: 0, host: '127.0.0.1', threads: 1 });
    try {
      const models = (authorization?: string) => fetch(`${locked.url}/models`, { headers: authorization ? { authorization } : {} });
      for (const res of [await models(), await models('Bearer open-sesame')]) {
        expect(res.status).toBe(401);
        expect(((await res.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
      }
      const wrong = new OpenAI({ baseURL: locked.url, apiKey: 'wrong', maxRetries: 0 });
      await expect(wrong.completions.create({ model: 'tiny-llama', prompt: 'x', max_tokens: 1 })).rejects.toMatchObject({ status: 401 });
      const right = new OpenAI({ baseURL: locked.url, apiKey: 'sesame' });
      expect((await right.completions.create({ model: 'tiny-llama', prompt: 'x', max_tokens: 1 })).choices).toHaveLength(1);
      expect((await fetch(locked.url.replace(/\/v1$/, '/health'))).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe('one request cannot take the server down', () => {
  const error = async (res: Response) => ((await res.json()) as Json).error;

  test('every numeric parameter is checked for type and range: 400 naming it', async () => {
    const bad: Array<[string, unknown]> = [
      ['max_tokens', 0],
      ['max_tokens', 1.5],
      ['max_tokens', '5'],
      ['max_completion_tokens', -1],
      ['temperature', -1],
      ['temperature', 'hot'],
      ['top_p', 0],
      ['top_p', 2],
      ['top_k', -2],
      ['top_k', 1.5],
      ['n', 0],
      ['n', 1.5],
      ['logprobs', 21],
      ['seed', 0.5],
      ['stream', 1],
    ];
    for (const [param, value] of bad) {
      const res = await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 2, [param]: value });
      expect([param, value, res.status]).toEqual([param, value, 400]);
      expect(await error(res)).toMatchObject({ type: 'invalid_request_error', param, message: expect.stringMatching(new RegExp(`^${param}: `)) });
    }
  });

  test('null means "not given"; top_k -1 keeps all tokens, as vLLM', async () => {
    const res = await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 2, temperature: null, top_p: null, seed: null, stop: null, top_k: -1, n: 1 });
    expect(res.status).toBe(200);
  });

  test('max_tokens is clamped by maxTokensLimit, however large', async () => {
    const r = await postJson('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1e15, temperature: 0 });
    expect(r.usage.completion_tokens).toBeGreaterThan(0);
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(12);
  });

  test("a prompt longer than the model's positions is refused before any work, as vLLM words it", async () => {
    for (const [route, body, param] of [
      ['/completions', { prompt: 'def f(x):\n'.repeat(100) }, 'prompt'],
      ['/chat/completions', { messages: [{ role: 'user', content: 'def f(x):\n'.repeat(100) }] }, 'messages'],
    ] as const) {
      const res = await post(route, { model: 'tiny-llama', max_tokens: 2, ...body });
      expect(res.status).toBe(400);
      const e = await error(res);
      expect(e).toMatchObject({ type: 'invalid_request_error', param, code: 'context_length_exceeded' });
      expect(e.message).toMatch(new RegExp(`^This model's maximum context length is 128 tokens\\. However, your ${param} has \\d{3,} tokens`));
    }
  });

  /** POSTs `head` (no more) of a body whose end never comes; resolves with the answer, or rejects after 10 s without one. */
  function postUnfinished(head: string, headers: Record<string, string | number> = {}): Promise<{ status?: number; body: Json }> {
    return new Promise((resolve, reject) => {
      const req = request(`${server.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode, body: JSON.parse(text) });
        });
      });
      const timer = setTimeout(() => req.destroy(new Error('no answer while the body was still being sent')), 10_000);
      req.on('error', reject);
      req.write(head);
    });
  }

  test('a body over 1 MiB gets 413 without the server waiting for (or keeping) the rest', async () => {
    const start = '{"model": "tiny-llama", "prompt": "';
    // Announced by Content-Length: refused before reading it.
    const announced = await postUnfinished(start, { 'content-length': 2 * 1024 * 1024 });
    // Chunked, with no length: refused once 1 MiB has arrived, while the client is still sending.
    const streamed = await postUnfinished(start + 'x'.repeat(1.5 * 1024 * 1024));
    for (const r of [announced, streamed]) {
      expect(r.status).toBe(413);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large', param: null, message: expect.stringMatching(/larger than 1048576 bytes/) });
    }
    // The server still answers.
    expect((await post('/completions', { model: 'tiny-llama', prompt: 'x', max_tokens: 1 })).status).toBe(200);
  });
});
