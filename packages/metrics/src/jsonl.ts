import { readFile } from 'node:fs/promises';

/** One line of a code JSONL file: the code text(s) and the optional id. */
export interface CodeRecord {
  id?: string | number;
  codes: string[];
}

/** Thrown for unreadable input files; the message names the file and the line. */
export class JsonlInputError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The longest code text one record may hold (characters). Source files of this size are already far
 * beyond what CodeBLEU is used for; a larger one would exhaust tree-sitter's WASM memory instead of
 * failing with a message.
 */
export const MAX_CODE_CHARS = 1_000_000;

/**
 * Reads a JSONL file with one JSON object per line holding `code` (a string) or, where
 * `allowSeveral` is set (reference files), `codes` (a non-empty list of strings). Blank lines
 * are skipped; anything else that is wrong is reported with file and line number.
 */
export async function readCodeJsonl(path: string, allowSeveral: boolean): Promise<CodeRecord[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new JsonlInputError(`${path}: cannot read file (${(error as Error).message})`);
  }
  const records: CodeRecord[] = [];
  let lineStart = 0;
  for (let lineNumber = 1; lineStart < bytes.length; lineNumber++) {
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    const where = `${path}:${lineNumber}`;
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(lineStart, lineEnd));
    } catch {
      throw new JsonlInputError(`${where}: line is not valid UTF-8`);
    }
    lineStart = lineEnd + 1;
    if (text.trim() === '') continue;
    records.push(parseLine(text, where, allowSeveral));
  }
  return records;
}

function parseLine(text: string, where: string, allowSeveral: boolean): CodeRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonlInputError(`${where}: invalid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JsonlInputError(`${where}: expected a JSON object`);
  }
  const fields = value as Record<string, unknown>;
  const id = fields.id;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    throw new JsonlInputError(`${where}: field "id" must be a string or a number`);
  }
  const withId = (codes: string[]): CodeRecord => {
    const long = codes.findIndex((code) => code.length > MAX_CODE_CHARS);
    if (long >= 0) throw new JsonlInputError(`${where}: code of ${codes[long].length} characters is over the limit of ${MAX_CODE_CHARS} per record`);
    return id === undefined ? { codes } : { id, codes };
  };
  if (typeof fields.code === 'string') return withId([fields.code]);
  if (fields.code !== undefined) throw new JsonlInputError(`${where}: field "code" must be a string`);
  if (!allowSeveral) throw new JsonlInputError(`${where}: missing field "code"`);
  const codes = fields.codes;
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => typeof c === 'string')) {
    throw new JsonlInputError(`${where}: expected field "code" (a string) or "codes" (a non-empty list of strings)`);
  }
  return withId(codes as string[]);
}
