import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from './ensure-dir.js';
import { processAlive } from './process-alive.js';

export interface DurableWriteOptions {
  /** Checks the complete temp file before it replaces the target (e.g. a format's header against the file size); throw to refuse it. */
  verify?: (tempFile: string) => void;
}

type Chunk = Uint8Array | string;

/** One chunk, or chunks (an array, or a generator so a large file is never held whole). */
export type DurableData = Chunk | Iterable<Chunk>;

/** Writes every byte of `data` to `fd`, failing loudly instead of accepting a short write. */
export function writeAll(fd: number, data: Chunk, file: string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < bytes.length) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) throw new Error(`${file}: short write (${offset} of ${bytes.length} bytes; is the disk full?)`);
    offset += written;
  }
  return bytes.length;
}

/**
 * Replaces `file` with `data` so that a reader sees either the old file or all of the new one, even
 * after a crash or a full disk: a temp file in the same folder, every byte counted, fsync, the
 * caller's verification, rename, fsync of the folder. On any failure the temp file is removed and the
 * old file is untouched.
 */
export function writeFileDurable(file: string, data: DurableData, options: DurableWriteOptions = {}): void {
  const dir = path.dirname(path.resolve(file));
  ensureDir(dir);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const chunks: Iterable<Chunk> = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  try {
    const fd = openSync(temp, 'w');
    try {
      for (const chunk of chunks) writeAll(fd, chunk, file);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.verify?.(temp);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(file, error);
  }
  syncDir(dir);
  if (!swept.has(dir)) removeDeadTemps(dir);
}

/** An errno error of writing `file`, named (a full disk says ENOSPC and which file); other errors as they are. */
export function writeError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? new Error(`cannot write ${file}: ${code} (${(error as Error).message})`) : error;
}

/** The folders whose dead writers' temp files this process has removed. */
const swept = new Set<string>();

/**
 * Removes the temp files that killed writers left in `dir` (their pid is gone), so a run resumed
 * after kill -9 does not keep a dead copy of its adapter. Once per folder and process: a folder
 * written thousands of times (the harness' expected-output cache) is not listed after each write.
 */
function removeDeadTemps(dir: string): void {
  swept.add(dir);
  for (const entry of readdirSync(dir)) {
    // .<name>.<pid>.<random>.tmp, as writeFileDurable names them.
    const pid = Number(/^\..+\.(\d+)\.[a-z0-9]+\.tmp$/.exec(entry)?.[1]);
    if (pid > 0 && !processAlive(pid)) rmSync(path.join(dir, entry), { force: true });
  }
}

/** JSON text, written durably (see writeFileDurable). */
export function writeJsonDurable(file: string, value: unknown): void {
  writeFileDurable(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes a folder whole or not at all, as the trainer writes its checkpoints: `write` fills the
 * temporary sibling `<dir>.tmp` (its files written durably, e.g. with writeFileDurable), which is
 * then renamed to `dir`, so a failed check, a crash or a full disk never leaves a partial folder
 * that a reader would take for a whole one. On failure the temp folder is removed. `dir` must not
 * exist or be an empty folder (which the rename replaces): anything in it is refused before any
 * work, never deleted. A `<dir>.tmp` left by a crash is removed first.
 */
export function writeDirDurable(dir: string, write: (tempDir: string) => void): void {
  const target = path.resolve(dir);
  const existing = existsSync(target);
  if (existing && (!statSync(target).isDirectory() || readdirSync(target).length)) throw new Error(`cannot write ${target}: it exists and is not an empty folder`);
  const temp = `${target}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  ensureDir(temp);
  try {
    write(temp);
    if (existing) rmdirSync(target);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true }); // on a full disk, give the space back
    throw error;
  }
  syncDir(path.dirname(target));
}

/** Makes a rename in `dir` survive a power cut; some file systems refuse to fsync folders, which is harmless. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
