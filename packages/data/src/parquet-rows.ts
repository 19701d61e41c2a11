import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData } from 'hyparquet';

/**
 * hyparquet decodes snappy (the Hub's shards, pyarrow's and pandas' default) itself; node:zlib adds
 * gzip and brotli. ZSTD (Polars' default) and LZ4 would need a decoder dependency, so they are
 * refused up front with the way to convert, rather than failing mid-file.
 */
const compressors: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};
const PARQUET_CODECS: readonly string[] = ['UNCOMPRESSED', 'SNAPPY', ...Object.keys(compressors)];
const BATCH_ROWS = 500;

/**
 * The rows of a parquet file as objects, 1-based row numbers beside them. The file is read in
 * slices and decoded in batches within each row group, so memory follows the batch, not the file
 * (the Hub's shards are 200-300 MB), and an error can name the row group it came from. Every error
 * names the file.
 */
export async function* readParquetRows(file: string): AsyncGenerator<{ row: number; value: Record<string, unknown> }> {
  const buffer = await openParquet(file);
  const metadata = await readFooter(file, buffer);
  checkCodecs(file, metadata);
  let groupStart = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const groupEnd = groupStart + Number(group.num_rows);
    for (let start = groupStart; start < groupEnd; start += BATCH_ROWS) {
      const rows = await readBatch({ file, buffer, metadata, group: index, rowStart: start, rowEnd: Math.min(groupEnd, start + BATCH_ROWS) });
      for (let i = 0; i < rows.length; i++) yield { row: start + i + 1, value: rows[i] };
    }
    groupStart = groupEnd;
  }
}

async function openParquet(file: string): Promise<AsyncBuffer> {
  try {
    return await asyncBufferFromFile(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function readFooter(file: string, buffer: AsyncBuffer): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new Error(`${file}: not a parquet file, or cut short (${(e as Error).message})`);
  }
}

/** The first column chunk whose codec cannot be decoded here, named with its row group, before any row is read. */
function checkCodecs(file: string, metadata: FileMetaData): void {
  for (const [index, group] of metadata.row_groups.entries()) {
    for (const chunk of group.columns) {
      const codec = chunk.meta_data?.codec;
      if (codec === undefined || PARQUET_CODECS.includes(codec)) continue;
      const column = chunk.meta_data?.path_in_schema.join('.');
      const out = file.replace(/(\.parquet)?$/i, '-snappy.parquet');
      throw new Error(
        `${file}: column ${column} (row group ${index + 1} of ${metadata.row_groups.length}) is ${codec}-compressed; ` +
          `supported codecs: ${PARQUET_CODECS.join(', ')}. Rewrite it as snappy, e.g. with pyarrow: ` +
          `python -c "import pyarrow.parquet as pq; pq.write_table(pq.read_table('${file}'), '${out}', compression='snappy')"`,
      );
    }
  }
}

interface Batch {
  file: string;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  /** 0-based row group index. */
  group: number;
  rowStart: number;
  rowEnd: number;
}

async function readBatch(batch: Batch): Promise<Array<Record<string, unknown>>> {
  const { buffer, metadata, rowStart, rowEnd } = batch;
  try {
    return await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
  } catch (e) {
    const column = await failingColumn(batch);
    const where = `row group ${batch.group + 1} of ${metadata.row_groups.length} (rows ${rowStart + 1}-${rowEnd})${column ? `, column ${column}` : ''}`;
    throw new Error(`${batch.file}: ${where}: ${(e as Error).message}`);
  }
}

/** hyparquet's decode errors do not say which column failed; reading the batch's columns one by one finds it. */
async function failingColumn({ buffer, metadata, rowStart, rowEnd }: Batch): Promise<string | undefined> {
  for (const { element } of parquetSchema(metadata).children) {
    try {
      await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, columns: [element.name], compressors });
    } catch {
      return element.name;
    }
  }
  return undefined;
}
