import { z } from 'zod';

/** `codistill run` configuration; every field has a default, so `{}` is the built-in tiny run. */
export const runConfigSchema = z.strictObject({
  out: z.string().min(1).default('runs/tiny'),
  student: z.string().min(1).default('packages/models/test/fixtures/tiny-llama'),
  codebert: z.string().min(1).nullable().default('packages/models/test/fixtures/tiny-roberta'),
  taco: z.array(z.string().min(1)).min(1).default(['packages/data/samples/taco-sample.jsonl']),
  /** Teacher endpoint; null = serve the student itself for the run (its contexts fail validation). */
  teacher: z.strictObject({ url: z.url(), model: z.string().min(1) }).nullable().default(null),
  /** Contexts used when the teacher produced none that passed validation. */
  fallbackContexts: z.string().min(1).nullable().default('apps/trainer/samples/contexts-sample.jsonl'),
  train: z.strictObject({ steps: z.int().positive().default(4), batchSize: z.int().positive().default(2), maxLength: z.int().positive().default(128), seed: z.int().default(0) }).prefault({}),
  eval: z.strictObject({ tasksPerBenchmark: z.int().positive().default(3), maxNewTokens: z.int().positive().default(24) }).prefault({}),
  threads: z.int().positive().default(2),
});

export type RunConfig = z.output<typeof runConfigSchema>;

/** Validates a parsed config file; the error names every bad field with its path. */
export function parseRunConfig(input: unknown, file = 'run config'): RunConfig {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[...i.path, ...('keys' in i ? [i.keys.join(',')] : [])].join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${file}: ${problems.join('; ')}`);
}

/** Strips "//" comment keys at any depth, so the commented example from `codistill init` loads as is. */
export function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//').map(([k, v]) => [k, stripComments(v)]));
}

/** The defaults with a "//" comment per field: what `codistill init` writes. */
export function exampleConfig(): Record<string, unknown> {
  const d = runConfigSchema.parse({});
  return {
    '//': 'codistill run --config run.json; every field is optional (these are the defaults: a tiny run)',
    out: d.out,
    student: d.student,
    codebert: d.codebert,
    taco: d.taco,
    teacher: d.teacher,
    fallbackContexts: d.fallbackContexts,
    train: { '//': 'optimizer steps, examples per step, tokens per example, seed', ...d.train },
    eval: { '//': 'tasks taken from each benchmark subset; tokens generated per task', ...d.eval },
    threads: d.threads,
  };
}
