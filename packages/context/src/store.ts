import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import type { ContextSections } from './sections.js';

export interface ContextOk {
  id: string;
  status: 'ok';
  sections: ContextSections;
  model: string;
  endpoint: string;
  /** Requests made for this problem, retries included. */
  attempts: number;
  promptTokens?: number;
  completionTokens?: number;
}

export interface ContextFailed {
  id: string;
  status: 'failed';
  /** Why: "leak: ...", "invalid: ...", "transport: ..." or "client: ...". */
  reason: string;
  attempts: number;
}

export type ContextRecord = ContextOk | ContextFailed;

/**
 * Reads a contexts JSONL file: the last record per id wins (a rerun with retryFailed appends a newer
 * record). A torn final line from a crash is ignored.
 */
export async function readContexts(path: string): Promise<Map<string, ContextRecord>> {
  const records = new Map<string, ContextRecord>();
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const record = JSON.parse(line) as ContextRecord;
      if (typeof record.id === 'string') records.set(record.id, record);
    } catch (e) {
      if (i < lines.length - 1) throw new Error(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  });
  return records;
}

/**
 * Append-only result file. Each record is one `write` of one line, so a crash loses at most the line
 * being written; opening cuts such a torn tail off so the next append starts on a fresh line.
 */
export class ContextStore {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly existing: Map<string, ContextRecord>,
    readonly repairedBytes: number,
  ) {}

  static async open(path: string): Promise<ContextStore> {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    let repairedBytes = 0;
    if (text !== '' && !text.endsWith('\n')) {
      const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
      repairedBytes = Buffer.byteLength(text) - keep;
      await truncate(path, keep);
    }
    const existing = await readContexts(path);
    return new ContextStore(await open(path, 'a'), existing, repairedBytes);
  }

  append(record: ContextRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.queue = this.queue.then(async () => {
      await this.handle.write(line);
    });
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    await this.handle.close();
  }
}
