import { describeIssues } from '@codistill/util';
import { z } from 'zod';

/**
 * LoRA settings with PEFT's names (r, lora_alpha, target_modules, ...), so a config reads the
 * same here, in PEFT's LoraConfig and in adapter_config.json.
 */
export const LoraConfig = z.object({
  r: z.number().int().positive().default(8).describe('LoRA rank'),
  lora_alpha: z.number().positive().default(8).describe('scaling numerator: the update is scaled by lora_alpha / r'),
  lora_dropout: z.number().min(0).lt(1).default(0).describe("dropout on the LoRA branch's input"),
  target_modules: z
    .union([z.array(z.string()).nonempty(), z.string()])
    .default(['q_proj', 'v_proj'])
    .describe("module names (a module matches when its path ends with .name), one regex matched against the whole path, or 'all-linear': every linear layer but the output head"),
  layers_to_transform: z
    .union([z.array(z.number().int().nonnegative()), z.number().int().nonnegative()])
    .nullable()
    .default(null)
    .describe('only these layer indices (the number after layers. in the path); null = all'),
  use_rslora: z.boolean().default(false).describe('scale by lora_alpha / sqrt(r) instead of lora_alpha / r (Kalajdzievski, 2023)'),
  init_lora_weights: z
    .union([z.boolean(), z.literal('gaussian')])
    .default(true)
    .describe("true: A Kaiming-uniform, B zero (PEFT's default); 'gaussian': A ~ N(0, 1/r), B zero; false: both random"),
  base_model_name_or_path: z.string().nullable().default(null).describe('the model the adapter was trained on (written to adapter_config.json)'),
  task_type: z.string().nullable().default('CAUSAL_LM'),
});

export type LoraConfig = z.output<typeof LoraConfig>;
export type LoraConfigInput = z.input<typeof LoraConfig>;

export function parseLoraConfig(raw: unknown, source = 'LoRA config'): LoraConfig {
  const r = LoraConfig.safeParse(raw);
  if (!r.success) throw new Error(`${source}: ${describeIssues(r.error.issues)}`);
  return r.data;
}

export const scaling = (c: LoraConfig): number => c.lora_alpha / (c.use_rslora ? Math.sqrt(c.r) : c.r);

const ALL_LINEAR = 'all-linear';

/** Whether LoRA applies to the module at this Hugging Face path (PEFT's matching rules). */
export function targets(c: LoraConfig, module: string): boolean {
  const matched =
    c.target_modules === ALL_LINEAR
      ? module !== 'lm_head'
      : typeof c.target_modules === 'string'
        ? new RegExp(`^(?:${c.target_modules})$`).test(module)
        : c.target_modules.some((t) => module === t || module.endsWith(`.${t}`));
  if (!matched || c.layers_to_transform === null) return matched;
  const layer = /\.layers\.(\d+)\./.exec(module);
  const wanted = Array.isArray(c.layers_to_transform) ? c.layers_to_transform : [c.layers_to_transform];
  return layer !== null && wanted.includes(Number(layer[1]));
}

/** PEFT's tensor names in a saved adapter (in memory PEFT adds `.default` before `.weight`). */
export const loraNames = (module: string) => ({
  A: `base_model.model.${module}.lora_A.weight`,
  B: `base_model.model.${module}.lora_B.weight`,
});
