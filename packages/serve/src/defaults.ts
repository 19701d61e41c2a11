/** What a request may cost when ServeOptions (or the serve flags) leave it out, one place each. */
export const SERVE_DEFAULTS = {
  port: 8000,
  host: '127.0.0.1',
  /** Larger request bodies get 413 before they are read into memory. */
  maxBodyBytes: 1024 * 1024,
  /** On close (SIGTERM, SIGINT), how long in-flight requests may take before they are cancelled. */
  drainSeconds: 30,
  /** max_tokens of a chat request that leaves it out (less when the context has less room). */
  chatMaxTokens: 256,
  /** max_tokens of a completions request that leaves it out: 16, as OpenAI's legacy completions API and vLLM's CompletionRequest. */
  completionMaxTokens: 16,
  /** Most choices (`n`) one request may ask: each is a whole generation. */
  maxN: 128,
  /** Most prompts one completions request may carry (each asks `n` choices; all choices together stay within maxN). */
  maxPrompts: 128,
  /** Most alternatives per token (top_logprobs, completions' logprobs): vLLM's default max_logprobs. */
  maxLogprobs: 20,
} as const;
