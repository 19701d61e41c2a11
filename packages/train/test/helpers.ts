import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Tiny checkpoints shipped once in @codistill/models' tests. */
export const modelsFixture = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', ...parts);

export const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-train-'));

/** A small span-labelled training file. */
export function writeData(dir: string, n = 6): string {
  const file = path.join(dir, 'train.jsonl');
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    prompt: `Write f${i}(x) returning x plus ${i}.`,
    context: `Add the constant ${i} to the input.`,
    code: `def f${i}(x):\n    return x + ${i}`,
    tests: `assert f${i}(1) == ${i + 1}`,
  }));
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}
