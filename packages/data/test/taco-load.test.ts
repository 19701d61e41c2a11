import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTacoFiles, parseTacoRow, TACO_DIFFICULTIES } from '../src/taco/index.js';
import { writeStringParquet } from './fixtures/taco/write-parquet.js';

const SAMPLE = fileURLToPath(new URL('../samples/taco-sample.jsonl', import.meta.url));
const MALFORMED = fileURLToPath(new URL('./fixtures/taco/malformed.jsonl', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/taco/${name}`, import.meta.url));
const TACO_COLUMNS = ['question', 'solutions', 'starter_code', 'input_output', 'difficulty', 'raw_tags', 'name', 'source', 'tags', 'skill_types', 'url', 'Expected Auxiliary Space', 'time_limit', 'date', 'picture_num', 'memory_limit', 'Expected Time Complexity'];

describe('TACO sample', () => {
  it('has 30 rows in TACO schema with decodable fields and varied difficulties', async () => {
    const lines = (await readFile(SAMPLE, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(30);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(TACO_COLUMNS);
    const { problems, malformed } = await loadTacoFiles([SAMPLE]);
    expect(malformed).toEqual([]);
    expect(problems).toHaveLength(30);
    expect(new Set(problems.map((p) => p.difficulty)).size).toBe(TACO_DIFFICULTIES.length);
    expect(problems.filter((p) => p.solutions.length >= 2).length).toBeGreaterThanOrEqual(25);
    expect(problems.some((p) => p.tests?.fnName)).toBe(true);
    for (const p of problems) if (p.tests) expect(p.tests.inputs.length).toBe(p.tests.outputs.length);
  });
});

describe('loadTacoFiles', () => {
  it('skips malformed rows and names file, row and field', async () => {
    const { problems, malformed } = await loadTacoFiles([MALFORMED]);
    expect(problems.map((p) => p.origin.row)).toEqual([1]);
    expect(malformed.map((m) => m.row)).toEqual([2, 3, 4, 5, 7, 8]);
    expect(malformed.every((m) => m.file === MALFORMED)).toBe(true);
    const reasons = malformed.map((m) => m.reason);
    expect(reasons[0]).toMatch(/not valid JSON/);
    expect(reasons[1]).toMatch(/^question/);
    expect(reasons[2]).toMatch(/^solutions: not valid JSON/);
    expect(reasons[3]).toMatch(/^input_output: 2 inputs but 1 outputs/);
    expect(reasons[4]).toMatch(/^difficulty: unknown value "TRIVIAL"/);
    expect(reasons[5]).toMatch(/^solutions\[1\]/);
  });

  it('reads JSON arrays and parquet with the same result as JSONL', async () => {
    const rows = (await readFile(SAMPLE, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const dir = await mkdtemp(join(tmpdir(), 'taco-load-'));
    await writeFile(join(dir, 'sample.json'), JSON.stringify(rows));
    const stringRows = rows.map((r) => Object.fromEntries(TACO_COLUMNS.map((c) => [c, r[c] ?? ''])));
    await writeFile(join(dir, 'sample.parquet'), writeStringParquet(stringRows, TACO_COLUMNS));
    const fromJsonl = await loadTacoFiles([SAMPLE]);
    const fromJson = await loadTacoFiles([join(dir, 'sample.json')]);
    const fromParquet = await loadTacoFiles([join(dir, 'sample.parquet')]);
    const strip = (l: typeof fromJsonl) => l.problems.map(({ origin, ...p }) => ({ ...p, row: origin.row }));
    expect(strip(fromJson)).toEqual(strip(fromJsonl));
    expect(strip(fromParquet)).toEqual(strip(fromJsonl));
  });

  it('names the file in every parquet error', async () => {
    const notParquet = fixture('not-parquet.parquet');
    await expect(loadTacoFiles([fixture('tiny-brotli.parquet'), notParquet])).rejects.toThrow(
      `${notParquet}: not a parquet file, or cut short (parquet file invalid (footer != PAR1))`,
    );
    const missing = fixture('missing.parquet');
    await expect(loadTacoFiles([missing])).rejects.toThrow(`cannot read ${missing}: ENOENT`);
  });

  it('names the row group, rows and column where a parquet page does not decode', async () => {
    const corrupt = fixture('corrupt-row-group.parquet');
    await expect(loadTacoFiles([corrupt])).rejects.toThrow(`${corrupt}: row group 2 of 2 (rows 3-4), column solutions: `);
  });

  it('refuses a ZSTD parquet file before reading it, listing the codecs it reads and how to convert', async () => {
    const zstd = fixture('tiny-zstd.parquet');
    const error = (await loadTacoFiles([zstd]).catch((e: Error) => e)) as Error;
    expect(error.message).toBe(
      `${zstd}: column question (row group 1 of 1) is ZSTD-compressed; supported codecs: UNCOMPRESSED, SNAPPY, GZIP, BROTLI. ` +
        `Rewrite it as snappy, e.g. with pyarrow: python -c "import pyarrow.parquet as pq; ` +
        `pq.write_table(pq.read_table('${zstd}'), '${zstd.replace(/\.parquet$/, '-snappy.parquet')}', compression='snappy')"`,
    );
  });

  it('reads brotli parquet (pyarrow) as it reads the same rows from JSONL', async () => {
    const strip = (l: Awaited<ReturnType<typeof loadTacoFiles>>) => l.problems.map(({ origin, ...p }) => ({ ...p, row: origin.row }));
    const fromParquet = await loadTacoFiles([fixture('tiny-brotli.parquet')]);
    expect(fromParquet.problems).toHaveLength(2);
    expect(strip(fromParquet)).toEqual(strip(await loadTacoFiles([fixture('tiny.jsonl')])));
  });

  it('names the examples file this package writes when it is fed back as TACO rows', async () => {
    const { problems, malformed } = await loadTacoFiles([fixture('examples.jsonl')]);
    expect(problems).toEqual([]);
    expect(malformed.map((m) => m.reason)).toEqual(Array(2).fill(expect.stringMatching(/^question: missing; this is a training example .* as written by `codistill data taco`, not a TACO row$/)));
  });

  it('rejects unknown file types by name', async () => {
    await expect(loadTacoFiles(['problems.csv'])).rejects.toThrow(/problems\.csv: unsupported/);
  });
});

describe('parseTacoRow', () => {
  it('accepts already-decoded fields and empty JSON strings', () => {
    const p = parseTacoRow(
      { question: 'q', solutions: ['a', ' '], input_output: '', difficulty: null },
      { file: 'x', row: 1 },
    );
    expect(p.solutions).toEqual(['a']);
    expect(p.tests).toBeNull();
    expect(p.difficulty).toBe('UNKNOWN_DIFFICULTY');
  });
});
