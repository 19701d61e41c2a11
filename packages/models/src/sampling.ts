import { mulberry32 } from '@codistill/graph';

export interface SamplingOptions {
  /** 0 (default) picks the most likely token; above 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = all). */
  topP?: number;
  /** Seed of the sampler's random numbers (default 0), so sampled runs repeat. */
  seed?: number;
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** log softmax(logits)[token]: the model's own log-probability, before any sampling transform. */
export function logProbOf(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return logits[token] - max - Math.log(sum);
}

/**
 * transformers' RepetitionPenaltyLogitsProcessor: the logit of each token in `seen` (the row's
 * prompt and generated tokens) divided by `penalty` when positive and multiplied by it when
 * negative, so above 1 every token already there loses probability. Returns a copy: the model's
 * own logits stay as they are (log-probabilities are reported from them).
 */
export function penalizeRepetition(logits: Float32Array, seen: Iterable<number>, penalty: number): Float32Array {
  const out = logits.slice();
  // torch applies the penalty in the logits' float32; Float32Array rounds each result as torch does.
  const p = Math.fround(penalty);
  for (const id of seen) if (id < out.length) out[id] = out[id] < 0 ? out[id] * p : out[id] / p;
  return out;
}

/** Picks next tokens: greedy at temperature 0, else temperature -> top-k -> top-p, as transformers orders them. */
export class Sampler {
  private readonly random: () => number;

  constructor(private readonly opts: SamplingOptions = {}) {
    this.random = mulberry32(opts.seed ?? 0);
  }

  get greedy(): boolean {
    return !this.opts.temperature;
  }

  pick(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const t = this.opts.temperature!;
    let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
    const k = this.opts.topK ?? 0;
    if (k > 0) order = order.slice(0, k);
    const max = logits[order[0]];
    let probs = order.map((i) => Math.exp((logits[i] - max) / t));
    const z = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / z);
    const p = this.opts.topP ?? 1;
    if (p < 1) {
      let mass = 0;
      let keep = 0;
      while (keep < probs.length && mass < p) mass += probs[keep++];
      order = order.slice(0, keep);
      probs = probs.slice(0, keep).map((q) => q / mass);
    }
    let r = this.random();
    for (let i = 0; i < order.length; i++) {
      r -= probs[i];
      if (r <= 0) return order[i];
    }
    return order[order.length - 1];
  }
}
