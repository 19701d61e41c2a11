import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/data.js';
import { hubCodebert, hubHome, offlineAt } from './hub-cache.js';
import { runCommand } from './run-command.js';

const SAMPLE = fileURLToPath(new URL('../../../packages/data/samples/taco-sample.jsonl', import.meta.url));
const tinyLlama = fileURLToPath(new URL('../../../packages/models/test/fixtures/tiny-llama', import.meta.url));
const tacoFixture = (name: string) => fileURLToPath(new URL(`../../../packages/data/test/fixtures/taco/${name}`, import.meta.url));

async function runData(args: string[]): Promise<ReturnType<typeof JSON.parse>> {
  return JSON.parse((await runCommand(register, ['data', 'taco', ...args])).join('\n'));
}

const readJsonl = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));

describe('codistill data taco', () => {
  it('reproduces the selection on the shipped sample, deterministic for a seed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const out = (name: string) => path.join(dir, name);
    const summary = await runData(['--in', SAMPLE, '--extra', '6', '--seed', '3', '--out', out('a.jsonl')]);
    expect(summary.selection).toMatchObject({ problems: 30, kept: 29, extraChosen: 6, examples: 35, skipped: { noSolutions: 1 } });
    expect(summary.stats.byRound).toEqual({ first: 29, extra: 6 });
    expect(summary.tokenCounter).toBe('approximate');
    await runData(['--in', SAMPLE, '--extra', '6', '--seed', '3', '--out', out('b.jsonl')]);
    await runData(['--in', SAMPLE, '--extra', '6', '--seed', '4', '--out', out('c.jsonl')]);
    const a = await readFile(out('a.jsonl'), 'utf8');
    expect(await readFile(out('b.jsonl'), 'utf8')).toBe(a);
    expect(await readFile(out('c.jsonl'), 'utf8')).not.toBe(a);
    const rows = await readJsonl(out('a.jsonl'));
    expect(rows).toHaveLength(35);
    expect(Object.keys(rows[0])).toEqual(['id', 'prompt', 'context', 'code', 'tests']);
  });

  it('applies the token budget and joins teacher contexts by id', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const first = path.join(dir, 'all.jsonl');
    await runData(['--in', SAMPLE, '--extra', '0', '--out', first]);
    const ids = (await readJsonl(first)).map((r) => r.id);
    const sections = { intent: 'I', steps: 'S', formulas: 'None', edge_cases: 'E', libraries: 'L' };
    const contexts = path.join(dir, 'contexts.jsonl');
    await writeFile(contexts, [
      JSON.stringify({ id: ids[0], status: 'ok', sections, model: 'm', endpoint: 'e', attempts: 1 }),
      JSON.stringify({ id: ids[1], status: 'failed', reason: 'leak: fenced-code', attempts: 3 }),
    ].join('\n') + '\n');
    const out = path.join(dir, 'train.jsonl');
    const summary = await runData(['--in', SAMPLE, '--extra', '0', '--contexts', contexts, '--out', out]);
    expect(summary.missingContext).toBe(28);
    const [row] = await readJsonl(out);
    expect(row.id).toBe(ids[0]);
    expect(row.context).toBe('Intent:\nI\n\nAlgorithmic steps:\nS\n\nFormulas:\nNone\n\nEdge cases:\nE\n\nBuilt-ins and libraries:\nL');

    const small = await runData(['--in', SAMPLE, '--max-tokens', '250', '--extra', '0', '--out', out]);
    expect(small.selection.skipped.overBudget).toBeGreaterThan(0);
    expect(small.stats.tokens.total.max).toBeLessThanOrEqual(250);
  });

  it('no examples is an error naming the input and the reasons, and leaves an existing --out as it was', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const out = path.join(dir, 'train.jsonl');
    await writeFile(out, 'finished work\n');
    const examples = tacoFixture('examples.jsonl');
    await expect(runData(['--in', examples, '--out', out])).rejects.toThrow(
      new RegExp(`^no TACO examples from ${examples}: none of the 2 rows was kept: 2 rows: question: missing; this is a training example`),
    );
    const noTests = tacoFixture('no-input-output.parquet');
    await expect(runData(['--in', noTests, '--out', out])).rejects.toThrow(`none of the 4 rows was kept: 4 rows: input_output: missing or empty (no tests)`);
    const contexts = path.join(dir, 'contexts.jsonl');
    await writeFile(contexts, `${JSON.stringify({ id: 'elsewhere', status: 'failed', reason: 'x', attempts: 1 })}\n`);
    await expect(runData(['--in', SAMPLE, '--extra', '0', '--contexts', contexts, '--out', out])).rejects.toThrow(
      `no examples: none of the 29 selected examples has an ok context in ${contexts}`,
    );
    expect(await readFile(out, 'utf8')).toBe('finished work\n');
    expect(await readdir(dir)).toEqual(['contexts.jsonl', 'train.jsonl']);
  });

  it('warns on stderr when most rows are unusable but some were kept, and lists the reasons in the summary', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => void errors.push(line);
    try {
      const malformed = tacoFixture('malformed.jsonl');
      const summary = await runData(['--in', malformed, '--extra', '0', '--out', path.join(dir, 'train.jsonl')]);
      expect(summary.selection.examples).toBe(1);
      expect(summary.rejections[0]).toEqual({ reason: 'not valid JSON', rows: 1, first: { file: malformed, row: 2 } });
      expect(errors).toEqual([expect.stringMatching(new RegExp(`^codistill: warning: 6 of the 7 rows of ${malformed} are unusable, 1 problem kept: 1 row: not valid JSON`))]);
      errors.length = 0;
      await runData(['--in', SAMPLE, '--extra', '0', '--out', path.join(dir, 'sample.jsonl')]);
      expect(errors).toEqual([]);
    } finally {
      console.error = error;
    }
  });

  it('bad settings stop before any work, each named by its flag', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const bad: Array<[string, string, RegExp]> = [
      ['--seed', 'x', /^--seed: Invalid input: expected number, received string/],
      ['--max_tokens', '0', /^--max_tokens: Too small: expected number to be >0/],
      ['--extra', '1.5', /^--extra: Invalid input: expected int/],
      ['--max-tests', '-1', /^--max_tests: Too small/],
    ];
    for (const [flag, value, message] of bad) await expect(runData(['--in', SAMPLE, flag, value, '--out', path.join(dir, 'out.jsonl')])).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it("counts tokens with --tokenizer, at --tokenizer-revision for a Hub id (vLLM's flag); a revision without a Hub --tokenizer is refused", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'data-cli-'));
    const out = path.join(dir, 'out.jsonl');
    const home = hubHome();
    hubCodebert(home); // org/tiny-roberta: its tokenizer at v1, only its config at main
    const hub = ['--in', SAMPLE, '--tokenizer', 'org/tiny-roberta', '--out', out];
    await expect(offlineAt(home, () => runData(hub))).rejects.toThrow('org/tiny-roberta does not appear to have a file named');
    const summary = await offlineAt(home, () => runData([...hub, '--tokenizer-revision', 'v1']));
    expect(summary).toMatchObject({ tokenCounter: 'org/tiny-roberta@v1', selection: { kept: 29 } });
    await expect(runData(['--in', SAMPLE, '--tokenizer-revision', 'v1', '--out', out])).rejects.toThrow('--tokenizer-revision v1: no --tokenizer to pick a revision of');
    await expect(runData(['--in', SAMPLE, '--tokenizer', tinyLlama, '--tokenizer-revision', 'v1', '--out', out])).rejects.toThrow(`--tokenizer-revision v1: --tokenizer ${tinyLlama} is a folder`);
  });
});
