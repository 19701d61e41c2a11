import { deviceConflict, renamedSetting, TrainOptions } from '@codistill/train';
import { z } from 'zod';
import { modelAt } from '../commands/model-flags.js';
import { DataSettings, EvalSettings, TeacherSettings, withDefault } from '../settings.js';

const t = TrainOptions.shape;
const lora = t.lora.unwrap();
const e = EvalSettings.shape;

/**
 * A Hub model's revision in the run config: null = main, and then not part of the stages' inputs,
 * so runs made before the field existed keep their fingerprints.
 */
const hubRevision = (model: string, kept: string) =>
  z.string().min(1).nullable().default(null).describe(`branch, tag or commit of a Hub ${model} (null = main); ${kept}`);
const PINNED = 'the run keeps the commit it first loads in models.json, so a rerun uses the same weights';

/**
 * The training stage: every TrainOptions setting but what the run decides (model and its revision, data, output,
 * resume, device, threads, cache). Its defaults are the library's (transformers' and PEFT's)
 * except where the tiny run needs its own to show learning in 24 steps on 22 examples: lr 1e-2
 * takes the token loss from ~8.6 to ~7.5 and the held-out token loss from ~8.6 to ~7.7 (at 1e-3 it
 * was flat noise); LoRA alpha 16 (scaling 2); seed 0 (the figures in the README).
 */
const trainSection = TrainOptions.omit({ model_name_or_path: true, model_revision: true, train_file: true, output_dir: true, resume_from_checkpoint: true, device: true, threads: true, allow_cpu_fallback: true, cache_dir: true }).extend({
  lora: z.strictObject({ ...lora.shape, r: withDefault(lora.shape.r, 8), lora_alpha: withDefault(lora.shape.lora_alpha, 16) }).prefault({}),
  learning_rate: withDefault(t.learning_rate, 1e-2),
  max_steps: withDefault(t.max_steps, 24),
  per_device_train_batch_size: withDefault(t.per_device_train_batch_size, 2),
  seed: withDefault(t.seed, 0),
  codebert: withDefault(t.codebert, 'packages/models/test/fixtures/tiny-roberta'),
  codebert_revision: hubRevision('codebert', PINNED),
  adapter_revision: hubRevision('adapter_name_or_path', 'read when the run starts; once a checkpoint is saved the run goes on from it'),
  val_fraction: withDefault(t.val_fraction, 0.25),
  eval_steps: withDefault(t.eval_steps, 4),
  save_steps: withDefault(t.save_steps, 4),
  save_total_limit: withDefault(t.save_total_limit, 2),
});

/** `codistill run` configuration; every field has a default, so `{}` is the built-in tiny run. */
export const runConfigSchema = z.strictObject({
  out: z.string().min(1).default('runs/tiny').describe('run folder: every stage writes below it'),
  student: z.string().min(1).default('packages/models/test/fixtures/tiny-llama').describe('student checkpoint folder or Hub id'),
  student_revision: hubRevision('student', PINNED),
  device: t.device.describe('execution provider for training, generation and scoring'),
  allow_cpu_fallback: t.allow_cpu_fallback,
  threads: withDefault(t.threads, 2),
  progress: z.boolean().default(true).describe('progress bars (else one log line per stage event)'),
  data: DataSettings.extend({
    taco: z.array(z.string().min(1)).min(1).default(['packages/data/samples/taco-sample.jsonl']).describe('TACO rows: .jsonl/.json/.parquet files, or hub:train'),
    // The tiny run: the 29 pairs of the shipped sample, none repeated.
    extra: withDefault(DataSettings.shape.extra, 0),
  }).prefault({}),
  teacher: TeacherSettings.extend({
    urls: z.array(z.url()).min(1).nullable().default(null).describe('OpenAI-compatible base URLs; null = serve the student with `codistill serve` for the run'),
    model: z.string().min(1).nullable().default(null).describe('model name on the server (null with urls = null: the served student)'),
    serve_max_tokens: z.int().positive().default(48).describe('max_tokens cap of the student served when urls is null'),
  }).prefault({}),
  fallback_contexts: z
    .string()
    .min(1)
    .nullable()
    .default('apps/trainer/samples/contexts-sample.jsonl')
    .describe('contexts used when the teacher wrote none that passed validation (labelled as such in the report); null = fail instead'),
  train: trainSection.prefault({}),
  // The tiny run: the six-task samples shipped in packages/harness, 48 new tokens (the tiny model's context is 128).
  eval: EvalSettings.extend({
    humaneval: withDefault(e.humaneval, 'packages/harness/samples/humaneval-sample.jsonl'),
    mbpp: withDefault(e.mbpp, 'packages/harness/samples/mbpp-sample.jsonl'),
    mbppplus: withDefault(e.mbppplus, 'packages/harness/samples/mbppplus-sample.jsonl'),
    max_new_tokens: withDefault(e.max_new_tokens, 48),
  }).prefault({}),
});

export type RunConfig = z.output<typeof runConfigSchema>;

/** The student as the stages' inputs name it: a revision given is part of it (`org/name@v1`); without one the inputs are as before the field existed. */
export const studentInput = (c: RunConfig): string => modelAt(c.student, c.student_revision);

/** Training settings the device cannot run, refused when the config is read rather than when the train stage starts, hours later. */
function checkDevice(c: RunConfig, file: string): RunConfig {
  const conflict = deviceConflict({ ...c.train, device: c.device }, (setting) => `train.${setting}`);
  if (conflict) throw new Error(`${file}: ${conflict} (device: ${c.device})`);
  return c;
}

/** Validates a parsed config file; the error names every bad field with its path. */
export function parseRunConfig(input: unknown, file = 'run config'): RunConfig {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (parsed.success) return checkDevice(parsed.data, file);
  const problems = parsed.error.issues.map((i) => {
    const at = [...i.path, ...('keys' in i ? [i.keys.join(',')] : [])].join('.') || '(root)';
    // A train setting under its previous name (an older run.json) is told the new one.
    const renamed = i.code === 'unrecognized_keys' && i.path.join('.') === 'train' ? i.keys.flatMap((k) => renamedSetting(k) ?? []) : [];
    return `${at}: ${i.message}${renamed.length ? ` (renamed: ${renamed.join(', ')})` : ''}`;
  });
  throw new Error(`${file}: ${problems.join('; ')}`);
}

/** Strips "//" comment keys (and "//name" ones) at any depth, so the commented config from `codistill init` loads as is. */
export function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('//')).map(([k, v]) => [k, stripComments(v)]));
}
