import type { CausalLmConfig } from './config.js';

/** One module of the transformers model, as its `named_modules()` lists it. */
export interface ModelModule {
  /** Its path, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  /** transformers' class name: `Linear`, `Embedding`, `LlamaRMSNorm`, `SiLUActivation`, ... */
  type: string;
  /** An nn.Linear's weight shape, [out, in]. */
  linear?: [number, number];
}

const CLASS_PREFIX: Record<CausalLmConfig['modelType'], string> = { llama: 'Llama', qwen2: 'Qwen2', mistral: 'Mistral' };

/**
 * The modules transformers (5.x) builds for a Llama-family causal LM, in `named_modules()` order
 * without the root: what PEFT matches `target_modules` against, so codistill can refuse a target
 * PEFT would refuse (one matching nothing, or a module that is not an nn.Linear) before it trains
 * or loads anything. The Linear shapes are those buildCausalLm passes its LinearHook (tested).
 */
export function causalLmModules(cfg: CausalLmConfig): ModelModule[] {
  const cls = CLASS_PREFIX[cfg.modelType];
  const [h, kvH, d, hidden, inter] = [cfg.numHeads, cfg.numKvHeads, cfg.headDim, cfg.hiddenSize, cfg.intermediateSize];
  const linear = (name: string, out: number, inF: number): ModelModule => ({ name, type: 'Linear', linear: [out, inF] });
  const modules: ModelModule[] = [
    { name: 'model', type: `${cls}Model` },
    { name: 'model.embed_tokens', type: 'Embedding' },
    { name: 'model.layers', type: 'ModuleList' },
  ];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    modules.push(
      { name: p, type: `${cls}DecoderLayer` },
      { name: `${p}.self_attn`, type: `${cls}Attention` },
      linear(`${p}.self_attn.q_proj`, h * d, hidden),
      linear(`${p}.self_attn.k_proj`, kvH * d, hidden),
      linear(`${p}.self_attn.v_proj`, kvH * d, hidden),
      linear(`${p}.self_attn.o_proj`, hidden, h * d),
      { name: `${p}.mlp`, type: `${cls}MLP` },
      linear(`${p}.mlp.gate_proj`, inter, hidden),
      linear(`${p}.mlp.up_proj`, inter, hidden),
      linear(`${p}.mlp.down_proj`, hidden, inter),
      { name: `${p}.mlp.act_fn`, type: 'SiLUActivation' },
      { name: `${p}.input_layernorm`, type: `${cls}RMSNorm` },
      { name: `${p}.post_attention_layernorm`, type: `${cls}RMSNorm` },
    );
  }
  modules.push({ name: 'model.norm', type: `${cls}RMSNorm` }, { name: 'model.rotary_emb', type: `${cls}RotaryEmbedding` }, linear('lm_head', cfg.vocabSize, hidden));
  return modules;
}
