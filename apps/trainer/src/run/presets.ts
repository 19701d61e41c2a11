import { z } from 'zod';
import { parseRunConfig, runConfigSchema, type RunConfig } from './config.js';

/**
 * The paper's setting: Llama-3.1-70B-Instruct as teacher behind vLLM, Llama-3.1-8B as student in
 * float16 on one CUDA GPU, LoRA r=32/alpha=32 with dropout 0.1, lr 5e-5 with 20 warm-up steps,
 * the structural loss from CodeBERT ending near 14 % weight, the full TACO selection and benchmarks.
 * Paths of the benchmark files are where the project's docs put them; edit to taste.
 */
const paperOverrides = {
  out: 'runs/paper',
  student: 'meta-llama/Llama-3.1-8B',
  device: 'cuda',
  threads: null,
  data: { taco: ['hub:train'], extra: 3000 },
  teacher: { urls: ['http://127.0.0.1:8000/v1'], model: 'meta-llama/Llama-3.1-70B-Instruct', concurrency: 32 },
  fallbackContexts: null,
  train: {
    lora: { r: 32, lora_alpha: 32, lora_dropout: 0.1, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
    lr: 5e-5,
    warmupSteps: 20,
    steps: null,
    epochs: 1,
    batchSize: 1,
    gradAccum: 8,
    maxLength: 2048,
    codebert: 'microsoft/codebert-base',
    schedule: { kind: 'linear', start: 1, end: 0.86 },
    checkpointEvery: 200,
    valFraction: 0, // the paper trains on every selected problem
    dtype: 'float16',
    // What makes the step fit one GPU: no [tokens, vocab] logits held whole, one layer's activations at a time.
    chunkedCrossEntropy: 256,
    gradientCheckpointing: 'layer',
  },
  eval: {
    humaneval: 'data/HumanEval.jsonl.gz',
    mbpp: 'data/mbpp.jsonl',
    mbppplus: 'data/MbppPlus-v0.2.0.jsonl.gz',
    maxNewTokens: 512,
  },
};

export const PRESETS = { tiny: {}, paper: paperOverrides } as const;
export type PresetName = keyof typeof PRESETS;

export function presetConfig(name: PresetName): RunConfig {
  return parseRunConfig(PRESETS[name], `preset ${name}`);
}

/** The config as JSON with a "//name" comment key before every described field (stripComments drops them). */
export function commentedConfig(config: unknown, schema: z.ZodType = runConfigSchema): unknown {
  const shape = objectShape(schema);
  if (!shape || config === null || typeof config !== 'object' || Array.isArray(config)) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const field = shape[key];
    if (field?.description) out[`//${key}`] = field.description;
    out[key] = field ? commentedConfig(value, field) : value;
  }
  return out;
}

/** The object shape under defaults/nullables, or undefined for a leaf. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}
