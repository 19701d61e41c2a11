import { dropout, dropoutInputs, linear, ops, type Value } from '@codistill/graph';
import { defaultLinear, type LinearHook } from '@codistill/models';
import { loraNames, scaling, targets, type LoraConfig } from './config.js';

/** One adapted module: its LoRA tensors (graph inputs) and the base layer's sizes. */
export interface LoraModule {
  module: string;
  A: Value;
  B: Value;
  inFeatures: number;
  outFeatures: number;
}

export interface LoraHookOptions {
  /**
   * Apply lora_dropout (training graphs); inference graphs leave it out. The masks hash the graph
   * input `dropout_seed` (graph's DROPOUT_SEED, fed per step) with the module's index: one mask
   * per module per step, as PEFT's per-module nn.Dropout draws. `dropout_on` (DROPOUT_ON) false
   * turns it off for a pass (validation).
   */
  training?: boolean;
  /** The layer LoRA wraps (default: the plain dense layer). */
  base?: LinearHook;
}

/**
 * A LinearHook adding LoRA to every targeted module:
 *   y = base(x) + dropout(x) @ A^T @ B^T * scaling
 * with A [r, in] and B [out, r] as float32 graph inputs under PEFT's names. Modules are recorded
 * in `modules` as the graph is built.
 */
export function loraHook(config: LoraConfig, opts: LoraHookOptions = {}): { hook: LinearHook; modules: LoraModule[] } {
  const modules: LoraModule[] = [];
  const base = opts.base ?? defaultLinear;
  const hook: LinearHook = (module, x, weight, bias) => {
    const y = base(module, x, weight, bias);
    if (!targets(config, module)) return y;
    const [outFeatures, inFeatures] = weight.shape;
    if (typeof outFeatures !== 'number' || typeof inFeatures !== 'number') {
      throw new Error(`LoRA: weight of '${module}' needs a fixed shape, has [${weight.shape}]`);
    }
    const g = x.graph;
    const names = loraNames(module);
    const A = g.input(names.A, 'float32', [config.r, inFeatures]);
    const B = g.input(names.B, 'float32', [outFeatures, config.r]);
    let xin = ops.cast(x, 'float32');
    if (opts.training && config.lora_dropout > 0) {
      const stream = modules.length;
      xin = g.scope(`${module}.lora_dropout`, () => dropout(xin, config.lora_dropout, dropoutInputs(xin), stream));
    }
    const delta = linear(linear(xin, A), B, undefined, scaling(config));
    modules.push({ module, A, B, inFeatures, outFeatures });
    return ops.add(y, ops.cast(delta, y.dtype));
  };
  return { hook, modules };
}
