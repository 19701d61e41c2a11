import { existsSync } from 'node:fs';
import { JsonlAppender, lockFile, meanPassAtK } from '@codistill/util';
import { checkIo, checkScript, type CheckOptions } from './check.js';
import { DEFAULT_LIMITS, type ResourceLimits } from './execute.js';
import { computeOracle, defaultOracleCacheDir, openOracleCache, type Oracle } from './oracle.js';
import { defaultWorkers, mapPool } from './pool.js';
import { fingerprintOf, readFinished, resultKey, type SampleResult } from './results.js';
import { planSandbox, type SandboxOptions, type SandboxPlan } from './sandbox.js';
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
  sandbox?: SandboxOptions['sandbox'];
  /** Refuse to run without bubblewrap instead of falling back to the process sandbox. */
  requireSandbox?: boolean;
  python?: string;
  limits?: Partial<ResourceLimits>;
  /** Where canonical outputs of EvalPlus tasks are cached (this user's own folder, see openOracleCache); default $XDG_CACHE_HOME/codistill/harness-oracles, else ~/.cache/codistill/harness-oracles. */
  oracleCacheDir?: string;
  onResult?: (result: SampleResult) => void;
  /** Stops starting samples; the ones in flight finish and are written, then the call throws the abort reason. */
  signal?: AbortSignal;
}

export interface Summary {
  tasks: number;
  samples: number;
  sandbox: SandboxPlan['kind'];
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

/**
 * Changes whenever verdicts are made differently, so results of an older harness are not reused
 * (2: the judge process decides verdicts; before, the sandboxed process reported its own. 3: the
 * judge stops a call that outlives its limit by its own clock; a value within atol needs the expected
 * value's own type. 4: that type is also the decoded value's, which the program cannot misreport, and
 * a value within atol has the expected's nesting and lengths; the oracle cache is this user's own).
 */
const JUDGE_VERSION = 4;

/** What a verdict depends on besides the program: the task's tests and inputs, and the limits. */
function taskFingerprint(task: HarnessTask): unknown {
  return task.kind === 'script'
    ? [task.prompt, task.entryPoint, task.setupCode, task.tests]
    : [task.source.dataset, task.entryPoint, task.canonicalSolution, task.source.rowJson, task.source.atol];
}

function checkSettings(options: EvaluateOptions, io: boolean): Omit<CheckOptions, 'plan'> {
  const settings = {
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    timeoutSeconds: options.timeoutSeconds ?? (io ? 60 : 6),
    minTimeLimit: options.minTimeLimit ?? 4,
    timeLimitFactor: options.timeLimitFactor ?? 4,
  };
  const positive = { timeoutSeconds: settings.timeoutSeconds, minTimeLimit: settings.minTimeLimit, timeLimitFactor: settings.timeLimitFactor, ...settings.limits };
  for (const [name, value] of Object.entries(positive)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`evaluateSamples: ${name} must be a positive number, got ${String(value)}`);
  }
  const workers = options.workers;
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new Error(`evaluateSamples: workers must be a whole number >= 1, got ${String(workers)}`);
  return settings;
}

/** Which tasks were loaded, for a sample that names none of them. */
function loadedTasks(tasks: readonly HarnessTask[]): string {
  const range = `${tasks.length} tasks loaded (${tasks[0]?.taskId ?? 'none'}${tasks.length > 1 ? ` to ${tasks.at(-1)!.taskId}` : ''})`;
  // loadBenchmark reads MBPP's test split unless told otherwise; its other rows are in the file too.
  return tasks.some((t) => t.kind === 'script' && t.taskId.startsWith('Mbpp/')) ? `${range}; MBPP is evaluated on its test split, task_id 11-510` : range;
}

export async function evaluateSamples(tasks: readonly HarnessTask[], samples: readonly Sample[], options: EvaluateOptions = {}): Promise<{ results: SampleResult[]; summary: Summary }> {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const io = tasks.some((t) => t.kind === 'io');
  const settings = checkSettings(options, io);
  const perTask = new Map<string, number>();
  const verdictSettings = [JUDGE_VERSION, settings];
  const jobs = samples.map((sample) => {
    const taskId = normalizeTaskId(sample.task_id, byId);
    const task = byId.get(taskId);
    if (!task) throw new Error(`sample task_id "${sample.task_id}" is not in the benchmark: ${loadedTasks(tasks)}`);
    const sampleIndex = perTask.get(taskId) ?? 0;
    perTask.set(taskId, sampleIndex + 1);
    const program = programOf(task, sample);
    return { task, program, sampleIndex, fingerprint: fingerprintOf(verdictSettings, taskFingerprint(task), program) };
  });
  const lock = options.out ? lockFile(options.out) : undefined;
  try {
    const finished = options.out && existsSync(options.out) ? readFinished(options.out) : new Map<string, SampleResult>();
    refuseStale(jobs, finished, options.out);
    const plan = planSandbox({ sandbox: options.sandbox, requireSandbox: options.requireSandbox, python: options.python });
    const check: CheckOptions = { ...settings, plan };
    const writer = options.out ? new JsonlAppender<SampleResult>(options.out) : undefined;
    const oracles = new Map<string, Promise<Oracle>>();
    const cacheDir = io ? openOracleCache(options.oracleCacheDir ?? defaultOracleCacheDir()) : '';
    const results = await mapPool(jobs, options.workers ?? defaultWorkers(), async ({ task, program, sampleIndex, fingerprint }) => {
      const done = finished.get(resultKey(task.taskId, sampleIndex));
      if (done) return done;
      let result: SampleResult;
      if (task.kind === 'script') {
        result = { taskId: task.taskId, sampleIndex, fingerprint, ...(await checkScript(task, program, check)) };
      } else {
        if (!oracles.has(task.taskId)) oracles.set(task.taskId, computeOracle(task, { ...check, cacheDir }));
        // Without expected outputs nothing can be judged: an error of the run, never the sample's verdict.
        const oracle = await oracles.get(task.taskId)!;
        const { base, plus } = await checkIo(task, program, oracle, check);
        result = { taskId: task.taskId, sampleIndex, fingerprint, ...combine(base, plus), base, plus };
      }
      writer?.append(result);
      options.onResult?.(result);
      return result;
    }, options.signal);
    return { results, summary: summarize(results, io, plan.kind) };
  } finally {
    lock?.release();
  }
}

/** A stored verdict is reused only for the same program, task and settings; anything else is refused, never reused. */
function refuseStale(jobs: ReadonlyArray<{ task: HarnessTask; sampleIndex: number; fingerprint: string }>, finished: Map<string, SampleResult>, out?: string): void {
  for (const { task, sampleIndex, fingerprint } of jobs) {
    const stored = finished.get(resultKey(task.taskId, sampleIndex));
    if (stored && stored.fingerprint !== fingerprint) {
      throw new Error(
        `${out} holds a verdict for ${task.taskId} sample ${sampleIndex} made from a different program, task or settings${stored.fingerprint ? '' : ' (or by an older codistill)'}; write to a new output file or delete this one to start over`,
      );
    }
  }
}

export function summarize(results: readonly SampleResult[], withPhases: boolean, sandbox: SandboxPlan['kind']): Summary {
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
