/** Perplexity exp(-mean log p) of tokens given their natural-log probabilities. */
export function perplexity(logprobs: readonly number[]): number {
  if (logprobs.length === 0) throw new Error('perplexity: no token log-probabilities given');
  let sum = 0;
  logprobs.forEach((value, position) => {
    if (!Number.isFinite(value) && value !== -Infinity) {
      throw new Error(`perplexity: log-probability at token ${position} is ${value}`);
    }
    if (value > 0) throw new Error(`perplexity: log-probability at token ${position} is positive (${value})`);
    sum += value;
  });
  return Math.exp(-sum / logprobs.length);
}

/**
 * How many leading tokens form the prefix when a text is split at `prefixFraction` of its
 * tokens: floor(count * fraction), but at least one token on each side.
 */
export function prefixTokenCount(tokenCount: number, prefixFraction = 0.1): number {
  if (!(prefixFraction > 0 && prefixFraction < 1)) {
    throw new Error(`prefixFraction must be strictly between 0 and 1, got ${prefixFraction}`);
  }
  if (!Number.isInteger(tokenCount) || tokenCount < 2) {
    throw new Error(`A prefix split needs at least 2 tokens, got ${tokenCount}`);
  }
  return Math.min(tokenCount - 1, Math.max(1, Math.floor(tokenCount * prefixFraction)));
}

/**
 * Perplexity of the tokens after the prefix, given everything before them. `logprobs[i]` is
 * log p(token i | tokens < i); the first entries may be null (a model has no probability for
 * its first token), but none after the prefix may be.
 */
export function continuationPerplexity(logprobs: ReadonlyArray<number | null>, prefixFraction = 0.1): number {
  const prefix = prefixTokenCount(logprobs.length, prefixFraction);
  const continuation = logprobs.slice(prefix).map((value, offset) => {
    if (value === null) throw new Error(`continuationPerplexity: token ${prefix + offset} has no log-probability`);
    return value;
  });
  return perplexity(continuation);
}

/** Returns per-token log-probabilities of `text` under some model (the caller's model call). */
export type TokenLogprobScorer = (text: string) => Promise<ReadonlyArray<number | null>> | ReadonlyArray<number | null>;

/**
 * The question-understanding analysis: perplexity of the last 90 % of a question's tokens
 * given its first 10 %. The model is the caller's: `score` returns the per-token
 * log-probabilities of the whole text, and the split happens on those tokens.
 */
export async function questionPerplexity(text: string, score: TokenLogprobScorer, prefixFraction = 0.1): Promise<number> {
  return continuationPerplexity(await score(text), prefixFraction);
}
