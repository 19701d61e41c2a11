import { describeIssues } from '@codistill/util';
import { z } from 'zod';

function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * LoRA settings with PEFT's names (r, lora_alpha, target_modules, ...), so a config reads the
 * same here, in PEFT's LoraConfig and in adapter_config.json.
 */
export const LoraConfig = z.object({
  r: z.number().int().positive().default(8).describe('LoRA rank'),
  lora_alpha: z.number().positive().default(8).describe('scaling numerator: the update is scaled by lora_alpha / r'),
  lora_dropout: z.number().min(0).lt(1).default(0).describe("dropout on the LoRA branch's input"),
  target_modules: z
    .union([z.array(z.string()).nonempty(), z.string().refine(isRegex, 'is not a valid regular expression')])
    .default(['q_proj', 'v_proj'])
    .describe("module names (a module matches when its path is the name or ends with .name), one regex matched against the whole path, or 'all-linear': every linear layer but the output head; each must be an nn.Linear, as in PEFT"),
  layers_to_transform: z
    .union([z.array(z.number().int().nonnegative()), z.number().int().nonnegative()])
    .nullable()
    .default(null)
    .describe('only these layer indices (the number after layers. in the path) of the modules target_modules names; null = all; not with a string target_modules, as in PEFT'),
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

/** Whether target_modules is PEFT's shorthand for every Linear but the output head (any case, as PEFT compares it). */
const isAllLinear = (c: LoraConfig): boolean => typeof c.target_modules === 'string' && c.target_modules.toLowerCase() === ALL_LINEAR;

/**
 * Whether LoRA applies to the module at this Hugging Face path, by PEFT's check_target_module_exists:
 * a string is one regex matched against the whole path (re.fullmatch), layers_to_transform aside
 * (PEFT's LoraConfig refuses both; see loraShapes); a list matches a path equal to one of its names
 * as is, and a path ending in `.name` only in layers_to_transform's layers (the layer is the first
 * all-digit part of the path from its third on, as PEFT reads it; an empty list is every layer).
 * 'all-linear' is every nn.Linear but the output head: `linear` says whether the module is one
 * (the LinearHook sees nothing else).
 */
export function targets(c: LoraConfig, module: string, linear = true): boolean {
  const t = c.target_modules;
  if (isAllLinear(c)) return linear && module !== 'lm_head';
  if (typeof t === 'string') return new RegExp(`^(?:${t})$`).test(module);
  if (t.includes(module)) return true;
  return t.some((name) => module.endsWith(`.${name}`)) && inLayers(c.layers_to_transform, module);
}

/** The layer index in a module's path as PEFT reads it (its layer regex `.*?\.[^.]*\.(\d+)\.`), if any. */
export function layerOf(module: string): number | undefined {
  const m = /^.*?\.[^.]*\.(\d+)\./.exec(module);
  return m ? Number(m[1]) : undefined;
}

function inLayers(wanted: LoraConfig['layers_to_transform'], module: string): boolean {
  if (wanted === null || (Array.isArray(wanted) && !wanted.length)) return true;
  const layer = layerOf(module);
  return layer !== undefined && (Array.isArray(wanted) ? wanted : [wanted]).includes(layer);
}

/** PEFT's tensor names in a saved adapter (in memory PEFT adds `.default` before `.weight`). */
export const loraNames = (module: string) => ({
  A: `base_model.model.${module}.lora_A.weight`,
  B: `base_model.model.${module}.lora_B.weight`,
});
