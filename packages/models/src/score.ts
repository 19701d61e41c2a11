import { hostTensor, Runner } from '@codistill/graph';
import type { Checkpoint } from './checkpoint.js';
import { sessionOptions, type GeneratorOptions } from './generate.js';
import { buildCausalLm } from './llama.js';
import { logProbOf } from './sampling.js';

/**
 * Teacher-forced log-probabilities of a given token sequence (perplexity, the question analysis).
 * One forward pass over the whole sequence with logits at every position; host memory for those
 * logits is seq x vocab float32 (about 0.5 GB for 1,000 tokens of a 128k vocabulary).
 */
export class TokenScorer {
  private constructor(
    private readonly session: Runner,
    private readonly feeds: GeneratorOptions['feeds'] & object,
  ) {}

  /** Same options as Generator.create, so a LoRA hook and its feeds score the adapted model. */
  static async create(ckpt: Checkpoint, opts: GeneratorOptions = {}): Promise<TokenScorer> {
    const lm = buildCausalLm(ckpt, { linear: opts.linear, logits: 'all' });
    const session = await Runner.create(lm.toModel(), sessionOptions(ckpt, opts));
    return new TokenScorer(session, opts.feeds ?? {});
  }

  /** log p(ids[i] | ids[0..i-1]) for i = 1 .. n-1: one entry fewer than `ids` (the first token has no context). */
  async logprobs(ids: readonly number[]): Promise<number[]> {
    if (ids.length < 2) throw new Error(`TokenScorer.logprobs: needs at least 2 tokens, got ${ids.length}`);
    const n = ids.length;
    const { outputs } = await this.session.run({
      ...this.feeds,
      input_ids: hostTensor('int64', [1, n], ids),
      attention_mask: hostTensor('int64', [1, n], new Array<number>(n).fill(1)),
    });
    const logits = outputs.logits.data as Float32Array;
    const vocab = logits.length / n;
    return ids.slice(1).map((token, i) => logProbOf(logits.subarray(i * vocab, (i + 1) * vocab), token));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
