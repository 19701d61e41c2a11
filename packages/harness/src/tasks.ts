import type { EvalPlusTask, HumanEvalTask, MbppTask } from '@codistill/data';
import { evalPlusPrompt, humanEvalPrompt, mbppPrompt, type BenchmarkPrompt } from './prompts.js';

/** A task checked by running test snippets (original HumanEval and MBPP asserts). */
export interface ScriptTask {
  kind: 'script';
  taskId: string;
  /** Code a `completion` continues (HumanEval signature + docstring); empty for MBPP. */
  prompt: string;
  entryPoint: string;
  /** Run after the program, before the tests (MBPP's test_setup_code / test_imports). */
  setupCode: string;
  /** Run in order in the program's namespace; the first failing one is reported. */
  tests: string[];
  canonicalSolution: string;
  /** What a model is asked (see prompts.ts). */
  zeroShot: BenchmarkPrompt;
}

/** A task checked EvalPlus-style: call the entry point on inputs, compare with the canonical outputs. */
export interface IoTask {
  kind: 'io';
  taskId: string;
  prompt: string;
  entryPoint: string;
  canonicalSolution: string;
  zeroShot: BenchmarkPrompt;
  source: EvalPlusTask;
}

export type HarnessTask = ScriptTask | IoTask;

export function humanEvalTask(task: HumanEvalTask): ScriptTask {
  return {
    kind: 'script',
    taskId: task.taskId,
    prompt: task.prompt,
    entryPoint: task.entryPoint,
    setupCode: '',
    tests: [`${task.test}\ncheck(${task.entryPoint})\n`],
    canonicalSolution: task.prompt + task.canonicalSolution,
    zeroShot: humanEvalPrompt(task),
  };
}

/** The function name the asserts call, e.g. `assert remove_Occ("hello","l") == "heo"` -> remove_Occ. */
export function mbppEntryPoint(assertion: string): string {
  const match = /assert\s+(?:not\s+)?\(?\s*(?:set\(|math\.isclose\(|abs\()?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(assertion);
  return match ? match[1] : '';
}

export function mbppTask(task: MbppTask): ScriptTask {
  return {
    kind: 'script',
    taskId: `Mbpp/${task.taskId}`,
    prompt: '',
    entryPoint: mbppEntryPoint(task.testList[0] ?? ''),
    setupCode: task.setupCode,
    tests: task.testList,
    canonicalSolution: task.code,
    zeroShot: mbppPrompt(task),
  };
}

export function evalPlusTask(task: EvalPlusTask): IoTask {
  return {
    kind: 'io',
    taskId: task.taskId,
    prompt: task.prompt,
    entryPoint: task.entryPoint,
    canonicalSolution: task.prompt + task.canonicalSolution,
    zeroShot: evalPlusPrompt(task),
    source: task,
  };
}

/** Accepts "Mbpp/11", "11" or 11 for MBPP; HumanEval ids pass through. */
export function normalizeTaskId(taskId: string | number, tasks: ReadonlyMap<string, HarnessTask>): string {
  const text = String(taskId);
  if (tasks.has(text)) return text;
  if (/^\d+$/.test(text) && tasks.has(`Mbpp/${text}`)) return `Mbpp/${text}`;
  return text;
}
