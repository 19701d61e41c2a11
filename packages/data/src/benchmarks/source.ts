import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parsePythonJson } from './python-json.js';

/** Reads a local path or an http(s) URL; gzip is recognised by its magic bytes, not the name. */
export async function readSource(source: string): Promise<string> {
  let bytes: Buffer;
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`${source}: HTTP ${response.status} ${response.statusText}`);
    bytes = Buffer.from(await response.arrayBuffer());
  } else {
    bytes = await readFile(source).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${source}: ${error.code ?? error.message}`);
    });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new Error(`${source}: not a readable gzip file (${(error as Error).message})`);
    }
  }
  return bytes.toString('utf8');
}

export interface SourceRow {
  row: Record<string, unknown>;
  /** The row's original JSON text: exact for big integers and 1.0-vs-1, which JS numbers lose. */
  json: string;
}

/** Parses JSON Lines or a JSON array; errors name the source and line. */
export function parseRecords(text: string, source: string): SourceRow[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    const rows = parsePythonJson(trimmed);
    if (!Array.isArray(rows)) throw new Error(`${source}: expected a JSON array`);
    return (rows as Array<Record<string, unknown>>).map((row) => ({ row, json: JSON.stringify(row) }));
  }
  const rows: SourceRow[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    try {
      rows.push({ row: parsePythonJson(line) as Record<string, unknown>, json: line });
    } catch (error) {
      throw new Error(`${source}:${index + 1}: invalid JSON (${(error as Error).message})`);
    }
  });
  return rows;
}

/** Reads one field with a type check, naming the file and row when it is missing or wrong. */
export function field<T>(row: Record<string, unknown>, name: string, type: 'string' | 'number' | 'object', where: string): T {
  const value = row[name];
  if (typeof value !== type || value === null) {
    throw new Error(`${where}: field "${name}" must be a ${type}, got ${value === null ? 'null' : typeof value}`);
  }
  return value as T;
}

export async function loadRows(source: string): Promise<Array<Record<string, unknown>>> {
  return parseRecords(await readSource(source), source).map((r) => r.row);
}

export async function loadRowsWithText(source: string): Promise<SourceRow[]> {
  return parseRecords(await readSource(source), source);
}
