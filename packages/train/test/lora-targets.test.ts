import fs from 'node:fs';
import path from 'node:path';
import { loadAdapter } from '@codistill/lora';
import { train, type TrainOptionsInput } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const model = modelsFixture('tiny-llama');
const run = (lora: TrainOptionsInput['lora'], output_dir: string) => train({ model_name_or_path: model, train_file: writeData(tmp(), 2), output_dir, per_device_train_batch_size: 2, max_steps: 1, threads: 1, lora });

test("LoRA targets PEFT's get_peft_model refuses are named with their setting and flag before the output folder is made", async () => {
  const out = path.join(tmp(), 'out');
  await expect(run({ target_modules: ['nonexist'] }, out)).rejects.toThrow(
    "lora.target_modules (--lora_target_modules): Target modules {'nonexist'} not found in the base model. Please check the target modules and try again.",
  );
  await expect(run({ layers_to_transform: 5 }, out)).rejects.toThrow(
    "lora.layers_to_transform (--lora_layers_to_transform): Target modules {'q_proj', 'v_proj'} not found in the base model. Please check the target modules and try again. Note: You specified 'layers_to_transform': 5. (this model's layers are 0 to 1)",
  );
  // A regex reaching the non-Linear act_fn: PEFT would refuse to load the adapter ("Target module SiLUActivation() is not supported").
  await expect(run({ target_modules: '.*\\.mlp\\..*' }, out)).rejects.toThrow('lora.target_modules (--lora_target_modules): Target module model.layers.0.mlp.act_fn (SiLUActivation) is not supported');
  expect(fs.existsSync(out)).toBe(false);
});

test('a regex matching only Linear modules trains on exactly those, and the adapter records it', async () => {
  const out = tmp();
  await run({ target_modules: '.*\\.mlp\\.(up|down)_proj' }, out);
  const saved = loadAdapter(out);
  expect(saved.config.target_modules).toBe('.*\\.mlp\\.(up|down)_proj');
  expect(Object.keys(saved.weights).map((n) => n.replace(/^base_model\.model\.model\.layers\.(\d)\.mlp\.(\w+)\.lora_(A|B)\.weight$/, '$1 $2 $3')).sort()).toEqual(
    ['0 down_proj A', '0 down_proj B', '0 up_proj A', '0 up_proj B', '1 down_proj A', '1 down_proj B', '1 up_proj A', '1 up_proj B'],
  );
});

test("a start adapter whose targets this model does not have is refused in PEFT's words", async () => {
  const adapter = tmp();
  await run({ target_modules: ['up_proj'] }, adapter);
  const config = path.join(adapter, 'adapter_config.json');
  fs.writeFileSync(config, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), target_modules: ['c_attn'] }));
  await expect(train({ model_name_or_path: model, train_file: writeData(tmp(), 2), output_dir: tmp(), per_device_train_batch_size: 2, max_steps: 1, threads: 1, adapter_name_or_path: adapter })).rejects.toThrow(
    "Target modules {'c_attn'} not found in the base model",
  );
});
