import path from 'node:path';
import type { Params } from '@codistill/graph';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapter, parseLoraConfig, type Adapter } from '@codistill/lora';
import type { TrainOptions } from './options.js';

/**
 * The adapter `adapter_name_or_path` names, whose LoRA settings become the run's (`o.lora`), as
 * PEFT's `PeftModel.from_pretrained(model, path, is_trainable=True)` takes the saved config. A LoRA
 * setting given other than its default that disagrees with the adapter's is refused: it could not
 * apply to weights trained with another.
 */
export function loadStartAdapter(o: TrainOptions): Adapter | undefined {
  if (!o.adapter_name_or_path) return undefined;
  const adapter = loadAdapter(o.adapter_name_or_path);
  const defaults = parseLoraConfig({});
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const clashes = (Object.keys(defaults) as (keyof typeof defaults)[])
    .filter((key) => key !== 'base_model_name_or_path' && !same(o.lora[key], defaults[key]) && !same(o.lora[key], adapter.config[key]))
    .map((key) => `lora.${key} is ${JSON.stringify(o.lora[key])} here and ${JSON.stringify(adapter.config[key])} there`);
  if (clashes.length) {
    throw new Error(`adapter_name_or_path: ${path.join(o.adapter_name_or_path, ADAPTER_CONFIG)} disagrees with the LoRA settings given (${clashes.join('; ')}); leave them out to train the adapter as it was saved`);
  }
  o.lora = adapter.config;
  return adapter;
}

/** The adapter's weights as the run's parameters: exactly the LoRA tensors the model's graph has, with its shapes. */
export function startParams(adapter: Adapter, dir: string, shapes: Record<string, number[]>): Params {
  const file = path.join(dir, ADAPTER_WEIGHTS);
  for (const [name, shape] of Object.entries(shapes)) {
    const saved = adapter.shapes[name];
    if (!saved) throw new Error(`${file}: no ${name}, which the adapter's LoRA settings put on this model (an adapter for another model?)`);
    if (saved.join() !== shape.join()) throw new Error(`${file}: ${name} is [${saved.join(', ')}], this model's is [${shape.join(', ')}] (an adapter for another model?)`);
  }
  const extra = Object.keys(adapter.weights).filter((name) => !shapes[name]);
  if (extra.length) throw new Error(`${file}: ${extra[0]}${extra.length > 1 ? ` and ${extra.length - 1} more` : ''} match no module of this model (an adapter for another model?)`);
  return { ...adapter.weights };
}
