import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Creates `dir` and its missing parents, one level at a time from the deepest folder that exists.
 * Node's recursive mkdir can loop forever under /proc and reports a read-only mount as ENOENT; this
 * names the folder that could not be made and why.
 */
export function ensureDir(dir: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const info = statOrUndefined(existing);
    if (info) {
      if (!info.isDirectory()) throw new Error(`cannot create folder ${target}: ${existing} exists and is not a folder`);
      break;
    }
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (missing.length && !writable(existing)) throw new Error(`cannot create folder ${target}: ${existing} is not writable (read-only file system or no permission)`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOrUndefined(folder)?.isDirectory()) continue;
      throw new Error(`cannot create folder ${target} (${folder}: ${code ?? (error as Error).message})`);
    }
  }
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
