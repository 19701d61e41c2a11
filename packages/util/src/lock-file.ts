import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from './ensure-dir.js';
import { processAlive } from './process-alive.js';

/** Lock files this process holds. */
const held = new Set<string>();

export interface Lock {
  /** Removes the lock file; safe to call twice. */
  release(): void;
}

/**
 * Takes `<target>.lock` (a file holding this process's pid), so two runs never write the same output
 * at once. A lock whose process is gone is taken over; a live one is an error naming its pid.
 * Released on process exit as well.
 */
export function lockFile(target: string): Lock {
  const file = `${path.resolve(target)}.lock`;
  if (held.has(file)) throw new Error(`${target} is in use by another task of this process (lock file ${file})`);
  ensureDir(path.dirname(file));
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } catch (error) {
        // A lock without its pid (a full disk) would be taken for a stale one: none is left.
        rmSync(file, { force: true });
        throw error;
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new Error(`cannot lock ${target}: ${(error as Error).message}`);
      const owner = Number(readOwner(file));
      // Our own pid in a lock we do not hold is a dead process's pid reused: stale.
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw new Error(`${target} is in use by another process (pid ${owner}); wait for it to finish or stop it (lock file ${file})`);
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  held.add(file);
  const release = () => {
    if (!held.has(file)) return;
    held.delete(file);
    process.off('exit', release);
    if (readOwner(file) === String(process.pid)) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { release };
}

function readOwner(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
