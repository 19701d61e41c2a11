import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { EndpointConfig, TeacherConfig } from './config.js';
import { abortError, parseRetryAfter } from './timing.js';

export interface Completion {
  text: string;
  /** Absent when the server reports no usage (some servers omit it when streaming). */
  promptTokens?: number;
  completionTokens?: number;
}

/**
 * What a request has received so far, filled in as a stream arrives: if the request is cut off, this
 * is what the server had already spent on it (usage only when the server sends it mid-stream, as
 * vLLM's continuous usage stats do).
 */
export interface Received {
  characters: number;
  promptTokens?: number;
  completionTokens?: number;
}

/**
 * 'too-long': the prompt does not fit the teacher's context; asking again cannot help. 'auth': the
 * endpoint refused the key (401/403), which no problem can get past.
 */
export type TeacherErrorKind = 'rate-limit' | 'server' | 'timeout' | 'connection' | 'malformed' | 'client' | 'too-long' | 'auth';

/** A failed request, classified so the caller knows whether to retry and how long to wait. */
export class TeacherError extends Error {
  constructor(
    message: string,
    readonly kind: TeacherErrorKind,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.kind !== 'client' && this.kind !== 'too-long' && this.kind !== 'auth';
  }
  /** Does this failure say the endpoint is unhealthy? Rate limits and bad requests do not. */
  get countsAgainstEndpoint(): boolean {
    return this.retryable && this.kind !== 'rate-limit';
  }
}

export function createTeacherClient(endpoint: EndpointConfig, timeoutMs: number): OpenAI {
  return new OpenAI({
    baseURL: endpoint.baseURL,
    // vLLM, TGI, Ollama and llama.cpp accept any key; the SDK insists on one.
    apiKey: process.env[endpoint.apiKeyEnv] || 'EMPTY',
    timeout: timeoutMs,
    // Retries, back-off and failover are ours: they must see every failure to drive the breaker.
    maxRetries: 0,
    // Every failure is classified and reported by us; the SDK's own console logging would duplicate it.
    logLevel: 'off',
  });
}

/** One chat completion, streamed or not, under one deadline covering headers and body. */
export async function requestCompletion(
  client: OpenAI,
  config: TeacherConfig,
  messages: ChatCompletionMessageParam[],
  now: number,
  signal?: AbortSignal,
  received: Received = { characters: 0 },
): Promise<Completion> {
  const deadline = AbortSignal.timeout(config.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const body = { model: config.model, messages, temperature: config.temperature, top_p: config.topP, max_tokens: config.maxTokens };
  try {
    if (!config.stream) {
      const response = await client.chat.completions.create({ ...body, stream: false }, { signal: combined });
      const text = response?.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw new TeacherError('response has no choices[0].message.content', 'malformed');
      return { text, promptTokens: response.usage?.prompt_tokens, completionTokens: response.usage?.completion_tokens };
    }
    const stream = await client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal: combined },
    );
    let text = '';
    let finished = false;
    const completion: Completion = { text };
    for await (const chunk of stream) {
      const choice = chunk.choices?.[0];
      const piece = choice?.delta?.content ?? '';
      text += piece;
      received.characters += piece.length;
      if (choice?.finish_reason) finished = true;
      if (chunk.usage) {
        completion.promptTokens = received.promptTokens = chunk.usage.prompt_tokens;
        completion.completionTokens = received.completionTokens = chunk.usage.completion_tokens;
      }
    }
    // A stream cut before any finish_reason is a truncated answer, not a short one.
    if (!finished) throw new TeacherError('stream ended without a finish_reason', 'connection');
    completion.text = text;
    return completion;
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    throw classify(e, deadline.aborted, config.timeoutMs, now);
  }
}

function classify(e: unknown, deadlinePassed: boolean, timeoutMs: number, now: number): TeacherError {
  if (e instanceof TeacherError) return e;
  if (deadlinePassed || e instanceof APIConnectionTimeoutError) return new TeacherError(`no complete answer within ${timeoutMs} ms`, 'timeout');
  if (e instanceof APIUserAbortError) return new TeacherError('request aborted', 'connection');
  if (e instanceof APIConnectionError) return new TeacherError(`connection failed: ${(e.cause as Error | undefined)?.message ?? e.message}`, 'connection');
  if (e instanceof APIError && typeof e.status === 'number') {
    // The SDK's message starts with the status already.
    const message = `HTTP ${e.status}: ${e.message.replace(new RegExp(`^${e.status}\\s*`), '')}`;
    if (e.status === 429) return new TeacherError(message, 'rate-limit', parseRetryAfter(e.headers, now));
    if (e.status >= 500 || e.status === 408 || e.status === 409) return new TeacherError(message, 'server', parseRetryAfter(e.headers, now));
    // OpenAI's code, or vLLM's wording ("This model's maximum context length is N tokens...").
    if (e.code === 'context_length_exceeded' || /maximum context length/i.test(e.message)) return new TeacherError(message, 'too-long');
    if (e.status === 401 || e.status === 403) return new TeacherError(message, 'auth');
    return new TeacherError(message, 'client');
  }
  // Anything else is a body we could not read: invalid JSON, a broken SSE frame, a reset mid-body.
  return new TeacherError(`unreadable response: ${(e as Error)?.message ?? String(e)}`, 'malformed');
}
