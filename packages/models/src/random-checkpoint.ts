import path from 'node:path';
import { writeJsonDurable } from '@codistill/util';
import { gaussian, mulberry32 } from '@codistill/graph';
import { writeSafetensors, type StreamedTensor } from './safetensors.js';

export interface LlamaShape {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  /** Further config.json fields (RoPE, norm epsilon), as transformers names them. */
  extra?: Record<string, unknown>;
}

/** The 58 M-parameter Llama shape of the PyTorch anchor benchmark (shared/bench/torch_lora_anchor.py). */
export const ANCHOR_SHAPE: LlamaShape = {
  vocab_size: 32000,
  hidden_size: 512,
  intermediate_size: 1376,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 8,
};

/** Llama-3.1-8B's widths with `layers` decoder layers (shared/bench/torch_slice.py's slice). */
export const llama31Slice = (layers: number): LlamaShape => ({
  vocab_size: 128256,
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: layers,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  extra: {
    rms_norm_eps: 1e-5,
    max_position_embeddings: 131072,
    rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
  },
});

/** Values made a million at a time, so writing never holds a whole tensor. */
const CHUNK = 1 << 20;

/**
 * Write a Llama checkpoint with random weights (std 0.02, norms 1) into `dir`, for benchmarks and
 * tests. Tensors are generated while the file is written: an 8B-wide model needs no memory for it.
 */
export function writeRandomLlama(dir: string, shape: LlamaShape = ANCHOR_SHAPE, seed = 0): string {
  const { extra, ...sizes } = shape;
  writeJsonDurable(path.join(dir, 'config.json'), { model_type: 'llama', rms_norm_eps: 1e-6, max_position_embeddings: 2048, tie_word_embeddings: false, ...sizes, ...extra });
  const normal = gaussian(mulberry32(seed));
  const tensor = (dims: number[], value: () => number): StreamedTensor => ({
    dtype: 'float32',
    dims,
    *chunks() {
      for (let left = dims.reduce((a, b) => a * b); left > 0; left -= CHUNK) yield Float32Array.from({ length: Math.min(CHUNK, left) }, value);
    },
  });
  const t = (...dims: number[]) => tensor(dims, () => 0.02 * normal());
  const ones = (n: number) => tensor([n], () => 1);
  const { hidden_size: h, intermediate_size: m, vocab_size: v, num_attention_heads: heads, num_key_value_heads: kv } = shape;
  const kvDim = (h / heads) * kv;
  const tensors: Record<string, StreamedTensor> = { 'model.embed_tokens.weight': t(v, h), 'model.norm.weight': ones(h), 'lm_head.weight': t(v, h) };
  for (let i = 0; i < shape.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    tensors[`${p}.self_attn.q_proj.weight`] = t(h, h);
    tensors[`${p}.self_attn.k_proj.weight`] = t(kvDim, h);
    tensors[`${p}.self_attn.v_proj.weight`] = t(kvDim, h);
    tensors[`${p}.self_attn.o_proj.weight`] = t(h, h);
    tensors[`${p}.mlp.gate_proj.weight`] = t(m, h);
    tensors[`${p}.mlp.up_proj.weight`] = t(m, h);
    tensors[`${p}.mlp.down_proj.weight`] = t(h, m);
    tensors[`${p}.input_layernorm.weight`] = ones(h);
    tensors[`${p}.post_attention_layernorm.weight`] = ones(h);
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}
