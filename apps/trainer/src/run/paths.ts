import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above this module that holds `name`, if any. */
export function findUp(name: string): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, name))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The codistill checkout this code runs from, if any. */
const root = findUp('pnpm-workspace.yaml');

/**
 * A path from the run config: as given when it exists (absolute, or relative to the current
 * folder); else the file the codistill repository ships under that name (the tiny run's defaults
 * name files of the repository, so `codistill run` works from any folder of the checkout);
 * else as given, for the loader to report (or to treat as a Hub id).
 */
export function locate(file: string): string {
  if (path.isAbsolute(file) || existsSync(file) || !root) return file;
  const shipped = path.join(root, file);
  return existsSync(shipped) ? shipped : file;
}
