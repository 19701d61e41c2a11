import { hostTensor, Runner, type HostTensor, type RunnerOptions } from '@codistill/graph';
import type { Checkpoint } from './checkpoint.js';
import { KvCache, type KvShape } from './kv-cache.js';
import type { LinearHook } from './linear.js';
import { buildCausalLm } from './llama.js';
import { generationDefaults, unappliedGenerationFields } from './generation-config.js';
import { logProbOf, penalizeRepetition, Sampler, type SamplingOptions } from './sampling.js';
import { stopStringCut } from './stop-string-cut.js';
import type { TextTokenizer } from './tokenizer.js';

export interface GeneratorOptions extends Pick<RunnerOptions, 'provider' | 'threads' | 'allowCpuFallback'> {
  /** The linear hook the graph is built with (e.g. LoRA with its tensors as graph inputs). */
  linear?: LinearHook;
  /** Constant feeds for the inputs the hook added (e.g. LoRA tensors), sent with every step. */
  feeds?: Record<string, HostTensor>;
  /**
   * Told, once per generator, about generation_config.json settings transformers' generate() would
   * apply and codistill does not (default: console.warn).
   */
  onWarning?: (message: string) => void;
}

export interface GenerateOptions extends SamplingOptions {
  /** Default: generation_config.json `max_new_tokens`, else 32. */
  maxNewTokens?: number;
  /** Default: generation_config.json / config.json `eos_token_id`. */
  eosTokenIds?: number[];
  /**
   * transformers' `repetition_penalty`: before picking, the logit of every token already in the row
   * (its prompt, padding not counted, and what it generated) is divided by it when positive and
   * multiplied by it when negative; 1 = none. Default: generation_config.json `repetition_penalty`,
   * else 1. Log-probabilities and `onLogits` stay the model's own.
   */
  repetitionPenalty?: number;
  /** Stop a row once its decoded completion contains one of these (needs a tokenizer). */
  stop?: string[];
  tokenizer?: TextTokenizer;
  /**
   * Sees every step's next-token logits [rows, vocab] (e.g. to check or to compute perplexity):
   * one row per prompt still generating, `rows` naming which (rows that finished leave the batch).
   */
  onLogits?: (step: number, logits: Float32Array, rows: readonly number[]) => void;
  /** Each token as it is picked, for streaming (rows that already finished get no more calls). */
  onToken?: (row: number, token: number, step: number) => void;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface GenerationResult {
  /** Generated ids per row (the EOS token included when it ended the row). */
  tokenIds: number[][];
  /** The model's log-probability of each generated token (unaffected by temperature/top-k/top-p). */
  logprobs: number[][];
  finishReasons: FinishReason[];
  /** Completions decoded by the tokenizer, cut before a stop string (when a tokenizer was given). */
  texts?: string[];
  prefillMs: number;
  decodeMs: number;
}

/** The Runner options a generator's (or scorer's) options ask for. */
export const sessionOptions = (ckpt: Checkpoint, opts: GeneratorOptions): RunnerOptions => ({
  externalDataDir: ckpt.externalDataDir,
  provider: opts.provider,
  threads: opts.threads,
  allowCpuFallback: opts.allowCpuFallback,
});

/**
 * Autoregressive decoding with a KV cache. One graph serves prefill and decode: past keys and
 * values are inputs with a dynamic length (empty at prefill), the run's new ones outputs that
 * KvCache appends, and only the last position's logits are computed.
 */
export class Generator {
  /** generation_config.json warnings already given (each once). */
  private readonly warned = new Set<string>();

  private constructor(
    private readonly session: Runner,
    private readonly ckpt: Checkpoint,
    private readonly kv: KvShape,
    private readonly feeds: Record<string, HostTensor>,
    private readonly warn: (message: string) => void,
  ) {}

  static async create(ckpt: Checkpoint, opts: GeneratorOptions = {}): Promise<Generator> {
    const lm = buildCausalLm(ckpt, { linear: opts.linear, kvCache: true, logits: 'last' });
    const session = await Runner.create(lm.toModel(), sessionOptions(ckpt, opts));
    const { numLayers: layers, numKvHeads: kvHeads, headDim } = lm.config;
    return new Generator(session, ckpt, { layers, kvHeads, headDim }, opts.feeds ?? {}, opts.onWarning ?? console.warn);
  }

  /** The call's settings over generation_config.json's; what the file asks and codistill does not do is warned about once. */
  private defaults(opts: GenerateOptions) {
    const defaults = generationDefaults(this.ckpt, opts);
    const unapplied = unappliedGenerationFields(this.ckpt, opts);
    if (unapplied && !this.warned.has(unapplied)) {
      this.warned.add(unapplied);
      this.warn(unapplied);
    }
    return defaults;
  }

  /** Continue a batch of prompts (left-padded when rows differ in length; see encodeBatch). */
  async generate(inputIds: HostTensor, attentionMask: HostTensor, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const { maxNew, eos, repetitionPenalty } = this.defaults(opts);
    const [batch, promptLen] = inputIds.dims;
    const sampler = new Sampler(opts);
    const tokenIds: number[][] = Array.from({ length: batch }, () => []);
    const logprobs: number[][] = Array.from({ length: batch }, () => []);
    const finish: (FinishReason | undefined)[] = new Array(batch).fill(undefined);
    const texts: string[] = new Array(batch).fill('');
    const cache = new KvCache(this.kv, batch, promptLen + maxNew);
    // The rows still generating (original indices) and their masks: a row that finishes leaves the
    // batch, so later steps compute only what is left (each row's result is what it gives alone).
    let rows = Array.from({ length: batch }, (_, b) => b);
    const mask = rows.map((b) => Array.from((attentionMask.data as BigInt64Array).subarray(b * promptLen, (b + 1) * promptLen), Number));
    // The tokens each row holds, for the repetition penalty: its prompt without padding, then what it generates.
    const prompts = inputIds.data as BigInt64Array;
    const seen = repetitionPenalty === 1 ? undefined : rows.map((b) => new Set(mask[b].flatMap((m, t) => (m ? [Number(prompts[b * promptLen + t])] : []))));
    let ids = inputIds;
    let prefillMs = 0;
    const t0 = performance.now();
    for (let step = 0; step < maxNew && rows.length; step++) {
      const attention = hostTensor('int64', [rows.length, promptLen + step], rows.flatMap((b) => mask[b]));
      const { outputs: out } = await this.session.run({ ...this.feeds, ...cache.past(), input_ids: ids, attention_mask: attention });
      cache.append(out);
      if (step === 0) prefillMs = performance.now() - t0;
      const logits = out.logits.data as Float32Array;
      opts.onLogits?.(step, logits, rows);
      const vocab = logits.length / rows.length;
      rows.forEach((b, i) => {
        const row = logits.subarray(i * vocab, (i + 1) * vocab);
        const token = sampler.pick(seen ? penalizeRepetition(row, seen[b], repetitionPenalty) : row);
        seen?.[b].add(token);
        tokenIds[b].push(token);
        logprobs[b].push(logProbOf(row, token));
        mask[b].push(1);
        opts.onToken?.(b, token, step);
        if (eos.has(token)) finish[b] = 'eos';
        else if (opts.stop?.length && opts.tokenizer) {
          const cut = stopStringCut(opts.tokenizer, tokenIds[b], opts.stop);
          if (cut !== undefined) {
            finish[b] = 'stop';
            texts[b] = cut;
          }
        }
      });
      const kept = rows.flatMap((b, i) => (finish[b] ? [] : [i]));
      if (kept.length < rows.length) cache.keepRows(kept);
      rows = kept.map((i) => rows[i]);
      ids = hostTensor('int64', [rows.length, 1], rows.map((b) => tokenIds[b].at(-1)!));
    }
    const decodeMs = performance.now() - t0 - prefillMs;
    const finishReasons = finish.map((f) => f ?? 'length');
    const result: GenerationResult = { tokenIds, logprobs, finishReasons, prefillMs, decodeMs };
    if (opts.tokenizer) result.texts = tokenIds.map((t, b) => (finishReasons[b] === 'stop' ? texts[b] : opts.tokenizer!.decode(t)));
    return result;
  }

  /**
   * Continue prompt texts. `addSpecialTokens` false for text a chat template rendered, which holds its
   * own (see TextTokenizer.chatNeedsSpecialTokens).
   */
  async generateText(tokenizer: TextTokenizer, prompts: string[], opts: GenerateOptions & { addSpecialTokens?: boolean } = {}): Promise<GenerationResult> {
    const { addSpecialTokens, ...rest } = opts;
    const enc = tokenizer.encodeBatch(prompts, { paddingSide: 'left', addSpecialTokens });
    return this.generate(enc.inputIds, enc.attentionMask, { ...rest, tokenizer });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
