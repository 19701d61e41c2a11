import { existsSync, statSync } from 'node:fs';
import { JsonlAppender, lockFile, readJsonl, type Lock } from '@codistill/util';
import type { ContextSections } from './sections.js';
import { addUsage, emptyUsage, type Usage } from './usage.js';

export interface ContextOk {
  id: string;
  status: 'ok';
  sections: ContextSections;
  model: string;
  endpoint: string;
  /** Requests made for this problem, retries included. */
  attempts: number;
  /** Tokens of the accepted answer. */
  promptTokens?: number;
  completionTokens?: number;
  /** Everything this problem cost in this run, retries and rejected answers included (absent in rows of older versions). */
  usage?: Usage;
}

export interface ContextFailed {
  id: string;
  status: 'failed';
  /** Why: "leak: ...", "invalid: ..." or "too-long: ..." (the teacher answered, badly, or cannot take the prompt), or "transport: ..." / "client: ..." (no answer). */
  reason: string;
  attempts: number;
  usage?: Usage;
}

export type ContextRecord = ContextOk | ContextFailed;

/**
 * A failed row whose problem never got an answer (the server was unreachable, overloaded or refused
 * the request): every run asks again. A rejected answer (leak, invalid, a prompt too long for the
 * teacher's context) is the teacher's verdict and is asked again only with retryFailed.
 */
export function unanswered(record: ContextRecord): record is ContextFailed {
  return record.status === 'failed' && /^(transport|client):/.test(record.reason);
}

/** Usage of problems a run abandoned (interrupted, or stopped for want of a teacher) before they got a row. */
export function abandonedUsagePath(outPath: string): string {
  return `${outPath}.abandoned-usage.jsonl`;
}

interface AbandonedUsage {
  id: string;
  usage: Usage;
}

/**
 * Reads a contexts JSONL file, one record per id: an ok record is never hidden by a later failed one
 * (a failed retry, or a second run); otherwise the last record wins. A torn final line from a crash
 * is ignored.
 */
export async function readContexts(path: string): Promise<Map<string, ContextRecord>> {
  return scanContexts(path).records;
}

function scanContexts(path: string): { records: Map<string, ContextRecord>; usage: Usage } {
  const records = new Map<string, ContextRecord>();
  const usage = emptyUsage();
  if (!existsSync(path)) return { records, usage };
  for (const { value } of readJsonl<ContextRecord>(path)) {
    if (typeof value?.id !== 'string') continue;
    addUsage(usage, rowUsage(value));
    if (records.get(value.id)?.status !== 'ok' || value.status === 'ok') records.set(value.id, value);
  }
  return { records, usage };
}

/** Rows written before usage was recorded per row still say how many requests they took. */
function rowUsage(record: ContextRecord): Partial<Usage> {
  if (record.usage) return record.usage;
  const tokens = record.status === 'ok' ? { promptTokens: record.promptTokens, completionTokens: record.completionTokens } : {};
  return { requests: record.attempts, ...tokens };
}

function readAbandonedUsage(path: string): Usage {
  const usage = emptyUsage();
  if (existsSync(path)) for (const { value } of readJsonl<AbandonedUsage>(path)) addUsage(usage, value.usage);
  return usage;
}

/**
 * The result file of one run: locked against a second process (which would duplicate rows), one
 * record per line appended and fsynced as it finishes, a line torn by a crash cut off on open.
 */
export class ContextStore {
  private constructor(
    private readonly rows: JsonlAppender<ContextRecord>,
    private readonly abandoned: JsonlAppender<AbandonedUsage>,
    private readonly lock: Lock,
    readonly existing: Map<string, ContextRecord>,
    /** Everything spent on this output by earlier runs: rows, and problems they abandoned. */
    readonly usageBefore: Usage,
    readonly repairedBytes: number,
  ) {}

  static open(path: string): ContextStore {
    const lock = lockFile(path);
    try {
      const sizeBefore = existsSync(path) ? statSync(path).size : 0;
      const rows = new JsonlAppender<ContextRecord>(path, { sync: true });
      // Opening cut a torn last line, if any (or ended a complete one with its newline).
      const repairedBytes = Math.max(0, sizeBefore - (existsSync(path) ? statSync(path).size : 0));
      const abandoned = new JsonlAppender<AbandonedUsage>(abandonedUsagePath(path), { sync: true });
      const { records, usage } = scanContexts(path);
      addUsage(usage, readAbandonedUsage(abandonedUsagePath(path)));
      return new ContextStore(rows, abandoned, lock, records, usage, repairedBytes);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  append(record: ContextRecord): void {
    this.rows.append(record);
  }

  /** Keeps what an unfinished problem cost: it gets no row, and the rerun asks it again. */
  appendAbandoned(id: string, usage: Usage): void {
    if (usage.requests > 0) this.abandoned.append({ id, usage });
  }

  close(): void {
    this.lock.release();
  }
}
