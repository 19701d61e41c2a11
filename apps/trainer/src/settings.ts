import { DEFAULT_MAX_UNAVAILABLE_MS } from '@codistill/context';
import { BENCHMARK_FILES, type BenchmarkName } from '@codistill/harness';
import { z } from 'zod';

/**
 * The settings of the stages that are also commands, each defined once (name, type, range,
 * default, help): `codistill data taco`, `contexts` and `eval` take them as flags, the run config
 * as its `data`, `teacher` and `eval` sections (with the tiny run's defaults where it needs its
 * own). Training's settings are @codistill/train's TrainOptions. Names are snake_case, as the
 * Hugging Face settings they sit beside.
 */

/** The paper's TACO selection. */
export const DataSettings = z.strictObject({
  max_tokens: z.int().positive().default(2000).describe('student-token budget for question + solution + tests'),
  extra: z.int().min(0).default(3000).describe('problems repeated with another random solution (the paper: 3000)'),
  seed: z.int().min(0).max(2 ** 32 - 1).default(0).describe('seed for the random choices'),
  max_tests: z.int().positive().default(3).describe('test cases per example'),
  cache_dir: z.string().min(1).nullable().default(null).describe('Hugging Face Hub cache root for hub: downloads (null = HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)'),
});

/** How the teacher is asked. */
export const TeacherSettings = z.strictObject({
  api_key_env: z.string().min(1).default('OPENAI_API_KEY').describe('environment variable holding the API key'),
  concurrency: z.int().positive().max(1024).default(4).describe('requests in flight per endpoint'),
  max_problems: z.int().positive().nullable().default(null).describe('only the first N examples; null = all'),
  stream: z.boolean().default(false).describe('stream responses (SSE)'),
  timeout: z.number().positive().max(86_400).default(120).describe('seconds per request'),
  retries: z.int().min(0).max(100).default(6).describe('transport retries per problem'),
  temperature: z.number().min(0).max(2).default(0.2).describe('sampling temperature'),
  retry_failed: z.boolean().default(false).describe('also ask again for problems whose answer an earlier run rejected (leak, invalid); unanswered ones are always asked again'),
  max_unavailable: z
    .number()
    .positive()
    .max(86_400)
    .default(DEFAULT_MAX_UNAVAILABLE_MS / 1000)
    .describe('seconds without any answer from the teacher (after requests started failing) before it stops with an error'),
});

const benchmarkFile = (name: BenchmarkName) => z.string().min(1).nullable().default(null).describe(`${name} file (${BENCHMARK_FILES[name]}); null = not evaluated`);

/** Base vs fine-tuned on the benchmarks. */
export const EvalSettings = z.strictObject({
  humaneval: benchmarkFile('humaneval'),
  humanevalplus: benchmarkFile('humanevalplus'),
  mbpp: benchmarkFile('mbpp'),
  mbppplus: benchmarkFile('mbppplus'),
  limit: z.int().positive().nullable().default(null).describe('tasks per benchmark; null = all in the file'),
  max_new_tokens: z.int().positive().max(1_000_000).default(512).describe('tokens generated per task'),
  prompt_style: z.enum(['completion', 'chat']).default('completion').describe("completion: the model continues the prompt; chat: the tokenizer's chat template"),
  batch_size: z.int().positive().max(1024).nullable().default(null).describe("tasks decoded at once (any value gives the same samples); null = from the model's KV-cache size, 1 to 8 on the CPU, 1 to 32 on a GPU (see @codistill/compare)"),
  workers: z.int().positive().max(1024).nullable().default(null).describe('parallel sandboxes; null = one per core'),
  timeout: z.number().positive().max(86_400).nullable().default(null).describe('sandbox seconds (per test snippet for HumanEval/MBPP; per phase cap for the EvalPlus benchmarks); null = the harness defaults'),
  sandbox: z.enum(['auto', 'bwrap', 'process']).default('auto').describe('auto: bubblewrap when it works here, else the weaker process sandbox with a warning'),
  require_sandbox: z.boolean().default(false).describe('refuse to run generated code without bubblewrap'),
  python: z.string().min(1).nullable().default(null).describe('the Python that runs the tests; null = python3'),
});

/** A settings field with another default (its description kept): the run config's tiny-run values. */
export const withDefault = <T extends z.ZodType>(field: z.ZodDefault<T>, value: z.util.NoUndefined<z.output<T>>) =>
  (field.unwrap() as T).default(value).describe(field.description ?? '');
