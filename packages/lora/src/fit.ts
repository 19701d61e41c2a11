import path from 'node:path';
import { causalLmModules, parseCausalLmConfig, type Checkpoint, type ModelModule } from '@codistill/models';
import { layerOf, loraNames, targets, type LoraConfig } from './config.js';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, type Adapter } from './peft-io.js';

/** How an error names a LoRA setting: the key as is, or as a flag or a file names it. */
export type SettingName = (key: 'target_modules' | 'layers_to_transform') => string;

/** A setting's value as PEFT prints it in its errors (its LoraConfig holds a list as a set). */
function peftRepr(value: LoraConfig['target_modules'] | LoraConfig['layers_to_transform']): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return `{${value.map((v) => `'${v}'`).join(', ')}}`;
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

/**
 * The LoRA tensors these settings put on a model, by PEFT's names: A [r, in] and B [out, r] for
 * each targeted nn.Linear. Refused with PEFT's own words, where PEFT's LoraConfig or
 * get_peft_model refuses them, so no run trains (and no adapter loads) that PEFT would not build:
 * layers_to_transform with a string target_modules, a target matching nothing, a target matching a
 * module that is not an nn.Linear (PEFT adapts Embedding and Conv layers too; codistill computes
 * Linear only).
 */
export function loraShapes(config: LoraConfig, modules: ModelModule[], setting: SettingName = (key) => key): Record<string, number[]> {
  if (typeof config.target_modules === 'string' && config.layers_to_transform !== null) {
    throw new Error(`${setting('layers_to_transform')}: \`layers_to_transform\` cannot be used when \`target_modules\` is a str (${config.target_modules}), as PEFT's LoraConfig says: list module names to pick layers`);
  }
  const matched = modules.filter((m) => targets(config, m.name, m.linear !== undefined));
  const [odd, ...moreOdd] = matched.filter((m) => !m.linear);
  if (odd) {
    const more = moreOdd.length ? `, nor is ${moreOdd.length > 1 ? `${moreOdd[0].name} or ${moreOdd.length - 1} more it matches` : `${moreOdd[0].name}, which it also matches`}` : '';
    throw new Error(`${setting('target_modules')}: Target module ${odd.name} (${odd.type}) is not supported${more}. Currently, only torch.nn.Linear modules are supported: name or match those only`);
  }
  if (!matched.length) throw notFound(config, modules, setting);
  return Object.fromEntries(
    matched.flatMap((m) => {
      const [out, inF] = m.linear!;
      const names = loraNames(m.name);
      return [
        [names.A, [config.r, inF]],
        [names.B, [out, config.r]],
      ];
    }),
  );
}

/** PEFT's error for targets matching nothing, naming layers_to_transform when it alone left nothing, and what the model has. */
function notFound(config: LoraConfig, modules: ModelModule[], setting: SettingName): Error {
  const byLayers = config.layers_to_transform !== null && modules.some((m) => targets({ ...config, layers_to_transform: null }, m.name, m.linear !== undefined));
  const layers = modules.map((m) => layerOf(m.name) ?? -1);
  const linears = [...new Set(modules.filter((m) => m.linear).map((m) => m.name.split('.').pop()))];
  const has = byLayers ? `this model's layers are 0 to ${Math.max(...layers)}` : `this model's nn.Linear modules are ${linears.join(', ')}`;
  const note = config.layers_to_transform !== null ? ` Note: You specified 'layers_to_transform': ${peftRepr(config.layers_to_transform)}.` : '';
  return new Error(
    `${setting(byLayers ? 'layers_to_transform' : 'target_modules')}: Target modules ${peftRepr(config.target_modules)} not found in the base model. Please check the target modules and try again.${note} (${has})`,
  );
}

/**
 * Saved LoRA weights against the tensors a model takes (`shapes`, by PEFT name): a tensor missing,
 * one for a module the model lacks, or one of another shape is named with its file, so an adapter
 * saved for another model stops here, not as NaN weights or an ONNX Runtime error.
 */
export function checkAdapterFits(adapter: Adapter, shapes: Record<string, number[]>): void {
  const file = adapter.dir ? path.join(adapter.dir, ADAPTER_WEIGHTS) : 'adapter';
  for (const [name, shape] of Object.entries(shapes)) {
    const saved = adapter.shapes[name];
    if (!saved) throw new Error(`${file}: no ${name}, which the LoRA settings put on this model (saved for another model?)`);
    if (saved.join() !== shape.join()) throw new Error(`${file}: ${name} is [${saved.join(', ')}], this model's is [${shape.join(', ')}] (saved for another model?)`);
  }
  const extra = Object.keys(adapter.weights).filter((name) => !shapes[name]);
  if (extra.length) throw new Error(`${file}: ${extra[0]}${extra.length > 1 ? ` and ${extra.length - 1} more` : ''} match no module of this model (saved for another model?)`);
}

/** An adapter against the causal LM it is to be applied to (unmerged): its settings as PEFT checks them, then its weights' shapes. */
export function checkAdapterOnModel(adapter: Adapter, checkpoint: Checkpoint): void {
  const modules = causalLmModules(parseCausalLmConfig(checkpoint.config, path.join(checkpoint.dir, 'config.json')));
  const configFile = adapter.dir ? path.join(adapter.dir, ADAPTER_CONFIG) : ADAPTER_CONFIG;
  checkAdapterFits(adapter, loraShapes(adapter.config, modules, (key) => `${configFile}: ${key}`));
}
