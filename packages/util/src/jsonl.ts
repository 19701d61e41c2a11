import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from './ensure-dir.js';
import { writeAll, writeError } from './write-file-durable.js';

/** The longest line readJsonl accepts by default: far above any record codistill writes, far below what strains memory. */
export const MAX_JSONL_LINE_BYTES = 64 * 2 ** 20;

export interface JsonlLine<T> {
  value: T;
  /** 1-based line number in the file, for error messages. */
  line: number;
}

export interface ReadJsonlOptions {
  /** A longer line is an error naming the file and line (default MAX_JSONL_LINE_BYTES). */
  maxLineBytes?: number;
  /**
   * For inputs made elsewhere, where a bad row is reported and skipped rather than fatal: receives
   * every unparseable line (a torn last one too) with JSON.parse's reason, instead of an error.
   */
  onInvalid?: (line: number, reason: string) => void;
}

const CHUNK_BYTES = 2 ** 20;

/**
 * Streams the records of a JSONL file without holding the file in memory. Blank lines are skipped;
 * an unparseable last line without a newline is an append cut short by a crash and is skipped too
 * (JsonlAppender removes it); any other bad line is an error naming `file:line`.
 */
export function* readJsonl<T = unknown>(file: string, options: ReadJsonlOptions = {}): Generator<JsonlLine<T>> {
  const maxLineBytes = options.maxLineBytes ?? MAX_JSONL_LINE_BYTES;
  const fd = openForReading(file);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let line = 0;
    const take = (tail: Buffer): Buffer => {
      const whole = pending.length ? Buffer.concat([...pending, tail]) : tail;
      pending = [];
      pendingBytes = 0;
      return whole;
    };
    for (;;) {
      const read = readChunk(fd, buffer, file);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      let start = 0;
      for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
        line++;
        const text = take(chunk.subarray(start, end));
        if (text.length > maxLineBytes) throw tooLong(file, line, maxLineBytes);
        const record = parseLine<T>(text, file, line, false, options.onInvalid);
        if (record) yield record;
        start = end + 1;
      }
      if (start < read) {
        pendingBytes += read - start;
        if (pendingBytes > maxLineBytes) throw tooLong(file, line + 1, maxLineBytes);
        pending.push(Buffer.from(chunk.subarray(start)));
      }
    }
    if (pendingBytes) {
      const record = parseLine<T>(take(Buffer.alloc(0)), file, line + 1, true, options.onInvalid);
      if (record) yield record;
    }
  } finally {
    closeSync(fd);
  }
}

function openForReading(file: string): number {
  try {
    const fd = openSync(file, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    }
    return fd;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readChunk(fd: number, buffer: Buffer, file: string): number {
  try {
    return readSync(fd, buffer, 0, buffer.length, null);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function tooLong(file: string, line: number, max: number): Error {
  return new Error(`${file}:${line}: line longer than ${max} bytes, the limit for one JSONL record`);
}

function parseLine<T>(bytes: Buffer, file: string, line: number, last: boolean, onInvalid: ReadJsonlOptions['onInvalid']): JsonlLine<T> | undefined {
  let text = bytes.toString('utf8');
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.trim()) return undefined;
  try {
    return { value: JSON.parse(text) as T, line };
  } catch (error) {
    if (onInvalid) {
      onInvalid(line, (error as Error).message);
      return undefined;
    }
    if (last) return undefined; // torn by a crash mid-append; its work is redone
    throw new Error(`${file}:${line}: invalid JSON (${(error as Error).message})`);
  }
}

export interface JsonlAppenderOptions {
  /** fsync after every record: survives a power cut, not just a crash (slower). */
  sync?: boolean;
}

/**
 * Appends one JSON record per line, so finished work survives a crash. Opening it repairs a last line
 * that a crash cut short (removed, as readJsonl skips it), so the next record never lands on a torn line.
 */
export class JsonlAppender<T> {
  constructor(
    readonly file: string,
    private readonly options: JsonlAppenderOptions = {},
  ) {
    ensureDir(path.dirname(path.resolve(file)));
    if (existsSync(file)) repairTornTail(file);
  }

  append(record: T): void {
    try {
      const fd = openSync(this.file, 'a');
      try {
        writeAll(fd, JSON.stringify(record) + '\n', this.file);
        if (this.options.sync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw writeError(this.file, error);
    }
  }
}

/** Ends the file on a newline: a complete last record gets one, a torn one is cut off. */
export function repairTornTail(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const lastNewline = findLastNewline(fd, size);
    if (lastNewline === size - 1) return;
    const tail = Buffer.alloc(size - lastNewline - 1);
    readSync(fd, tail, 0, tail.length, lastNewline + 1);
    if (completeRecord(tail)) writeSync(fd, '\n', size);
    else ftruncateSync(fd, lastNewline + 1);
  } finally {
    closeSync(fd);
  }
}

function completeRecord(tail: Buffer): boolean {
  try {
    JSON.parse(tail.toString('utf8'));
    return true;
  } catch {
    return !tail.toString('utf8').trim(); // blank: keep, just end the line
  }
}

/** Offset of the last '\n' (or -1), reading backwards in chunks. */
function findLastNewline(fd: number, size: number): number {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - buffer.length);
    const read = readSync(fd, buffer, 0, end - start, start);
    const index = buffer.subarray(0, read).lastIndexOf(10);
    if (index !== -1) return start + index;
    end = start;
  }
  return -1;
}
