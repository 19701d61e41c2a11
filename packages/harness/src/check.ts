import { runJudged, type ResourceLimits, type RunOutcome } from './execute.js';
import type { Oracle } from './oracle.js';
import type { PhaseResult } from './results.js';
import type { SandboxPlan } from './sandbox.js';
import type { IoTask, ScriptTask } from './tasks.js';

export interface CheckOptions {
  plan: SandboxPlan;
  limits: ResourceLimits;
  /** Script tasks: time for the program and for each test snippet; EvalPlus tasks: cap per phase (EVALPLUS_TIMEOUT_PER_TASK). */
  timeoutSeconds: number;
  /** EvalPlus per-input limit: max(minTimeLimit, timeLimitFactor x canonical time). */
  minTimeLimit: number;
  timeLimitFactor: number;
}

/** What a phase that left no record became: the kill reason, or a crash. */
function missingPhase(outcome: RunOutcome): PhaseResult {
  const abnormal = outcome.abnormal;
  if (!abnormal) return { status: 'error', message: 'the judge reported no result for this phase' };
  const cpu = abnormal.detail.includes('SIGXCPU');
  return { status: abnormal.reason === 'timeout' || cpu ? 'timeout' : 'error', message: abnormal.detail };
}

function phaseResult(outcome: RunOutcome, name: string): PhaseResult {
  const record = outcome.records.find((r) => r.phase === name);
  if (!record?.status) return missingPhase(outcome);
  const result: PhaseResult = { status: record.status };
  if (record.message) result.message = record.message.replace(/^InputTimeout$/, 'time limit exceeded');
  if (record.testIndex !== undefined) result.testIndex = record.testIndex;
  if (record.test) result.test = record.test;
  return result;
}

export async function checkScript(task: ScriptTask, program: string, options: CheckOptions): Promise<PhaseResult> {
  const outcome = await runJudged({
    plan: options.plan,
    limits: options.limits,
    wallSeconds: options.timeoutSeconds * (task.tests.length + 2) + 2,
    // MBPP's setup code builds test fixtures from the program's classes, so it runs in the sandbox after the program.
    program: { code: program, setupCode: task.setupCode, loadSeconds: options.timeoutSeconds },
    judge: { kind: 'script', prompt: task.prompt, entryPoint: task.entryPoint, setupCode: task.setupCode, tests: task.tests, timeoutSeconds: options.timeoutSeconds },
    phases: ['script'],
  });
  return phaseResult(outcome, 'script');
}

export async function checkIo(task: IoTask, program: string, oracle: Oracle, options: CheckOptions): Promise<{ base: PhaseResult; plus: PhaseResult }> {
  const limitsFor = (times: number[]) => times.map((t) => Math.max(options.minTimeLimit, options.timeLimitFactor * t));
  const phases = (['base', 'plus'] as const).map((name) => {
    const timeLimits = limitsFor(oracle[name].times);
    const budget = Math.min(options.timeoutSeconds, timeLimits.reduce((a, b) => a + b, 0)) + 1;
    const { expectedFile, digests, floats } = oracle[name];
    return { name, field: `${name}_input`, expectedFile, digests, floats, timeLimits, budget };
  });
  const outcome = await runJudged({
    plan: options.plan,
    limits: options.limits,
    wallSeconds: phases.reduce((sum, p) => sum + p.budget + options.timeoutSeconds / 4, 2),
    program: { code: program, loadSeconds: options.timeoutSeconds },
    judge: {
      kind: 'io',
      dataset: task.source.dataset,
      taskId: task.taskId,
      entryPoint: task.entryPoint,
      atol: task.source.atol,
      rowJson: task.source.rowJson,
      phases: phases.map(({ budget: _budget, ...phase }) => phase),
    },
    phases: ['base', 'plus'],
  });
  return { base: phaseResult(outcome, 'base'), plus: phaseResult(outcome, 'plus') };
}
