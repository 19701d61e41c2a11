// The request bodies the server accepts: OpenAI's chat and completions dialects as vLLM implements them.
import { z } from 'zod';
import { SERVE_DEFAULTS } from './defaults.js';
import { HttpError } from './http.js';

/** A penalty the Generator's sampler cannot apply (it has no logit-processing hook): only its neutral value is accepted. */
const unsupportedPenalty = (neutral: number) =>
  z
    .number()
    .nullish()
    .refine((v) => v == null || v === neutral, `not supported by this server (its sampler has no penalty hook); send ${neutral} or leave it out`);

// The request keys each route accepts, one place: any other key is a 400 naming it (z.strictObject),
// so a parameter the server would not honour is never silently dropped.
const sampling = {
  // Optional parameters may be null (OpenAI's API accepts that); null means "not given".
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  // vLLM's convention: -1 (or 0) keeps all tokens.
  top_k: z.int().min(-1).nullish(),
  n: z.int().min(1).max(SERVE_DEFAULTS.maxN).nullish(),
  seed: z.int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().nullish() }).nullish(),
  presence_penalty: unsupportedPenalty(0),
  frequency_penalty: unsupportedPenalty(0),
  // vLLM's extra sampling parameter: transformers' repetition penalty over prompt and output (1 = none;
  // unset = the model's generation_config.json, as vLLM's default --generation-config auto takes it).
  repetition_penalty: z.number().gt(0).nullish(),
  // Accepted and unused, as by OpenAI and vLLM (an end-user id for abuse tracking).
  user: z.string().nullish(),
  model: z.string(),
};
const topLogprobs = z.int().min(0).max(SERVE_DEFAULTS.maxLogprobs).nullish();
/** The roles the prompt is rendered from (a chat template, or "role: content" lines); tool turns need keys this API does not take. */
const ROLES = ['system', 'user', 'assistant'] as const;
const role = z.enum(ROLES, { error: (i) => `${JSON.stringify(i.input)} is not a role this server renders (${ROLES.join(', ')})` });
// The model reads text only: an image, audio or file part would be dropped, so it is refused instead.
const textPart = z.strictObject({
  type: z.literal('text', { error: (i) => `${JSON.stringify(i.input)} content parts are not supported by this server (a text-only model): send 'text' parts` }),
  text: z.string(),
});
const content = z.union([z.string(), z.array(textPart), z.null()]);
export const chatSchema = z.strictObject({
  ...sampling,
  messages: z.array(z.strictObject({ role, content })).min(1),
  logprobs: z.boolean().nullish(),
  top_logprobs: topLogprobs,
});
export const completionSchema = z.strictObject({
  ...sampling,
  /** One prompt or several (vLLM and OpenAI: choices come prompt by prompt, `n` each). Token-id prompts are refused. */
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(SERVE_DEFAULTS.maxPrompts)]),
  /** The completions dialect: logprobs is the number of alternatives per token (0 = the sampled token's only). */
  logprobs: topLogprobs,
  echo: z.boolean().nullish(),
});
export type ChatRequest = z.infer<typeof chatSchema>;
type CompletionRequest = z.infer<typeof completionSchema>;
export type Sampling = ChatRequest | CompletionRequest;

export const textOf = (c: z.infer<typeof content>) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text).join(''));

/** A zod path as a client writes it: `messages[0].content[1].type`. */
export const paramName = (path: PropertyKey[]) => path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/**
 * The issue to report: a union's own ("Invalid input") stands for the issues of the option the value
 * has the type of (an array of content parts, say), when one has; the other options fail at their root.
 */
function innermost(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const typed = issue.errors.find((option) => !option.every((i) => i.code === 'invalid_type' && i.path.length === 0));
  return typed?.length ? innermost({ ...typed[0], path: [...issue.path, ...typed[0].path] }) : issue;
}

/** The body parsed by `schema`, or a 400 naming the first offending key. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = innermost(parsed.error.issues[0]);
  if (issue.code === 'unrecognized_keys') {
    const param = paramName([...issue.path, issue.keys[0]]);
    // Top-level keys are many (list them); a message or content part has two.
    const accepted = issue.path.length ? '' : ` (accepted keys: ${Object.keys((schema as unknown as z.ZodObject).shape).join(', ')})`;
    throw new HttpError(400, `${param}: not supported by this server${accepted}`, param);
  }
  const param = paramName(issue.path);
  throw new HttpError(400, `${param || '(body)'}: ${issue.message}`, param || null);
}

/** stream_options shapes a stream only: without one it would be dropped, so it is a 400 (vLLM's check, and its words). */
export function checkStreamOptions(p: Sampling): void {
  if (p.stream_options != null && !p.stream) throw new HttpError(400, 'stream_options: Stream options can only be defined when `stream=True`.', 'stream_options');
}

/** How many alternatives per token a request wants, or null for no logprobs; a 400 for combinations the server cannot answer. */
export function logprobsWanted(p: Sampling): number | null {
  if ('messages' in p) {
    if (p.top_logprobs != null && !p.logprobs) throw new HttpError(400, 'top_logprobs: needs logprobs: true', 'top_logprobs');
    return p.logprobs ? (p.top_logprobs ?? 0) : null;
  }
  // Prompt tokens are scored by one teacher-forced pass that yields each token's own logprob, not its alternatives.
  if (p.echo && p.logprobs) throw new HttpError(400, "logprobs: with echo only 0 is supported (the prompt tokens' alternatives are not computed)", 'logprobs');
  return p.logprobs ?? null;
}
