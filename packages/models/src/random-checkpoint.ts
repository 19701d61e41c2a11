import path from 'node:path';
import { writeJsonDurable } from '@codistill/util';
import { gaussian, hostTensor, mulberry32, type HostTensor } from '@codistill/graph';
import { writeSafetensors } from './safetensors.js';

export interface LlamaShape {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
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

/** Write a Llama checkpoint with random weights (std 0.02) into `dir`, for benchmarks and tests. */
export function writeRandomLlama(dir: string, shape: LlamaShape = ANCHOR_SHAPE, seed = 0): string {
  const config = { model_type: 'llama', rms_norm_eps: 1e-6, max_position_embeddings: 2048, tie_word_embeddings: false, ...shape };
  writeJsonDurable(path.join(dir, 'config.json'), config);
  const normal = gaussian(mulberry32(seed));
  const t = (...dims: number[]): HostTensor => hostTensor('float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => 0.02 * normal()));
  const ones = (n: number) => hostTensor('float32', [n], new Float32Array(n).fill(1));
  const { hidden_size: h, intermediate_size: m, vocab_size: v, num_attention_heads: heads, num_key_value_heads: kv } = shape;
  const kvDim = (h / heads) * kv;
  const tensors: Record<string, HostTensor> = { 'model.embed_tokens.weight': t(v, h), 'model.norm.weight': ones(h), 'lm_head.weight': t(v, h) };
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
