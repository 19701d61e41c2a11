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
  repetition_penalty: unsupportedPenalty(1),
  // Accepted and unused, as by OpenAI and vLLM (an end-user id for abuse tracking).
  user: z.string().nullish(),
  model: z.string(),
};
const topLogprobs = z.int().min(0).max(SERVE_DEFAULTS.maxLogprobs).nullish();
const content = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() })), z.null()]);
export const chatSchema = z.strictObject({
  ...sampling,
  messages: z.array(z.object({ role: z.string(), content })).min(1),
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
type ChatRequest = z.infer<typeof chatSchema>;
type CompletionRequest = z.infer<typeof completionSchema>;
export type Sampling = ChatRequest | CompletionRequest;

export const textOf = (c: z.infer<typeof content>) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));

/** The body parsed by `schema`, or a 400 naming the first offending key. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const accepted = Object.keys((schema as unknown as z.ZodObject).shape).join(', ');
    throw new HttpError(400, `${issue.keys[0]}: not supported by this server (accepted keys: ${accepted})`, issue.keys[0]);
  }
  const param = issue.path.join('.');
  throw new HttpError(400, `${param || '(body)'}: ${issue.message}`, param || null);
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
