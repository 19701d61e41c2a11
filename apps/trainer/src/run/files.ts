import { existsSync } from 'node:fs';
import { readJsonFile } from '@codistill/util';

/** Parsed JSON, undefined when the file does not exist; invalid JSON is an error naming the file. */
export async function readJsonIfPresent<T>(file: string): Promise<T | undefined> {
  return existsSync(file) ? readJsonFile<T>(file) : undefined;
}
