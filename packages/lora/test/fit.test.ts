import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { causalLmModules, Checkpoint, parseCausalLmConfig } from '@codistill/models';
import { ADAPTER_CONFIG, loadAdapter, loadGeneratorWithAdapter, loadModelWithAdapter, loraShapes, mergeAdapter, parseLoraConfig, unmergeAdapter, type LoraConfigInput } from '../src/index.js';
import { fixture, foreignAdapters, tinyLlama } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-lora-fit-'));
const modules = causalLmModules(parseCausalLmConfig(new Checkpoint(tinyLlama()).config));
const shapes = (settings: LoraConfigInput) => loraShapes(parseLoraConfig({ r: 4, ...settings }), modules);
const foreign = foreignAdapters(tmp());
const narrowError = /narrow\/adapter_model\.safetensors: base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight is \[4, 32\], this model's is \[4, 64\] \(saved for another model\?\)/;
const deeperError = /deeper\/adapter_model\.safetensors: base_model\.model\.model\.layers\.2\.self_attn\.q_proj\.lora_A\.weight and 3 more match no module of this model \(saved for another model\?\)/;

test('loraShapes: A [r, in] and B [out, r] of each targeted nn.Linear, under PEFT names', () => {
  expect(shapes({ target_modules: ['k_proj'], layers_to_transform: [1] })).toEqual({
    'base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight': [4, 64],
    'base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight': [32, 4],
  });
  // 'all-linear' (any case, as PEFT compares it) is every Linear but the head, never act_fn or a norm.
  expect(Object.keys(shapes({ target_modules: 'ALL-LINEAR' }))).toHaveLength(2 * 7 * 2);
  // A regex matching only Linear modules is fine; PEFT loads what it saves.
  expect(Object.keys(shapes({ target_modules: '.*\\.mlp\\..*_proj' }))).toHaveLength(2 * 3 * 2);
});

test("settings PEFT refuses are refused with PEFT's words, naming the setting", () => {
  expect(() => shapes({ target_modules: ['nonexist'] })).toThrow(
    "target_modules: Target modules {'nonexist'} not found in the base model. Please check the target modules and try again. (this model's nn.Linear modules are q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head)",
  );
  expect(() => shapes({ target_modules: ['q_proj', 'v_proj'], layers_to_transform: 5 })).toThrow(
    "layers_to_transform: Target modules {'q_proj', 'v_proj'} not found in the base model. Please check the target modules and try again. Note: You specified 'layers_to_transform': 5. (this model's layers are 0 to 1)",
  );
  // PEFT: "Target module SiLUActivation() is not supported" (its error on loading such an adapter).
  expect(() => shapes({ target_modules: '.*\\.mlp\\..*' })).toThrow(
    'target_modules: Target module model.layers.0.mlp.act_fn (SiLUActivation) is not supported, nor is model.layers.1.mlp.act_fn, which it also matches. Currently, only torch.nn.Linear modules are supported',
  );
  expect(() => shapes({ target_modules: ['mlp'] })).toThrow('Target module model.layers.0.mlp (LlamaMLP) is not supported');
  expect(() => shapes({ target_modules: ['embed_tokens'] })).toThrow('Target module model.embed_tokens (Embedding) is not supported');
  // PEFT's LoraConfig: "`layers_to_transform` cannot be used when `target_modules` is a str."
  expect(() => shapes({ target_modules: '.*_proj', layers_to_transform: 0 })).toThrow('layers_to_transform: `layers_to_transform` cannot be used when `target_modules` is a str (.*_proj)');
  expect(() => loraShapes(parseLoraConfig({ target_modules: ['nonexist'] }), modules, (key) => `lora.${key} (--lora_${key})`)).toThrow(/^lora\.target_modules \(--lora_target_modules\): Target modules/);
  expect(() => parseLoraConfig({ target_modules: '.*(' })).toThrow('target_modules: is not a valid regular expression');
});

test('adapter configs with settings that change which modules PEFT adapts are refused', () => {
  const dir = tmp();
  for (const file of fs.readdirSync(fixture('peft-adapter'))) fs.copyFileSync(fixture('peft-adapter', file), path.join(dir, file));
  const config = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG), 'utf8'));
  fs.writeFileSync(path.join(dir, ADAPTER_CONFIG), JSON.stringify({ ...config, exclude_modules: ['model.layers.0.self_attn.q_proj'] }));
  expect(() => loadAdapter(dir)).toThrow(/unsupported PEFT setting\(s\) exclude_modules=\["model.layers.0.self_attn.q_proj"\]/);
});

test('an adapter saved for another model is refused at load, before a graph is built (generate, serve)', async () => {
  await expect(loadModelWithAdapter(tinyLlama(), { adapter: foreign.narrow })).rejects.toThrow(narrowError);
  await expect(loadGeneratorWithAdapter(tinyLlama(), { adapter: foreign.deeper })).rejects.toThrow(deeperError);
});

test('merge refuses an adapter saved for another model before writing anything', () => {
  const root = tmp();
  const out = path.join(root, 'merged');
  expect(() => mergeAdapter(tinyLlama(), loadAdapter(foreign.narrow), out)).toThrow(narrowError);
  expect(() => unmergeAdapter(tinyLlama(), loadAdapter(foreign.deeper), out)).toThrow(deeperError);
  expect(fs.readdirSync(root)).toEqual([]); // no output folder, no temporary one
});

test('merge writes its folder whole: into a new or empty folder, never over files', () => {
  const root = tmp();
  const peft = loadAdapter(fixture('peft-adapter'));
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  mergeAdapter(tinyLlama(), peft, empty);
  expect(fs.readdirSync(empty).sort()).toEqual(fs.readdirSync(tinyLlama()).sort());
  expect(() => mergeAdapter(tinyLlama(), peft, empty)).toThrow(`cannot write ${empty}: it exists and is not an empty folder`);
  expect(fs.readdirSync(root)).toEqual(['empty']);
});
