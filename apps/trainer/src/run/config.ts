import { DEFAULT_MAX_UNAVAILABLE_MS } from '@codistill/context';
import { EXECUTION_PROVIDERS } from '@codistill/graph';
import { LoraConfig } from '@codistill/lora';
import { ScheduleConfig } from '@codistill/losses';
import { TrainOptions } from '@codistill/train';
import { z } from 'zod';

/** A TrainOptions field with the tiny run's default instead of the library's. */
const withDefault = <T extends z.ZodType>(field: z.ZodDefault<T>, value: z.util.NoUndefined<z.output<T>>) => (field.unwrap() as T).default(value);

const t = TrainOptions.shape;
// PEFT's defaults but alpha 16 (scaling 2): the tiny run's 24 steps show learning (see lr below).
const lora = z.strictObject({ ...LoraConfig.shape, r: withDefault(LoraConfig.shape.r, 8), lora_alpha: withDefault(LoraConfig.shape.lora_alpha, 16) });

/** The training stage: every TrainOptions field except what the run decides (model, data, out, resume, device, threads). */
const trainSection = z.strictObject({
  lora: lora.prefault({}),
  optimizer: t.optimizer,
  // The tiny run learns visibly in its 24 steps: lr 1e-2 takes the token loss from ~8.6 to ~7.4 and
  // the held-out loss from ~8.2 to ~6.4 (at 1e-3 it was flat noise).
  lr: withDefault(t.lr, 1e-2),
  weightDecay: t.weightDecay,
  betas: t.betas,
  warmupSteps: withDefault(t.warmupSteps, 1),
  decay: t.decay,
  steps: t.steps.unwrap().nullable().default(24).describe('optimizer steps; null = what epochs implies'),
  epochs: t.epochs,
  batchSize: withDefault(t.batchSize, 2),
  gradAccum: t.gradAccum,
  maxGradNorm: t.maxGradNorm,
  maxLength: withDefault(t.maxLength, 2048),
  seed: t.seed,
  codebert: z.string().min(1).nullable().default('packages/models/test/fixtures/tiny-roberta').describe('CodeBERT folder or Hub id for the structural loss; null = token loss only'),
  schedule: z.strictObject(ScheduleConfig.shape).prefault({}),
  valFraction: withDefault(t.valFraction, 0.25),
  valEvery: withDefault(t.valEvery, 4),
  checkpointEvery: withDefault(t.checkpointEvery, 4),
  keepCheckpoints: t.keepCheckpoints,
  memoryArena: t.memoryArena,
  chunkedCrossEntropy: t.chunkedCrossEntropy,
  gradientCheckpointing: t.gradientCheckpointing,
  dtype: t.dtype,
});

/** `codistill run` configuration; every field has a default, so `{}` is the built-in tiny run. */
export const runConfigSchema = z.strictObject({
  out: z.string().min(1).default('runs/tiny').describe('run folder: every stage writes below it'),
  student: z.string().min(1).default('packages/models/test/fixtures/tiny-llama').describe('student checkpoint folder or Hub id'),
  allowCpuFallback: z.boolean().default(false).describe('on cuda/webgpu, run nodes the provider has no kernel for on the CPU instead of refusing'),
  device: z.enum(EXECUTION_PROVIDERS).default('cpu').describe('execution provider for training, generation and scoring'),
  threads: z.int().positive().nullable().default(2).describe('ONNX Runtime intra-op threads; null = all cores'),
  progress: z.boolean().default(true).describe('progress bars (else one log line per stage event)'),
  data: z
    .strictObject({
      taco: z.array(z.string().min(1)).min(1).default(['packages/data/samples/taco-sample.jsonl']).describe('TACO rows: .jsonl/.json/.parquet files, or hub:train'),
      maxTokens: z.int().positive().default(2000).describe('student-token budget for question + solution + tests'),
      extra: z.int().min(0).default(0).describe('problems repeated with another random solution (paper: 3000)'),
      seed: z.int().default(0),
      maxTests: z.int().positive().default(3).describe('test cases per example'),
      cacheDir: z.string().min(1).nullable().default(null).describe('where hub: downloads go (null = ~/.cache/codistill/taco)'),
    })
    .prefault({}),
  teacher: z
    .strictObject({
      urls: z.array(z.url()).min(1).nullable().default(null).describe('OpenAI-compatible base URLs; null = serve the student with `codistill serve` for the run'),
      model: z.string().min(1).nullable().default(null).describe('model name on the server (null with urls = null: the served student)'),
      apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
      concurrency: z.int().positive().default(4).describe('requests in flight per endpoint'),
      maxProblems: z.int().positive().nullable().default(null).describe('only the first N selected pairs'),
      stream: z.boolean().default(false),
      timeout: z.number().positive().default(120).describe('seconds per request'),
      retries: z.int().min(0).default(6).describe('transport retries per problem'),
      temperature: z.number().min(0).max(2).default(0.2),
      retryFailed: z.boolean().default(false).describe('also ask again for problems whose answer was rejected (unanswered ones are always asked again)'),
      maxUnavailable: z
        .number()
        .positive()
        .max(86_400)
        .default(DEFAULT_MAX_UNAVAILABLE_MS / 1000)
        .describe('seconds without any answer from the teacher (after requests started failing) before the stage stops with an error'),
      serveMaxTokens: z.int().positive().default(48).describe('max_tokens cap of the student served when urls is null'),
    })
    .prefault({}),
  fallbackContexts: z
    .string()
    .min(1)
    .nullable()
    .default('apps/trainer/samples/contexts-sample.jsonl')
    .describe('contexts used when the teacher wrote none that passed validation (labelled as such in the report); null = fail instead'),
  train: trainSection.prefault({}),
  eval: z
    .strictObject({
      humaneval: z.string().min(1).nullable().default('packages/harness/samples/humaneval-sample.jsonl'),
      humanevalplus: z.string().min(1).nullable().default(null),
      mbpp: z.string().min(1).nullable().default('packages/harness/samples/mbpp-sample.jsonl'),
      mbppplus: z.string().min(1).nullable().default('packages/harness/samples/mbppplus-sample.jsonl'),
      limit: z.int().positive().nullable().default(null).describe('tasks per benchmark (null = all in the file)'),
      maxNewTokens: z.int().positive().default(48),
      promptStyle: z.enum(['completion', 'chat']).default('completion').describe("completion: the model continues the prompt; chat: the tokenizer's chat template"),
      workers: z.int().positive().nullable().default(null).describe('parallel sandboxes (null = one per core)'),
      timeout: z.number().positive().max(86_400).nullable().default(null).describe('sandbox seconds (null = the harness defaults)'),
      sandbox: z.enum(['auto', 'bwrap', 'process']).default('auto').describe('auto: bubblewrap when it works here, else the weaker process sandbox with a warning'),
      requireSandbox: z.boolean().default(false).describe('refuse to run generated code without bubblewrap'),
      python: z.string().min(1).nullable().default(null).describe('the Python that runs the tests (null = python3)'),
    })
    .prefault({}),
});

export type RunConfig = z.output<typeof runConfigSchema>;

/** Validates a parsed config file; the error names every bad field with its path. */
export function parseRunConfig(input: unknown, file = 'run config'): RunConfig {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[...i.path, ...('keys' in i ? [i.keys.join(',')] : [])].join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${file}: ${problems.join('; ')}`);
}

/** Strips "//" comment keys (and "//name" ones) at any depth, so the commented config from `codistill init` loads as is. */
export function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('//')).map(([k, v]) => [k, stripComments(v)]));
}
