import path from 'node:path';
import type { TensorInit } from './ir.js';

/** The file an external initializer's bytes are in: its location, absolute or relative to `baseDir` (relative without one is an error). */
export function externalPath(t: TensorInit, baseDir?: string): string {
  const loc = t.external!.location;
  if (!path.isAbsolute(loc) && !baseDir) throw new Error(`initializer '${t.name}' has a relative external location '${loc}': pass externalDataDir`);
  return path.resolve(baseDir ?? '', loc);
}
