import { existsSync, readFileSync } from 'node:fs';

/**
 * A JSON file's value. A missing or unreadable file, and one that does not parse (e.g. cut short by
 * a crash or a full disk), is an error naming the file, never a bare SyntaxError.
 */
export function readJsonFile<T = unknown>(file: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as T;
  } catch (error) {
    throw new Error(`${file}: invalid JSON (${(error as Error).message})`);
  }
}

/** readJsonFile's value, undefined when the file does not exist; invalid JSON is still an error naming the file. */
export async function readJsonIfPresent<T>(file: string): Promise<T | undefined> {
  return existsSync(file) ? readJsonFile<T>(file) : undefined;
}
