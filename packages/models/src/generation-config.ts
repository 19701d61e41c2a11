import path from 'node:path';
import type { Checkpoint } from './checkpoint.js';

/** What a generation takes from generation_config.json unless the call says otherwise. */
export interface GenerationDefaults {
  maxNew: number;
  eos: Set<number>;
  /** 1 = none. */
  repetitionPenalty: number;
}

/** What the call asked for, of what generation_config.json would otherwise decide. */
export interface GenerationCall {
  maxNewTokens?: number;
  eosTokenIds?: number[];
  repetitionPenalty?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
}

/** max_new_tokens when neither the call nor generation_config.json gives one. */
const DEFAULT_MAX_NEW_TOKENS = 32;

/**
 * generation_config.json's fields that change which tokens transformers' generate() picks for a
 * causal LM and that codistill does not implement, each with the value that changes nothing
 * (GenerationConfig's default; unset, null and [] change nothing either). `sampling`: only when
 * sampling (greedy decoding ignores them, in transformers too).
 */
const NOT_IMPLEMENTED: Record<string, { neutral: unknown; sampling?: boolean }> = {
  no_repeat_ngram_size: { neutral: 0 },
  min_length: { neutral: 0 },
  min_new_tokens: { neutral: 0 },
  bad_words_ids: { neutral: null },
  sequence_bias: { neutral: null },
  suppress_tokens: { neutral: null },
  begin_suppress_tokens: { neutral: null },
  forced_bos_token_id: { neutral: null },
  forced_eos_token_id: { neutral: null },
  exponential_decay_length_penalty: { neutral: null },
  num_beams: { neutral: 1 },
  penalty_alpha: { neutral: null },
  guidance_scale: { neutral: 1 },
  max_time: { neutral: null },
  stop_strings: { neutral: null },
  watermarking_config: { neutral: null },
  min_p: { neutral: null, sampling: true },
  top_h: { neutral: null, sampling: true },
  typical_p: { neutral: 1, sampling: true },
  epsilon_cutoff: { neutral: 0, sampling: true },
  eta_cutoff: { neutral: 0, sampling: true },
};

const isNeutral = (value: unknown, neutral: unknown) => value === undefined || value === null || value === neutral || (Array.isArray(value) && !value.length);
const show = (field: string, value: unknown) => `${field} ${JSON.stringify(value)}`;

/**
 * A checkpoint's generation defaults as transformers' generate() reads generation_config.json:
 * max_new_tokens, eos_token_id (else config.json's) and repetition_penalty, each unless the call
 * gives its own. A repetition penalty that is not a number > 0 is refused, naming where it came from.
 */
export function generationDefaults(ckpt: Checkpoint, call: GenerationCall): GenerationDefaults {
  const gen = ckpt.generationConfig;
  const maxNew = call.maxNewTokens ?? (typeof gen.max_new_tokens === 'number' ? gen.max_new_tokens : DEFAULT_MAX_NEW_TOKENS);
  const raw = gen.eos_token_id ?? ckpt.config.eos_token_id;
  const eos = call.eosTokenIds ?? (raw === undefined || raw === null ? [] : ([] as number[]).concat(raw as number));
  const penalty = call.repetitionPenalty ?? gen.repetition_penalty ?? 1;
  if (typeof penalty !== 'number' || !(penalty > 0) || !Number.isFinite(penalty)) {
    const where = call.repetitionPenalty !== undefined ? 'repetitionPenalty' : `${path.join(ckpt.dir, 'generation_config.json')}: repetition_penalty`;
    throw new Error(`${where} must be a number > 0 (1 = no penalty), got ${JSON.stringify(penalty)}`);
  }
  return { maxNew, eos: new Set(eos), repetitionPenalty: penalty };
}

/** What an OpenAI-style server samples with when a request leaves these out (undefined: none in the model's files). */
export interface SamplingDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
}

/**
 * The request defaults vLLM's server takes from a model's generation_config.json (its default
 * `--generation-config auto`): temperature, top_p, top_k, and max_new_tokens as max_tokens; whatever
 * do_sample says (vLLM does not read it). repetition_penalty is generationDefaults'. A value out of
 * its range is refused, naming the file and field.
 */
export function samplingDefaults(ckpt: Checkpoint): SamplingDefaults {
  const gen = ckpt.generationConfig;
  const read = (field: string, valid: (v: number) => boolean, range: string) => {
    const value = gen[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !valid(value)) throw new Error(`${path.join(ckpt.dir, 'generation_config.json')}: ${field} must be ${range}, got ${JSON.stringify(value)}`);
    return value;
  };
  return {
    temperature: read('temperature', (v) => v >= 0 && Number.isFinite(v), 'a number >= 0'),
    topP: read('top_p', (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    topK: read('top_k', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0 (0 = all tokens)'),
    maxTokens: read('max_new_tokens', (v) => Number.isInteger(v) && v > 0, 'an integer > 0'),
  };
}

/**
 * The generation_config.json settings this call would get from transformers' generate() but not
 * from codistill, as one line to warn with (undefined when there are none): the fields codistill
 * does not implement, and the sampling settings it takes only from the call (without a temperature
 * it decodes greedily where the file's do_sample would sample, and it samples with the call's
 * top-k and top-p).
 */
export function unappliedGenerationFields(ckpt: Checkpoint, call: GenerationCall): string | undefined {
  const gen = ckpt.generationConfig;
  const sampling = !!call.temperature;
  const parts: string[] = [];
  const ignored = Object.entries(NOT_IMPLEMENTED).filter(([field, f]) => (sampling || !f.sampling) && !isNeutral(gen[field], f.neutral));
  if (ignored.length) parts.push(`${ignored.map(([field]) => show(field, gen[field])).join(', ')} (not implemented)`);
  // A call that gives temperature 0 chose greedy decoding (transformers' do_sample=False); one that gives none left it to the defaults.
  if (call.temperature === undefined && gen.do_sample === true) {
    const with_ = ['temperature', 'top_k', 'top_p'].filter((f) => gen[f] !== undefined && gen[f] !== null);
    parts.push(`${[show('do_sample', true), ...with_.map((f) => show(f, gen[f]))].join(', ')} (codistill decodes greedily unless given a temperature)`);
  }
  if (sampling) {
    const unset = (['top_k', 'top_p'] as const).filter((f) => gen[f] !== undefined && gen[f] !== null && (f === 'top_k' ? call.topK : call.topP) === undefined);
    if (unset.length) parts.push(`${unset.map((f) => show(f, gen[f])).join(', ')} (codistill samples with the call's top-k and top-p only)`);
  }
  if (call.maxNewTokens === undefined && gen.max_new_tokens === undefined && typeof gen.max_length === 'number') {
    parts.push(`${show('max_length', gen.max_length)} (codistill stops after max_new_tokens, default ${DEFAULT_MAX_NEW_TOKENS})`);
  }
  if (!parts.length) return undefined;
  return `${path.join(ckpt.dir, 'generation_config.json')}: not applied by codistill, so its tokens can differ from transformers' generate(): ${parts.join('; ')}`;
}
