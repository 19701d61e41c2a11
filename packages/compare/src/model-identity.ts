import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What identifies a model for resuming evaluation: its folder's config and weight files (name, size,
 * modification time: hashing 16 GB of weights would take longer than the check is worth) and the
 * adapter's files in full (small, and the thing that changes between fine-tuning runs).
 */
export function modelIdentity(modelDir: string, adapterDir?: string): { model: string; adapter: string | null } {
  return { model: folderDigest(modelDir, false), adapter: adapterDir ? folderDigest(adapterDir, true) : null };
}

function folderDigest(dir: string, contents: boolean): string {
  const hash = createHash('sha256').update(path.resolve(dir));
  const files = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).sort() : [];
  for (const name of files) {
    const file = path.join(dir, name);
    const info = statSync(file);
    if (!info.isFile()) continue;
    const small = name.endsWith('.json') || name.endsWith('.txt') || name.endsWith('.model');
    hash.update(`\0${name}\0${info.size}\0`);
    if (contents || small) hash.update(readFileSync(file));
    else hash.update(String(info.mtimeMs));
  }
  return hash.digest('hex');
}
