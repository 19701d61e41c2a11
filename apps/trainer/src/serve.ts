import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseCausalLmConfig, streamablePrefix, type FinishReason } from '@codistill/models';
import { z } from 'zod';
import { loadGenerator } from './load-generator.js';

/** What a request may cost when ServeOptions (or the serve flags) leave it out, one place each. */
export const SERVE_DEFAULTS = {
  port: 8000,
  host: '127.0.0.1',
  /** Larger request bodies get 413 before they are read into memory. */
  maxBodyBytes: 1024 * 1024,
  /** On close (SIGTERM, SIGINT), how long in-flight requests may take before they are cancelled. */
  drainSeconds: 30,
  /** max_tokens of a request that leaves it out (less when the context has less room). */
  maxTokens: 256,
} as const;

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
  maxBodyBytes?: number;
  /** Where cancelled requests and server errors are reported (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  modelName: string;
  /** Requests accepted and not yet answered. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `drainSeconds` (then
   * cancels them with a 503), and releases the model. Calling it again with a shorter time cuts the wait.
   */
  close(drainSeconds?: number): Promise<void>;
}

const sampling = {
  // Optional parameters may be null (OpenAI's API accepts that); null means "not given".
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  // vLLM's convention: -1 (or 0) keeps all tokens.
  top_k: z.int().min(-1).nullish(),
  n: z.int().min(1).max(1, 'only n = 1 is supported').nullish(),
  seed: z.int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  stream: z.boolean().nullish(),
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
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** Why a request's generation stopped early: its client left (nobody to answer) or the server is closing (answered 503). */
const clientGone = () => new Error('client disconnected');
const shuttingDown = () => new HttpError(503, 'the server is shutting down', null, 'server_shutting_down');

const textOf = (c: z.infer<typeof content>) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));

const finishName = (f: FinishReason): 'stop' | 'length' => (f === 'length' ? 'length' : 'stop');

/** An OpenAI-compatible server (chat completions, completions, models) over one Generator. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { tokenizer, generator, checkpoint } = await loadGenerator(opts.model, { adapter: opts.adapter, threads: opts.threads });
  const modelName = opts.servedName ?? path.basename(path.resolve(opts.model));
  const contextLength = parseCausalLmConfig(checkpoint.config).maxPositions;
  const maxBodyBytes = opts.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes;
  const log = opts.log ?? ((line: string) => console.error(line));
  const created = Math.floor(Date.now() / 1000);
  // One ORT session decodes one request at a time; later requests wait their turn.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  /**
   * How many tokens a request may generate: what it asked, clamped by maxTokensLimit, if the prompt
   * plus that fits the model's positions (else a 400 worded as vLLM words it).
   */
  function completionBudget(promptTokens: number, p: Sampling, what: 'messages' | 'prompt'): number {
    const limit = `This model's maximum context length is ${contextLength} tokens. However,`;
    const room = contextLength - promptTokens;
    if (room < 1) {
      const message = `${limit} your ${what} has ${promptTokens} tokens, which leaves no room for a completion. Please reduce the length of the ${what}.`;
      throw new HttpError(400, message, what, 'context_length_exceeded');
    }
    const asked = p.max_completion_tokens ?? p.max_tokens;
    if (asked == null) return Math.min(SERVE_DEFAULTS.maxTokens, opts.maxTokensLimit ?? Infinity, room);
    const budget = Math.min(asked, opts.maxTokensLimit ?? Infinity);
    if (budget > room) {
      const message = `${limit} you requested ${promptTokens + budget} tokens (${promptTokens} in the ${what}, ${budget} in the completion). Please reduce the length of the ${what} or completion.`;
      throw new HttpError(400, message, p.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens', 'context_length_exceeded');
    }
    return budget;
  }

  async function complete(id: string, prompt: string, maxNew: number, p: Sampling, signal: AbortSignal, onDelta?: (text: string) => void) {
    const stop = p.stop == null ? [] : ([] as string[]).concat(p.stop);
    const ids: number[] = [];
    let sent = '';
    try {
      signal.throwIfAborted(); // its client may have left while it waited in the queue
      const r = await generator.generateText(tokenizer, [prompt], {
        temperature: p.temperature ?? 1,
        topP: p.top_p ?? undefined,
        topK: p.top_k === -1 ? 0 : (p.top_k ?? undefined),
        seed: p.seed ?? undefined,
        maxNewTokens: maxNew,
        stop,
        onToken: (_row, token) => {
          // The Generator has no abort hook; a throw from onToken ends its loop between two steps.
          signal.throwIfAborted();
          ids.push(token);
          if (!onDelta) return;
          const ready = streamablePrefix(tokenizer.decode(ids), stop);
          if (ready.length > sent.length && ready.startsWith(sent)) {
            onDelta(ready.slice(sent.length));
            sent = ready;
          }
        },
      });
      const text = r.texts![0];
      if (onDelta && text.length > sent.length) onDelta(text.slice(sent.length));
      return { text, finish: finishName(r.finishReasons[0]), completionTokens: r.tokenIds[0].length };
    } catch (e) {
      if (signal.aborted) log(`${id}: cancelled after ${ids.length} of ${maxNew} tokens (${(signal.reason as Error).message})`);
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created, owned_by: 'codistill' }] });
    }
    const chat = url.pathname === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && url.pathname !== '/v1/completions')) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    const parsed = (chat ? chatSchema : completionSchema).safeParse(await readJson(req, maxBodyBytes));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${issue.path.join('.') || '(body)'}: ${issue.message}`, issue.path.join('.') || null);
    }
    const p = parsed.data;
    if (p.model !== modelName) throw new HttpError(404, `model '${p.model}' is not served here (serving '${modelName}')`, 'model', 'model_not_found');
    const prompt = 'messages' in p ? tokenizer.renderChat(p.messages.map((m) => ({ role: m.role, content: textOf(m.content) }))) : ([] as string[]).concat(p.prompt)[0];
    // Counted as generateText will encode it; the body cap bounds what tokenizing costs.
    const promptTokens = tokenizer.encode(prompt).length;
    const maxNew = completionBudget(promptTokens, p, chat ? 'messages' : 'prompt');
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: modelName };
    const usageOf = (completionTokens: number) => ({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
    if (!p.stream) {
      const r = await serial(() => complete(id, prompt, maxNew, p, signal));
      const choice = chat ? { index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finish } : { index: 0, text: r.text, finish_reason: r.finish, logprobs: null };
      return sendJson(res, 200, { ...head, choices: [choice], usage: usageOf(r.completionTokens) });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const event = (choice: object, usage?: object) => res.write(`data: ${JSON.stringify({ ...head, object, choices: [choice], ...(usage && { usage }) })}\n\n`);
    if (chat) event({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    const delta = (text: string) => event(chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, finish_reason: null });
    const r = await serial(() => complete(id, prompt, maxNew, p, signal, delta));
    event(chat ? { index: 0, delta: {}, finish_reason: r.finish } : { index: 0, text: '', finish_reason: r.finish }, usageOf(r.completionTokens));
    res.end('data: [DONE]\n\n');
  }

  const inFlight = new Map<AbortController, Promise<void>>();
  let draining = false;

  function answerError(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    if (res.destroyed) return; // the client left: nobody to tell
    const err = e instanceof HttpError ? e : new HttpError(500, (e as Error)?.message ?? String(e));
    if (err.status === 500) log(`${req.method} ${req.url}: ${(e as Error)?.stack ?? err.message}`);
    const error = { message: err.message, type: err.status < 500 ? 'invalid_request_error' : 'server_error', param: err.param, code: err.code };
    if (res.headersSent) return void res.end(`data: ${JSON.stringify({ error })}\n\n`);
    // An unread rest of the body cannot be parsed as a next request: close the connection instead of reading it.
    if (!req.complete || draining) res.setHeader('connection', 'close');
    sendJson(res, err.status, { error });
  }

  const server: Server = createServer((req, res) => {
    const cancel = new AbortController();
    // 'close' before the response finished means the client went away: stop computing its answer.
    res.once('close', () => res.writableFinished || cancel.abort(clientGone()));
    const work = draining ? Promise.reject(shuttingDown()) : handle(req, res, cancel.signal);
    const done = work.catch((e: unknown) => answerError(req, res, e)).finally(() => inFlight.delete(cancel));
    inFlight.set(cancel, done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? SERVE_DEFAULTS.port, opts.host ?? SERVE_DEFAULTS.host, resolve);
  });

  async function shutdown(): Promise<void> {
    draining = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests that arrive meanwhile on kept-alive connections are answered 503 and join the wait.
    while (inFlight.size) await Promise.all(inFlight.values());
    server.closeAllConnections();
    await stopped;
    await queue;
    await generator.release();
  }
  let closed: Promise<void> | undefined;

  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    modelName,
    get inFlight() {
      return inFlight.size;
    },
    close: (drainSeconds = SERVE_DEFAULTS.drainSeconds) => {
      const timer = setTimeout(() => inFlight.forEach((_, cancel) => cancel.abort(shuttingDown())), drainSeconds * 1000);
      closed ??= shutdown();
      return closed.finally(() => clearTimeout(timer));
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body as JSON; over `cap` bytes it is refused (413) as soon as that is known, by Content-Length or while it arrives. */
function readJson(req: IncomingMessage, cap: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `request body is larger than ${cap} bytes (the server's --max-body-bytes)`, null, 'request_too_large');
  if (Number(req.headers['content-length']) > cap) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= cap) return void chunks.push(chunk);
      // Stop reading: nothing more of this body is kept, and the answer closes the connection.
      req.off('data', onData).pause();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new HttpError(400, `body is not valid JSON: ${(e as Error).message}`));
      }
    });
  });
}
