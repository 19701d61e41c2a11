import { createHash } from 'node:crypto';
import { readJsonl } from '@codistill/util';

export type Status = 'passed' | 'failed' | 'timeout' | 'error';

export interface PhaseResult {
  status: Status;
  message?: string;
  /** Index of the failing test snippet (script tasks) or input (EvalPlus tasks). */
  testIndex?: number;
  /** Source line of the failing assertion, where known. */
  test?: string;
}

export interface SampleResult extends PhaseResult {
  taskId: string;
  /** Position of this sample among the samples of its task (0-based, in file order). */
  sampleIndex: number;
  /** Hash of what produced this verdict (program, task, limits, judge version): a stored verdict is reused only when it matches. */
  fingerprint: string;
  /** EvalPlus tasks: the original tests and the EvalPlus tests separately. */
  base?: PhaseResult;
  plus?: PhaseResult;
}

export function resultKey(taskId: string, sampleIndex: number): string {
  return `${taskId}#${sampleIndex}`;
}

/** sha256 of values as JSON: the one way results are tied to what produced them. */
export function fingerprintOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Results already written by an earlier, possibly interrupted, run (a line torn by a crash is skipped and redone). */
export function readFinished(file: string): Map<string, SampleResult> {
  const finished = new Map<string, SampleResult>();
  for (const { value, line } of readJsonl<SampleResult>(file)) {
    if (!value || typeof value !== 'object' || typeof value.taskId !== 'string' || typeof value.sampleIndex !== 'number') {
      throw new Error(`${file}:${line}: not a verdict record (expected taskId and sampleIndex)`);
    }
    finished.set(resultKey(value.taskId, value.sampleIndex), value);
  }
  return finished;
}
