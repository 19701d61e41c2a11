import { GraphBuilder, linear } from '@codistill/graph';
import { buildCausalLm, causalLmModules, Checkpoint, parseCausalLmConfig, type LinearHook } from '../src/index.js';
import { fixture } from './helpers.js';

const ckpt = new Checkpoint(fixture('tiny-llama'));
const modules = causalLmModules(parseCausalLmConfig(ckpt.config));

test("the module list is transformers' named_modules() of the model (transformers 5.18, root left out)", () => {
  // Printed by: [[n, type(m).__name__] for n, m in AutoModelForCausalLM.from_pretrained(tiny_llama).named_modules() if n]
  const layer = (i: number) => [
    [`model.layers.${i}`, 'LlamaDecoderLayer'],
    [`model.layers.${i}.self_attn`, 'LlamaAttention'],
    ...['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((p) => [`model.layers.${i}.self_attn.${p}`, 'Linear']),
    [`model.layers.${i}.mlp`, 'LlamaMLP'],
    ...['gate_proj', 'up_proj', 'down_proj'].map((p) => [`model.layers.${i}.mlp.${p}`, 'Linear']),
    [`model.layers.${i}.mlp.act_fn`, 'SiLUActivation'],
    [`model.layers.${i}.input_layernorm`, 'LlamaRMSNorm'],
    [`model.layers.${i}.post_attention_layernorm`, 'LlamaRMSNorm'],
  ];
  const transformers = [
    ['model', 'LlamaModel'],
    ['model.embed_tokens', 'Embedding'],
    ['model.layers', 'ModuleList'],
    ...layer(0),
    ...layer(1),
    ['model.norm', 'LlamaRMSNorm'],
    ['model.rotary_emb', 'LlamaRotaryEmbedding'],
    ['lm_head', 'Linear'],
  ];
  expect(modules.map((m) => [m.name, m.type])).toEqual(transformers);
});

test('its Linear modules and shapes are exactly those buildCausalLm passes its LinearHook', () => {
  const seen: [string, number[]][] = [];
  const record: LinearHook = (module, x, weight, bias) => {
    seen.push([module, weight.shape as number[]]);
    return linear(x, weight, bias);
  };
  buildCausalLm(ckpt, { linear: record, graph: new GraphBuilder() });
  expect(modules.filter((m) => m.linear).map((m) => [m.name, m.linear])).toEqual(seen);
});
