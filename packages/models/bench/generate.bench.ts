// Greedy decoding speed on the 58 M-parameter Llama shape of shared/bench (torch_lora_anchor.py):
// random weights in a temporary safetensors file, 64 new tokens after a 64-token prompt, 2 threads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gaussian, hostTensor, mulberry32, type HostTensor } from '@codistill/graph';
import { Checkpoint, Generator, writeSafetensors } from '../src/index.js';

const SHAPE = { vocab_size: 32000, hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 8 };
// transformers generate on the same shape, 2 threads, this kind of machine (shared/bench/README.md).
const ANCHOR_DECODE_TOKENS_PER_S = 56;
const THREADS = Number(process.env.THREADS ?? 2);
const PROMPT = 64;
const NEW = 64;

function randomCheckpoint(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-bench-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', rms_norm_eps: 1e-6, max_position_embeddings: 2048, tie_word_embeddings: false, ...SHAPE }));
  const normal = gaussian(mulberry32(0));
  const t = (...dims: number[]): HostTensor => hostTensor('float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => 0.02 * normal()));
  const ones = (n: number) => hostTensor('float32', [n], new Float32Array(n).fill(1));
  const { hidden_size: h, intermediate_size: m, vocab_size: v } = SHAPE;
  const tensors: Record<string, HostTensor> = { 'model.embed_tokens.weight': t(v, h), 'model.norm.weight': ones(h), 'lm_head.weight': t(v, h) };
  for (let i = 0; i < SHAPE.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) tensors[`${p}.self_attn.${n}.weight`] = t(h, h);
    tensors[`${p}.mlp.gate_proj.weight`] = t(m, h);
    tensors[`${p}.mlp.up_proj.weight`] = t(m, h);
    tensors[`${p}.mlp.down_proj.weight`] = t(h, m);
    tensors[`${p}.input_layernorm.weight`] = ones(h);
    tensors[`${p}.post_attention_layernorm.weight`] = ones(h);
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

const dir = randomCheckpoint();
const generator = await Generator.create(new Checkpoint(dir), { threads: THREADS });
const random = mulberry32(1);
const prompt = hostTensor('int64', [1, PROMPT], Array.from({ length: PROMPT }, () => Math.floor(random() * SHAPE.vocab_size)));
const mask = hostTensor('int64', [1, PROMPT], new Array(PROMPT).fill(1));
await generator.generate(prompt, mask, { maxNewTokens: 4, eosTokenIds: [] }); // warm-up, as the anchor does
const r = await generator.generate(prompt, mask, { maxNewTokens: NEW, eosTokenIds: [] });
const totalS = (r.prefillMs + r.decodeMs) / 1000;
const decodeTokensPerS = NEW / totalS; // the anchor times the whole generate call
console.log(
  JSON.stringify({
    bench: 'greedy decode, 58M Llama, CPU',
    decode_tokens_per_s: decodeTokensPerS,
    decode_only_tokens_per_s: (NEW - 1) / (r.decodeMs / 1000),
    prefill_tokens_per_s: PROMPT / (r.prefillMs / 1000),
    prefill_ms: r.prefillMs,
    anchor_decode_tokens_per_s: ANCHOR_DECODE_TOKENS_PER_S,
    ratio_vs_anchor: decodeTokensPerS / ANCHOR_DECODE_TOKENS_PER_S,
    threads: THREADS,
    prompt_tokens: PROMPT,
    new_tokens: NEW,
    ...SHAPE,
  }),
);
await generator.release();
fs.rmSync(dir, { recursive: true, force: true });
