import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { streamablePrefix, type FinishReason } from '@codistill/models';
import { z } from 'zod';
import { loadGenerator } from './load-generator.js';

export interface ServeOptions {
  /** Checkpoint folder or Hub id. */
  model: string;
  adapter?: string;
  /** Name clients must send as `model` (default: the folder's base name). */
  servedName?: string;
  threads?: number;
  port?: number;
  host?: string;
  /** Upper bound on max_tokens, whatever a client asks (small models have short position ranges). */
  maxTokensLimit?: number;
}

export interface RunningServer {
  url: string;
  modelName: string;
  close(): Promise<void>;
}

const sampling = {
  max_tokens: z.int().positive().optional(),
  max_completion_tokens: z.int().positive().optional(),
  temperature: z.number().min(0).max(2).default(1),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.int().nonnegative().optional(),
  seed: z.int().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  stream: z.boolean().default(false),
  model: z.string(),
};
const content = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() })), z.null()]);
const chatSchema = z.object({ ...sampling, messages: z.array(z.object({ role: z.string(), content })).min(1) });
const completionSchema = z.object({ ...sampling, prompt: z.union([z.string(), z.array(z.string()).length(1)]) });
type Sampling = z.infer<typeof chatSchema> | z.infer<typeof completionSchema>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const textOf = (c: z.infer<typeof content>) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));

const finishName = (f: FinishReason): 'stop' | 'length' => (f === 'length' ? 'length' : 'stop');

/** An OpenAI-compatible server (chat completions, completions, models) over one Generator. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { tokenizer, generator } = await loadGenerator(opts.model, { adapter: opts.adapter, threads: opts.threads });
  const modelName = opts.servedName ?? path.basename(path.resolve(opts.model));
  const created = Math.floor(Date.now() / 1000);
  // One ORT session decodes one request at a time; later requests wait their turn.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function complete(prompt: string, p: Sampling, onDelta?: (text: string) => void) {
    if (p.model !== modelName) throw new HttpError(404, `model '${p.model}' is not served here (serving '${modelName}')`, 'model');
    const stop = p.stop === undefined ? [] : ([] as string[]).concat(p.stop);
    const asked = p.max_completion_tokens ?? p.max_tokens ?? 256;
    const ids: number[] = [];
    let sent = '';
    const r = await generator.generateText(tokenizer, [prompt], {
      temperature: p.temperature,
      topP: p.top_p,
      topK: p.top_k,
      seed: p.seed,
      maxNewTokens: Math.min(asked, opts.maxTokensLimit ?? Infinity),
      stop,
      onToken: onDelta
        ? (_row, token) => {
            ids.push(token);
            const ready = streamablePrefix(tokenizer.decode(ids), stop);
            if (ready.length > sent.length && ready.startsWith(sent)) {
              onDelta(ready.slice(sent.length));
              sent = ready;
            }
          }
        : undefined,
    });
    const text = r.texts![0];
    if (onDelta && text.length > sent.length) onDelta(text.slice(sent.length));
    const usage = { prompt_tokens: tokenizer.encode(prompt).length, completion_tokens: r.tokenIds[0].length };
    return { text, finish: finishName(r.finishReasons[0]), usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created, owned_by: 'codistill' }] });
    }
    const chat = url.pathname === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && url.pathname !== '/v1/completions')) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    const body = await readJson(req);
    const parsed = (chat ? chatSchema : completionSchema).safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${issue.path.join('.') || '(body)'}: ${issue.message}`, issue.path.join('.'));
    }
    const p = parsed.data;
    const prompt = 'messages' in p ? tokenizer.renderChat(p.messages.map((m) => ({ role: m.role, content: textOf(m.content) }))) : ([] as string[]).concat(p.prompt)[0];
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: modelName };
    if (!p.stream) {
      const r = await serial(() => complete(prompt, p));
      const choice = chat ? { index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finish } : { index: 0, text: r.text, finish_reason: r.finish, logprobs: null };
      return sendJson(res, 200, { ...head, choices: [choice], usage: r.usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const event = (choice: object, usage?: object) => res.write(`data: ${JSON.stringify({ ...head, object, choices: [choice], ...(usage && { usage }) })}\n\n`);
    if (chat) event({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    const delta = (text: string) => event(chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, finish_reason: null });
    const r = await serial(() => complete(prompt, p, delta));
    event(chat ? { index: 0, delta: {}, finish_reason: r.finish } : { index: 0, text: '', finish_reason: r.finish }, r.usage);
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, (e as Error)?.message ?? String(e));
      if (res.headersSent) return void res.end(`data: ${JSON.stringify({ error: { message: err.message } })}\n\n`);
      sendJson(res, err.status, { error: { message: err.message, type: err.status < 500 ? 'invalid_request_error' : 'server_error', param: err.param ?? null, code: null } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    modelName,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      await generator.release();
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
}
