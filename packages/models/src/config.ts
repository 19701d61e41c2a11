// Hugging Face config.json -> the few numbers the graph builders need, with errors that name the field.

/** A config.json field codistill cannot honour. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Json = Record<string, unknown>;

class Fields {
  constructor(
    readonly raw: Json,
    readonly file: string,
  ) {}

  fail(field: string, why: string): never {
    throw new ConfigError(`${this.file}: field '${field}' ${why}`);
  }

  num(field: string, fallback?: number): number {
    const v = this.raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  int(field: string, fallback?: number): number {
    const v = this.num(field, fallback);
    if (!Number.isInteger(v) || v < 0) this.fail(field, `must be a non-negative integer, got ${v}`);
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.raw[field] ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  optionalInt(field: string): number | undefined {
    return this.raw[field] === undefined || this.raw[field] === null ? undefined : this.int(field);
  }

  /** Token ids that may be one id or a list (Llama 3.1 lists several EOS ids). */
  ids(field: string): number[] {
    const v = this.raw[field];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isInteger(x))) this.fail(field, `must be a token id or a list of ids, got ${JSON.stringify(v)}`);
    return list as number[];
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
    const v = this.raw[field] ?? fallback;
    if (!allowed.includes(v as T)) this.fail(field, `is ${JSON.stringify(v)}; codistill supports ${allowed.map((a) => `'${a}'`).join(', ')}`);
    return v as T;
  }
}

/** Dtypes a model graph computes in (LoRA, losses and softmax stay float32). */
export type ComputeDtype = 'float32' | 'float16' | 'bfloat16';

export interface RopeConfig {
  theta: number;
  /** Llama 3.1 frequency scaling; absent for plain RoPE. */
  llama3?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };
}

export const CAUSAL_LM_TYPES = ['llama', 'qwen2', 'mistral'] as const;
export type CausalLmType = (typeof CAUSAL_LM_TYPES)[number];

export interface CausalLmConfig {
  modelType: CausalLmType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  rope: RopeConfig;
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections (Qwen2 always; Llama with attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama attention_bias only). */
  oBias: boolean;
  mlpBias: boolean;
  /** Mistral's sliding attention window, in tokens. */
  slidingWindow?: number;
  maxPositions: number;
  bosTokenId?: number;
  eosTokenIds: number[];
  padTokenId?: number;
}

function parseRope(f: Fields): RopeConfig {
  // transformers 5 nests RoPE settings in rope_parameters; earlier versions use rope_theta + rope_scaling.
  const nested = f.raw.rope_parameters as Json | undefined;
  const params = new Fields({ ...(f.raw.rope_scaling as Json | undefined), ...nested }, f.file);
  const theta = nested?.rope_theta !== undefined ? params.num('rope_theta') : f.num('rope_theta', 10000);
  const where = nested ? 'rope_parameters' : 'rope_scaling';
  const type = (params.raw.rope_type ?? params.raw.type ?? 'default') as string;
  if (type === 'default') return { theta };
  if (type !== 'llama3') f.fail(`${where}.rope_type`, `is '${type}'; codistill supports 'default' and 'llama3'`);
  return {
    theta,
    llama3: {
      factor: params.num('factor'),
      lowFreqFactor: params.num('low_freq_factor'),
      highFreqFactor: params.num('high_freq_factor'),
      originalMaxPositions: params.int('original_max_position_embeddings'),
    },
  };
}

export function parseCausalLmConfig(raw: Json, file = 'config.json'): CausalLmConfig {
  const f = new Fields(raw, file);
  const modelType = f.oneOf('model_type', CAUSAL_LM_TYPES);
  f.oneOf('hidden_act', ['silu'], 'silu');
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  const numKvHeads = f.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  const headDim = raw.head_dim == null ? hiddenSize / numHeads : f.int('head_dim');
  if (!Number.isInteger(headDim)) f.fail('num_attention_heads', `(${numHeads}) must divide hidden_size (${hiddenSize})`);
  const attentionBias = f.bool('attention_bias', false);
  let slidingWindow: number | undefined;
  if (modelType === 'mistral') slidingWindow = f.optionalInt('sliding_window');
  if (modelType === 'qwen2' && f.bool('use_sliding_window', false)) f.fail('use_sliding_window', 'is true; per-layer sliding windows are not supported');
  return {
    modelType,
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    intermediateSize: f.int('intermediate_size'),
    numLayers: f.int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: f.num('rms_norm_eps', 1e-6),
    rope: parseRope(f),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    qkvBias: modelType === 'qwen2' || attentionBias,
    oBias: modelType !== 'qwen2' && attentionBias,
    mlpBias: f.bool('mlp_bias', false),
    slidingWindow,
    maxPositions: f.int('max_position_embeddings', 2048),
    bosTokenId: f.ids('bos_token_id')[0],
    eosTokenIds: f.ids('eos_token_id'),
    padTokenId: f.ids('pad_token_id')[0],
  };
}

export interface EncoderConfig {
  modelType: 'roberta';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  layerNormEps: number;
  maxPositions: number;
  typeVocabSize: number;
  padTokenId: number;
}

export function parseEncoderConfig(raw: Json, file = 'config.json'): EncoderConfig {
  const f = new Fields(raw, file);
  f.oneOf('model_type', ['roberta'] as const);
  f.oneOf('hidden_act', ['gelu'], 'gelu');
  f.oneOf('position_embedding_type', ['absolute'], 'absolute');
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) f.fail('num_attention_heads', `(${numHeads}) must divide hidden_size (${hiddenSize})`);
  return {
    modelType: 'roberta',
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    intermediateSize: f.int('intermediate_size'),
    numLayers: f.int('num_hidden_layers'),
    numHeads,
    layerNormEps: f.num('layer_norm_eps', 1e-12),
    maxPositions: f.int('max_position_embeddings'),
    typeVocabSize: f.int('type_vocab_size', 1),
    padTokenId: f.int('pad_token_id', 1),
  };
}
