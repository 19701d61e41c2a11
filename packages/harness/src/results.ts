import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
  /** EvalPlus tasks: the original tests and the EvalPlus tests separately. */
  base?: PhaseResult;
  plus?: PhaseResult;
}

export function resultKey(taskId: string, sampleIndex: number): string {
  return `${taskId}#${sampleIndex}`;
}

/** Results already written by an earlier, possibly interrupted, run; a torn last line is ignored. */
export function readFinished(file: string): Map<string, SampleResult> {
  const finished = new Map<string, SampleResult>();
  if (!existsSync(file)) return finished;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const result = JSON.parse(line) as SampleResult;
      finished.set(resultKey(result.taskId, result.sampleIndex), result);
    } catch {
      // interrupted mid-write: that sample is simply run again
    }
  }
  return finished;
}

export class ResultsWriter {
  constructor(private readonly file: string) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Start on a fresh line in case the previous run died mid-line.
    if (existsSync(file) && !readFileSync(file, 'utf8').endsWith('\n') && readFileSync(file).length > 0) appendFileSync(file, '\n');
  }

  write(result: SampleResult): void {
    appendFileSync(this.file, JSON.stringify(result) + '\n');
  }
}
