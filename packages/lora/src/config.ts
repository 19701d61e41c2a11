import { z } from 'zod';

/**
 * LoRA settings with PEFT's names (r, lora_alpha, target_modules, ...), so a config reads the
 * same here, in PEFT's LoraConfig and in adapter_config.json.
 */
export const LoraConfig = z.object({
  r: z.number().int().positive().default(8),
  lora_alpha: z.number().positive().default(8),
  lora_dropout: z.number().min(0).lt(1).default(0),
  /**
   * Module names (a module matches when its path ends with `.name`), one regex matched against the
   * whole path, or PEFT's 'all-linear': every linear layer but the output head.
   */
  target_modules: z.union([z.array(z.string()).nonempty(), z.string()]).default(['q_proj', 'v_proj']),
  /** Only these layer indices (the number after `layers.` in the path). */
  layers_to_transform: z.union([z.array(z.number().int().nonnegative()), z.number().int().nonnegative()]).nullable().default(null),
  /** Scale by lora_alpha / sqrt(r) instead of lora_alpha / r (Kalajdzievski, 2023). */
  use_rslora: z.boolean().default(false),
  /** true: A Kaiming-uniform, B zero (PEFT's default); 'gaussian': A ~ N(0, 1/r), B zero; false: both random. */
  init_lora_weights: z.union([z.boolean(), z.literal('gaussian')]).default(true),
  base_model_name_or_path: z.string().nullable().default(null),
  task_type: z.string().nullable().default('CAUSAL_LM'),
});

export type LoraConfig = z.output<typeof LoraConfig>;
export type LoraConfigInput = z.input<typeof LoraConfig>;

export function parseLoraConfig(raw: unknown, source = 'LoRA config'): LoraConfig {
  const r = LoraConfig.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: ${issues}`);
  }
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
