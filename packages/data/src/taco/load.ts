import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { readJsonl } from '@codistill/util';
import { readParquetRows } from '../parquet-rows.js';
import { parseTacoRow, TacoRowError } from './parse.js';
import type { MalformedRow, TacoProblem } from './types.js';

export interface LoadedTaco {
  problems: TacoProblem[];
  malformed: MalformedRow[];
}

/**
 * Loads TACO rows from local files: `.jsonl`, `.json` (an array of rows), `.parquet`, each
 * optionally `.gz` (not parquet). Rows that do not decode are skipped and reported with file and row.
 */
export async function loadTacoFiles(files: string[]): Promise<LoadedTaco> {
  const loaded: LoadedTaco = { problems: [], malformed: [] };
  for (const file of files) {
    for await (const { row, value, error } of readRows(file)) {
      if (error !== undefined) {
        loaded.malformed.push({ file, row, reason: error });
        continue;
      }
      try {
        loaded.problems.push(parseTacoRow(value, { file, row }));
      } catch (e) {
        if (!(e instanceof TacoRowError)) throw e;
        loaded.malformed.push({ file, row, reason: e.message });
      }
    }
  }
  return loaded;
}

interface RawRow {
  row: number;
  value?: unknown;
  error?: string;
}

async function* readRows(file: string): AsyncGenerator<RawRow> {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  const kind = ['.parquet', '.jsonl', '.json'].find((ext) => name.endsWith(ext));
  if (kind === undefined) throw new Error(`${file}: unsupported TACO file type (expected .jsonl, .json or .parquet)`);
  if (kind === '.parquet') {
    yield* readParquetRows(file);
    return;
  }
  const gzipped = name !== file.toLowerCase();
  if (kind === '.jsonl' && !gzipped) {
    yield* streamJsonlRows(file);
    return;
  }
  const bytes = await readFile(file);
  const text = (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
  if (kind === '.jsonl') yield* readJsonlRows(text);
  else yield* readJsonArrayRows(file, text);
}

/** A plain JSONL file, streamed (a 100 MB file is never held whole); bad lines come back as malformed rows, in order. */
function* streamJsonlRows(file: string): Generator<RawRow> {
  const malformed: RawRow[] = [];
  const onInvalid = (row: number, reason: string) => malformed.push({ row, error: `not valid JSON (${reason})` });
  for (const { value, line } of readJsonl(file, { onInvalid })) {
    yield* malformed.splice(0);
    yield { row: line, value };
  }
  yield* malformed;
}

/** A gzipped JSONL file, decompressed whole (the Hub's large TACO shards are parquet, read in batches). */
function* readJsonlRows(text: string): Generator<RawRow> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      yield { row: i + 1, value: JSON.parse(lines[i]) };
    } catch (e) {
      yield { row: i + 1, error: `not valid JSON (${(e as Error).message})` };
    }
  }
}

function* readJsonArrayRows(file: string, text: string): Generator<RawRow> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of TACO rows`);
  for (let i = 0; i < parsed.length; i++) yield { row: i + 1, value: parsed[i] };
}

