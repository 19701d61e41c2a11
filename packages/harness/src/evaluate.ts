import os from 'node:os';
import path from 'node:path';
import { checkIo, checkScript, type CheckOptions } from './check.js';
import { DEFAULT_LIMITS, type ResourceLimits } from './execute.js';
import { computeOracle, type Oracle } from './oracle.js';
import { meanPassAtK } from './pass-at-k.js';
import { defaultWorkers, mapPool } from './pool.js';
import { readFinished, RecordWriter, resultKey, type SampleResult } from './results.js';
import { planSandbox, type SandboxKind } from './sandbox.js';
import { normalizeTaskId, type HarnessTask } from './tasks.js';

/** An EvalPlus-format sample: `solution` is a whole program, `completion` continues the prompt. */
export interface Sample {
  task_id: string | number;
  solution?: string;
  completion?: string;
}

export interface EvaluateOptions {
  workers?: number;
  /** Script tasks: seconds for the program and for each test snippet (default 6). EvalPlus tasks: cap per phase (default 60). */
  timeoutSeconds?: number;
  /** EvalPlus per-input time limit = max(minTimeLimit, timeLimitFactor x canonical time); defaults 4 and 4 as in EvalPlus. */
  minTimeLimit?: number;
  timeLimitFactor?: number;
  /** JSONL file written as results arrive; samples already in it are skipped (resume). */
  out?: string;
  sandbox?: SandboxKind | 'auto';
  python?: string;
  limits?: Partial<ResourceLimits>;
  /** Where canonical outputs of EvalPlus tasks are cached; default under the OS temp dir. */
  oracleCacheDir?: string;
  onResult?: (result: SampleResult) => void;
  /** Stops starting samples; the ones in flight finish and are written, then the call throws the abort reason. */
  signal?: AbortSignal;
}

export interface Summary {
  tasks: number;
  samples: number;
  sandbox: SandboxKind;
  /** pass@k over tasks (for EvalPlus benchmarks: base and plus tests both passed). */
  [metric: `pass@${number}`]: number;
  base?: Record<string, number>;
  plus?: Record<string, number>;
}

/** The program to run: the sample's whole `solution`, else the prompt followed by its `completion`. */
export function programOf(task: HarnessTask, sample: Sample): string {
  if (typeof sample.solution === 'string') return sample.solution;
  if (typeof sample.completion === 'string') return task.prompt + sample.completion;
  throw new Error(`sample for ${sample.task_id}: needs a "solution" or a "completion" string`);
}

function combine(base: SampleResult['base'] & object, plus: SampleResult['plus'] & object) {
  // Plus counts only when base passed too (EvalPlus' convention for the "+" score).
  return base.status !== 'passed' ? base : plus;
}

export async function evaluateSamples(tasks: readonly HarnessTask[], samples: readonly Sample[], options: EvaluateOptions = {}): Promise<{ results: SampleResult[]; summary: Summary }> {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const plan = planSandbox({ sandbox: options.sandbox, python: options.python });
  const io = tasks.some((t) => t.kind === 'io');
  const check: Omit<CheckOptions, 'slot'> = {
    plan,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    timeoutSeconds: options.timeoutSeconds ?? (io ? 60 : 6),
    minTimeLimit: options.minTimeLimit ?? 4,
    timeLimitFactor: options.timeLimitFactor ?? 4,
  };
  const perTask = new Map<string, number>();
  const jobs = samples.map((sample) => {
    const taskId = normalizeTaskId(sample.task_id, byId);
    const task = byId.get(taskId);
    if (!task) throw new Error(`sample task_id "${sample.task_id}" is not in the benchmark`);
    const sampleIndex = perTask.get(taskId) ?? 0;
    perTask.set(taskId, sampleIndex + 1);
    return { task, sample, sampleIndex };
  });
  const finished = options.out ? readFinished(options.out) : new Map<string, SampleResult>();
  const writer = options.out ? new RecordWriter<SampleResult>(options.out) : undefined;
  const oracles = new Map<string, Promise<Oracle>>();
  const cacheDir = options.oracleCacheDir ?? path.join(os.tmpdir(), 'codistill-harness-oracles');

  const results = await mapPool(jobs, options.workers ?? defaultWorkers(), async ({ task, sample, sampleIndex }, slot) => {
    const done = finished.get(resultKey(task.taskId, sampleIndex));
    if (done) return done;
    let result: SampleResult;
    const program = programOf(task, sample);
    if (task.kind === 'script') {
      result = { taskId: task.taskId, sampleIndex, ...(await checkScript(task, program, { ...check, slot })) };
    } else {
      if (!oracles.has(task.taskId)) oracles.set(task.taskId, computeOracle(task, { ...check, slot, cacheDir }));
      const oracle = await oracles.get(task.taskId)!.catch((error: Error) => error);
      if (oracle instanceof Error) {
        // Without expected outputs nothing can be judged; say so rather than stop the whole run.
        result = { taskId: task.taskId, sampleIndex, status: 'error', message: oracle.message };
      } else {
        const { base, plus } = await checkIo(task, program, oracle, { ...check, slot });
        result = { taskId: task.taskId, sampleIndex, ...combine(base, plus), base, plus };
      }
    }
    writer?.write(result);
    options.onResult?.(result);
    return result;
  }, options.signal);
  return { results, summary: summarize(results, io, plan.kind) };
}

export function summarize(results: readonly SampleResult[], withPhases: boolean, sandbox: SandboxKind): Summary {
  const counts = (passed: (r: SampleResult) => boolean) => {
    const byTask = new Map<string, { n: number; c: number }>();
    for (const r of results) {
      const entry = byTask.get(r.taskId) ?? { n: 0, c: 0 };
      entry.n += 1;
      entry.c += passed(r) ? 1 : 0;
      byTask.set(r.taskId, entry);
    }
    return [...byTask.values()];
  };
  const all = counts((r) => r.status === 'passed');
  const summary: Summary = { tasks: all.length, samples: results.length, sandbox, ...meanPassAtK(all) };
  if (withPhases) {
    summary.base = meanPassAtK(counts((r) => r.base?.status === 'passed'));
    summary.plus = meanPassAtK(counts((r) => r.base?.status === 'passed' && r.plus?.status === 'passed'));
  }
  return summary;
}
