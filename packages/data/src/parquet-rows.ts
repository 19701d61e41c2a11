import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type Compressors } from 'hyparquet';

/** Hub parquet shards are snappy (built into hyparquet) or gzip; gzip comes from node:zlib. */
const compressors: Compressors = { GZIP: (input) => new Uint8Array(gunzipSync(input)) };
const BATCH_ROWS = 500;

/**
 * The rows of a parquet file as objects, 1-based row numbers beside them. The file is read in
 * slices and decoded in batches, so memory follows the batch, not the file (the Hub's shards are
 * 200-300 MB).
 */
export async function* readParquetRows(file: string): AsyncGenerator<{ row: number; value: Record<string, unknown> }> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const total = Number(metadata.num_rows);
  for (let start = 0; start < total; start += BATCH_ROWS) {
    const rowEnd = Math.min(total, start + BATCH_ROWS);
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd, compressors });
    for (let i = 0; i < rows.length; i++) yield { row: start + i + 1, value: rows[i] };
  }
}
