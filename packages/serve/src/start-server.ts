import { randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionProvider } from '@codistill/graph';
import { loadGeneratorWithAdapter, type LoadWithAdapterOptions } from '@codistill/lora';
import { parseCausalLmConfig, samplingDefaults, streamablePrefix, TokenScorer, type FinishReason } from '@codistill/models';
import { SERVE_DEFAULTS } from './defaults.js';
import { authorized, HttpError, readJson, sendJson } from './http.js';
import { logSoftmaxTop, type TokenLogprob } from './logprobs.js';
import { chatSchema, checkStreamOptions, type ChatRequest, completionSchema, logprobsWanted, paramName, parseBody, textOf, type Sampling } from './requests.js';

export interface ServeOptions {
  /** Checkpoint folder or Hub id. */
  model: string;
  /** Branch, tag or commit of a Hub `model` (default main; vLLM's --revision). */
  revision?: string;
  /** PEFT adapter (folder or Hub id) served on top of the model. */
  adapter?: string;
  /** Branch, tag or commit of a Hub `adapter` (default main). */
  adapterRevision?: string;
  /** Name clients must send as `model` (default: `model` exactly as given, as vLLM's --served-model-name). */
  servedName?: string;
  threads?: number;
  /** Execution provider of the model (default cpu). */
  device?: ExecutionProvider;
  /** Run nodes the device has no kernel for on the CPU instead of refusing. */
  allowCpuFallback?: boolean;
  /** When set, every request except GET /health needs `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
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

/** Why a request's generation stopped early: its client left (nobody to answer) or the server is closing (answered 503). */
const clientGone = () => new Error('client disconnected');
const shuttingDown = () => new HttpError(503, 'the server is shutting down', null, 'server_shutting_down');

/**
 * A prompt with no tokens (an empty string, unless the tokenizer adds BOS): the model has nothing to
 * continue from, and ORT would fail on the empty tensor mid-request. vLLM refuses it with a 400 too.
 */
const emptyPrompt = (param: string) => new HttpError(400, `${param}: the prompt is empty (it has no tokens to continue from)`, param);

const finishName = (f: FinishReason): 'stop' | 'length' => (f === 'length' ? 'length' : 'stop');

/** An OpenAI-compatible server (chat completions, completions, models, health) over one Generator. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const load: LoadWithAdapterOptions = { revision: opts.revision, adapter: opts.adapter, adapterRevision: opts.adapterRevision, threads: opts.threads, provider: opts.device ?? 'cpu', allowCpuFallback: opts.allowCpuFallback };
  const { tokenizer, generator, checkpoint, options } = await loadGeneratorWithAdapter(opts.model, load);
  const modelName = opts.servedName ?? opts.model;
  const contextLength = parseCausalLmConfig(checkpoint.config).maxPositions;
  // What a request leaves out comes from the model's generation_config.json, as vLLM's --generation-config auto.
  const defaults = samplingDefaults(checkpoint);
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
  // Built on the first echo-with-logprobs request only: a second session with logits at every position.
  let scorer: Promise<TokenScorer> | undefined;
  const tokenText = (id: number) => tokenizer.decode([id]);

  /**
   * How many tokens a request may generate: what it asked (else the model's max_new_tokens, else its route's default), clamped by
   * maxTokensLimit, if the prompt plus that fits the model's positions (else a 400 worded as vLLM words it).
   */
  function completionBudget(promptTokens: number, p: Sampling, what: 'messages' | 'prompt'): number {
    const limit = `This model's maximum context length is ${contextLength} tokens. However,`;
    const room = contextLength - promptTokens;
    if (room < 1) {
      const message = `${limit} your ${what} has ${promptTokens} tokens, which leaves no room for a completion. Please reduce the length of the ${what}.`;
      throw new HttpError(400, message, what, 'context_length_exceeded');
    }
    const asked = p.max_completion_tokens ?? p.max_tokens;
    if (asked == null) return Math.min(defaults.maxTokens ?? (what === 'messages' ? SERVE_DEFAULTS.chatMaxTokens : SERVE_DEFAULTS.completionMaxTokens), opts.maxTokensLimit ?? Infinity, room);
    const budget = Math.min(asked, opts.maxTokensLimit ?? Infinity);
    if (budget > room) {
      const message = `${limit} you requested ${promptTokens + budget} tokens (${promptTokens} in the ${what}, ${budget} in the completion). Please reduce the length of the ${what} or completion.`;
      throw new HttpError(400, message, p.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens', 'context_length_exceeded');
    }
    return budget;
  }

  /** The prompt's tokens with their teacher-forced logprobs (echo with logprobs). */
  async function promptLogprobs(ids: number[]): Promise<TokenLogprob[]> {
    scorer ??= TokenScorer.create(checkpoint, options);
    const scores = ids.length > 1 ? await (await scorer).logprobs(ids) : [];
    return ids.map((id, i) => ({ id, logprob: i ? scores[i - 1] : null, top: [] }));
  }

  /** The prompt a conversation renders to; a template that refuses it (roles out of order, say) makes it a 400, as vLLM's. */
  function renderChat(messages: ChatRequest['messages']): string {
    try {
      return tokenizer.renderChat(messages.map((m) => ({ role: m.role, content: textOf(m.content) })));
    } catch (e) {
      throw new HttpError(400, `messages: the chat template cannot render them: ${(e as Error).message}`, 'messages');
    }
  }

  /** /v1/models' entry, with vLLM's fields (clients read max_model_len); the adapter, if any, is part of the one model. */
  const modelCard = () => ({
    id: modelName,
    object: 'model',
    created,
    owned_by: 'codistill',
    root: opts.model,
    parent: null,
    max_model_len: contextLength,
    // vLLM's one ModelPermission, field for field (its defaults), for clients that parse vLLM's card.
    permission: [
      {
        id: `modelperm-${randomUUID().replaceAll('-', '')}`,
        object: 'model_permission',
        created: Math.floor(Date.now() / 1000),
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  });

  interface Job {
    id: string;
    prompt: string;
    /** False for a prompt a chat template rendered, which holds its own BOS. */
    addSpecialTokens: boolean;
    maxNew: number;
    p: Sampling;
    /** Alternatives per token when logprobs are asked, else null (and none are computed). */
    topK: number | null;
    signal: AbortSignal;
  }

  /** One choice; `onDelta` gets its text as it becomes final, with the tokens (and logprobs) generated since the last call. */
  async function complete(job: Job, seed: number, onDelta?: (text: string, tokens: TokenLogprob[]) => void) {
    const { p, signal, topK } = job;
    const stop = p.stop == null ? [] : ([] as string[]).concat(p.stop);
    const ids: number[] = [];
    const tokens: TokenLogprob[] = [];
    let step: ReturnType<typeof logSoftmaxTop> | undefined;
    let logits: Float32Array | undefined;
    let sent = '';
    let tokensSent = 0;
    const flush = (text: string) => {
      onDelta!(text, tokens.slice(tokensSent));
      tokensSent = tokens.length;
    };
    try {
      signal.throwIfAborted(); // its client may have left while it waited in the queue
      const r = await generator.generateText(tokenizer, [job.prompt], {
        addSpecialTokens: job.addSpecialTokens,
        // Unset: the model's generation_config.json default, as vLLM takes it (--generation-config auto); else OpenAI's temperature 1.
        temperature: p.temperature ?? defaults.temperature ?? 1,
        topP: p.top_p ?? defaults.topP,
        topK: p.top_k === -1 ? 0 : (p.top_k ?? defaults.topK),
        repetitionPenalty: p.repetition_penalty ?? undefined,
        seed,
        maxNewTokens: job.maxNew,
        stop,
        // Read only (never changed): the model's own distribution, before temperature/top-k/top-p, as vLLM reports it.
        onLogits: topK === null ? undefined : (_step, l) => ((logits = l), (step = logSoftmaxTop(l, topK))),
        onToken: (_row, token) => {
          // The Generator has no abort hook; a throw from onToken ends its loop between two steps.
          signal.throwIfAborted();
          ids.push(token);
          if (step) tokens.push({ id: token, logprob: logits![token] - step.logZ, top: step.top });
          if (!onDelta) return;
          const ready = streamablePrefix(tokenizer.decode(ids), stop);
          if (ready.length > sent.length && ready.startsWith(sent)) {
            flush(ready.slice(sent.length));
            sent = ready;
          }
        },
      });
      const text = r.texts![0];
      if (onDelta && (text.length > sent.length || tokensSent < tokens.length)) flush(text.slice(sent.length));
      return { text, finish: finishName(r.finishReasons[0]), completionTokens: r.tokenIds[0].length, tokens };
    } catch (e) {
      if (signal.aborted) log(`${job.id}: cancelled after ${ids.length} of ${job.maxNew} tokens (${(signal.reason as Error).message})`);
      throw e;
    }
  }

  /** `logprobs` of a chat choice or chunk (OpenAI's chat shape). */
  const chatLogprobs = (tokens: TokenLogprob[]) => {
    // bytes: the token's own (part of a character when it is one byte of several), not those of its decoded text's U+FFFD.
    const entry = (id: number, logprob: number | null) => ({ token: tokenText(id), logprob, bytes: [...tokenizer.tokenBytes(id)] });
    return { content: tokens.map((t) => ({ ...entry(t.id, t.logprob), top_logprobs: t.top.map(([id, lp]) => entry(id, lp)) })) };
  };

  /** `logprobs` of a completions choice or chunk (the legacy shape); the sampled token is always among top_logprobs, as OpenAI's. */
  const completionLogprobs = (tokens: TokenLogprob[], offset: number) => {
    const text = tokens.map((t) => tokenText(t.id));
    const top = tokens.map((t, i) => (t.logprob === null ? null : Object.fromEntries([...t.top.map(([id, lp]) => [tokenText(id), lp]), [text[i], t.logprob]])));
    const text_offset = text.map((_, i) => offset + text.slice(0, i).join('').length);
    return { tokens: text, token_logprobs: tokens.map((t) => t.logprob), top_logprobs: top, text_offset };
  };

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Answered once the model is loaded (the server listens only then), without a key, as vLLM's.
    if (req.method === 'GET' && url.pathname === '/health') return void res.writeHead(200).end();
    if (opts.apiKey !== undefined && !authorized(req, opts.apiKey)) {
      throw new HttpError(401, 'Incorrect API key provided: send it as Authorization: Bearer <key>', null, 'invalid_api_key');
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [modelCard()] });
    }
    const chat = url.pathname === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && url.pathname !== '/v1/completions')) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    const p: Sampling = parseBody(chat ? chatSchema : completionSchema, await readJson(req, maxBodyBytes));
    if (p.model !== modelName) throw new HttpError(404, `model '${p.model}' is not served here (serving '${modelName}')`, 'model', 'model_not_found');
    const topK = logprobsWanted(p);
    checkStreamOptions(p);
    const n = p.n ?? 1;
    const prompts = 'messages' in p ? [renderChat(p.messages)] : ([] as string[]).concat(p.prompt);
    if (prompts.length * n > SERVE_DEFAULTS.maxN) throw new HttpError(400, `n: ${prompts.length} prompts x n = ${n} asks ${prompts.length * n} choices, more than ${SERVE_DEFAULTS.maxN}`, 'n');
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    // Each prompt counted as generateText will encode it; the body cap bounds what tokenizing costs.
    const addSpecialTokens = !chat || tokenizer.chatNeedsSpecialTokens;
    const jobs = prompts.map((prompt, k) => {
      const promptIds = tokenizer.encode(prompt, addSpecialTokens);
      if (!promptIds.length) throw emptyPrompt('prompt' in p && Array.isArray(p.prompt) ? paramName(['prompt', k]) : chat ? 'messages' : 'prompt');
      const job: Job = { id, prompt, addSpecialTokens, maxNew: completionBudget(promptIds.length, p, chat ? 'messages' : 'prompt'), p, topK, signal };
      return { job, promptIds };
    });
    const echoes = await Promise.all(jobs.map(async ({ job, promptIds }) => ('echo' in p && p.echo ? { text: job.prompt, tokens: topK === null ? [] : await serial(() => promptLogprobs(promptIds)) } : undefined)));
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: modelName };
    // Choice j of a prompt samples with seed + j (vLLM's derivation for n > 1), so it repeats on its own as choice 0 of a
    // request with that seed and prompt; without a seed the request draws one, so its choices (and repeats) differ.
    // Choices come prompt by prompt: prompt k's choice j has index k * n + j, as OpenAI's and vLLM's.
    const seed = p.seed ?? randomInt(2 ** 32);
    const choiceOf = (index: number) => ({ ...jobs[Math.floor(index / n)], echo: echoes[Math.floor(index / n)], seed: seed + (index % n) });
    const promptTokens = jobs.reduce((sum, j) => sum + j.promptIds.length, 0);
    const usageOf = (completionTokens: number) => ({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
    /** A choice's `logprobs`: the text before `tokens` has `offset` characters (completions' text_offset). */
    const logprobsOf = (tokens: TokenLogprob[], offset: number) => (topK === null ? null : chat ? chatLogprobs(tokens) : completionLogprobs(tokens, offset));
    const total = prompts.length * n;
    if (!p.stream) {
      const results = await serial(async () => {
        const all = [];
        for (let index = 0; index < total; index++) all.push(await complete(choiceOf(index).job, choiceOf(index).seed));
        return all;
      });
      const choices = results.map((r, index) => {
        const echo = choiceOf(index).echo;
        return chat
          ? { index, message: { role: 'assistant', content: r.text }, logprobs: logprobsOf(r.tokens, 0), finish_reason: r.finish }
          : { index, text: (echo?.text ?? '') + r.text, logprobs: logprobsOf([...(echo?.tokens ?? []), ...r.tokens], 0), finish_reason: r.finish };
      });
      return sendJson(res, 200, { ...head, choices, usage: usageOf(results.reduce((sum, r) => sum + r.completionTokens, 0)) });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const event = (choices: object[], usage?: object) => res.write(`data: ${JSON.stringify({ ...head, object, choices, ...(usage && { usage }) })}\n\n`);
    let completionTokens = 0;
    await serial(async () => {
      for (let index = 0; index < total; index++) {
        const { job, echo, seed: choiceSeed } = choiceOf(index);
        let offset = 0;
        const delta = (text: string, tokens: TokenLogprob[]) => {
          const logprobs = logprobsOf(tokens, offset);
          offset += text.length;
          event([chat ? { index, delta: { content: text }, logprobs, finish_reason: null } : { index, text, logprobs, finish_reason: null }]);
        };
        if (chat) event([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
        if (echo) delta(echo.text, echo.tokens);
        const r = await complete(job, choiceSeed, delta);
        completionTokens += r.completionTokens;
        event([chat ? { index, delta: {}, logprobs: null, finish_reason: r.finish } : { index, text: '', logprobs: null, finish_reason: r.finish }]);
      }
    });
    // As OpenAI's: usage (of all choices) only when asked, in a last chunk with no choices.
    if (p.stream_options?.include_usage) event([], usageOf(completionTokens));
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
    // A scorer that failed to build has nothing to release (its request got the error).
    await scorer?.then((s) => s.release(), () => undefined);
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
