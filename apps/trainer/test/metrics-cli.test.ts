import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../src/commands/metrics.js';

const directory = mkdtempSync(join(tmpdir(), 'metrics-cli-'));
const refs = join(directory, 'refs.jsonl');
const hyps = join(directory, 'hyps.jsonl');
writeFileSync(refs, '{"code": "def f(a):\\n    return a + 1"}\n{"codes": ["x = 1\\ny = x", "y = 2"]}\n');
writeFileSync(hyps, '{"id": 7, "code": "def g(b):\\n    return b + 1"}\n{"code": "x = 3\\ny = x"}\n');

async function run(...args: string[]): Promise<unknown[]> {
  const written: string[] = [];
  const originalWrite = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const program = new Command('codistill').exitOverride();
    register(program);
    await program.parseAsync(['node', 'codistill', 'metrics', 'codebleu', ...args]);
  } finally {
    process.stdout.write = originalWrite;
  }
  return written.join('').trim().split('\n').map((line) => JSON.parse(line));
}

test('prints the corpus scores as one JSON line', async () => {
  const [corpus] = await run('--refs', refs, '--hyps', hyps);
  expect(Object.keys(corpus as object)).toEqual(['codebleu', 'ngram_match_score', 'weighted_ngram_match_score', 'syntax_match_score', 'dataflow_match_score']);
});

test('--sentence prints one line per hypothesis (with its id) before the corpus line', async () => {
  const lines = (await run('--refs', refs, '--hyps', hyps, '--sentence', '--weights', '0,0,1,0')) as Array<Record<string, number>>;
  expect(lines).toHaveLength(3);
  expect(lines[0].id).toBe(7);
  expect(lines[0].codebleu).toBeCloseTo(lines[0].syntax_match_score, 12);
});

test('--lang scores another language, loading its grammar', async () => {
  const javaRefs = join(directory, 'java-refs.jsonl');
  const javaHyps = join(directory, 'java-hyps.jsonl');
  writeFileSync(javaRefs, '{"code": "int f(int a) { int b = a + 1; return b; }"}\n');
  writeFileSync(javaHyps, '{"code": "int g(int x) { int y = x + 1; return y; }"}\n');
  const [corpus] = (await run('--refs', javaRefs, '--hyps', javaHyps, '--lang', 'java')) as Array<Record<string, number>>;
  expect(corpus.syntax_match_score).toBe(1);
  expect(corpus.dataflow_match_score).toBe(1);
});

test('an unknown language is an error naming the supported ones', async () => {
  await expect(run('--refs', refs, '--hyps', hyps, '--lang', 'cobol')).rejects.toThrow(/Unsupported language "cobol"; supported: java, javascript, c_sharp, php, c, cpp, python, go, ruby, rust/);
});

test('bad input is an error naming the file and line', async () => {
  const bad = join(directory, 'bad.jsonl');
  writeFileSync(bad, '{"code": "x"}\nnot json\n');
  await expect(run('--refs', refs, '--hyps', bad)).rejects.toThrow(/bad\.jsonl:2: invalid JSON/);
});
