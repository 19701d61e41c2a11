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

/** Records an earlier, possibly interrupted, run appended to `file`; a line cut mid-write is skipped (its work is redone). */
export function readRecords<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (!line.trim()) return [];
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    });
}

/** Results already written by an earlier, possibly interrupted, run. */
export function readFinished(file: string): Map<string, SampleResult> {
  return new Map(readRecords<SampleResult>(file).map((result) => [resultKey(result.taskId, result.sampleIndex), result]));
}

/** Appends one JSON record per line, so work survives a crash; see readRecords for reading back. */
export class RecordWriter<T> {
  constructor(private readonly file: string) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Start on a fresh line in case the previous run died mid-line.
    if (existsSync(file) && !readFileSync(file, 'utf8').endsWith('\n') && readFileSync(file).length > 0) appendFileSync(file, '\n');
  }

  write(record: T): void {
    appendFileSync(this.file, JSON.stringify(record) + '\n');
  }
}
