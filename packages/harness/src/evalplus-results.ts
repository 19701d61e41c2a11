import { programOf, type Sample } from './evaluate.js';
import type { PhaseResult, SampleResult, Status } from './results.js';
import { normalizeTaskId, type HarnessTask } from './tasks.js';

/** One sample's verdicts as evalplus.evaluate writes them. */
export interface EvalPlusEntry {
  task_id: string;
  solution: string;
  base_status: 'pass' | 'fail' | 'timeout';
  plus_status: 'pass' | 'fail' | 'timeout';
  /** EvalPlus lists the failing inputs here; codistill's per-sample results name the failing test's index instead. */
  base_fail_tests: unknown[];
  plus_fail_tests: unknown[];
}

/** The `<samples>_eval_results.json` of EvalPlus 0.3: `eval[task_id]` is the list of that task's samples' verdicts. */
export interface EvalPlusResults {
  date: string;
  hash: string;
  eval: Record<string, EvalPlusEntry[]>;
}

const STATUS: Record<Status, EvalPlusEntry['base_status']> = { passed: 'pass', failed: 'fail', error: 'fail', timeout: 'timeout' };
const statusOf = (r: PhaseResult | undefined): EvalPlusEntry['base_status'] => (r ? STATUS[r.status] : 'fail');

/**
 * Verdicts of EvalPlus tasks (HumanEval+, MBPP+) in EvalPlus' own results format, so its tools
 * (and anything reading `eval[task_id][i].base_status/plus_status`) read codistill's verdicts.
 * `hash` identifies the task set (EvalPlus stores its dataset's hash there).
 */
export function evalPlusResults(tasks: readonly HarnessTask[], samples: readonly Sample[], results: readonly SampleResult[], hash: string): EvalPlusResults {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const out: EvalPlusResults = { date: new Date().toISOString(), hash, eval: {} };
  const perTask = new Map<string, Sample[]>();
  // A sample's index among its task's samples, in file order, is the one evaluateSamples gave it.
  for (const s of samples) {
    const taskId = normalizeTaskId(s.task_id, byId);
    perTask.set(taskId, [...(perTask.get(taskId) ?? []), s]);
  }
  for (const r of [...results].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.sampleIndex - b.sampleIndex)) {
    const task = byId.get(r.taskId);
    const sample = perTask.get(r.taskId)?.[r.sampleIndex];
    if (!task || !sample) continue;
    (out.eval[r.taskId] ??= []).push({
      task_id: r.taskId,
      solution: programOf(task, sample),
      base_status: statusOf(r.base ?? r),
      plus_status: statusOf(r.plus ?? r),
      base_fail_tests: [],
      plus_fail_tests: [],
    });
  }
  return out;
}
