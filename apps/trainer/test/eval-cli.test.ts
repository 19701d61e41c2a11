import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/eval.js';
import { hubHome, offlineAt } from './hub-cache.js';
import { runCommand } from './run-command.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/harness/test/fixtures');

test('eval prints a JSON summary with pass@1', async () => {
  const lines = await runCommand(register, ['eval', '--benchmark', 'humaneval', '--samples', path.join(fixtures, 'example_samples.jsonl'), '--data', path.join(fixtures, 'example_problem.jsonl'), '--timeout', '3']);
  const summary = JSON.parse(lines[0]);
  expect(summary).toMatchObject({ benchmark: 'humaneval', tasks: 1, samples: 6 });
  expect(summary['pass@1']).toBeCloseTo(0.5, 12);
  expect(summary['pass@10']).toBeUndefined(); // 6 samples: only k <= 6 is estimable
});

test('eval without --data says where to get the benchmark', async () => {
  await expect(runCommand(register, ['eval', '--benchmark', 'mbppplus', '--samples', 'x.jsonl'])).rejects.toThrow(/--data is required.*MbppPlus/);
});

test("a flag the other mode reads is refused, not ignored", async () => {
  await expect(runCommand(register, ['eval', '--samples', 'x.jsonl', '--benchmark', 'humaneval', '--data', 'y', '--adapter', 'a', '--max-new-tokens', '5'])).rejects.toThrow('--adapter, --max_new_tokens: only with --model, not with --samples');
  await expect(runCommand(register, ['eval', '--model', 'm', '--humaneval', 'h.jsonl', '--benchmark', 'mbpp', '--partial'])).rejects.toThrow('--benchmark, --partial: only with --samples, not with --model');
  await expect(runCommand(register, ['eval', '--samples', 'x.jsonl', '--benchmark', 'humaneval', '--revision', 'v1'])).rejects.toThrow('--revision: only with --model, not with --samples');
});

test('--revision picks the revision of a Hub --model; with a folder it is refused', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'codistill-eval-cli-'));
  const args = ['eval', '--humaneval', path.join(fixtures, 'example_problem.jsonl'), '--out', out, '--revision'];
  // The revision reaches the Hub lookup: one that is not cached is named.
  await expect(offlineAt(hubHome(), () => runCommand(register, [...args, 'v2', '--model', 'org/tiny']))).rejects.toThrow(/^org\/tiny@v2 is not in the cache /);
  const folder = path.join(fixtures, '..', '..', '..', 'models', 'test', 'fixtures', 'tiny-llama');
  await expect(runCommand(register, [...args, 'v1', '--model', folder])).rejects.toThrow(`--revision v1: --model ${folder} is a folder, which has no revisions`);
});

describe('eval refuses bad input, naming the flag, file and line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-eval-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const data = path.join(fixtures, 'example_problem.jsonl');
  const samples = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const score = (file: string, ...extra: string[]) => runCommand(register, ['eval', '--benchmark', 'humaneval', '--samples', file, '--data', data, '--timeout', '3', ...extra]);
  const good = () => samples('good.jsonl', '{"task_id": "test/0", "completion": "    return 1"}\n');

  test.each([
    ['--timeout', 'abc'],
    ['--timeout', 'NaN'],
    ['--timeout', '-5'],
    ['--timeout', '1e9'],
    ['--workers', 'abc'],
    ['--workers', '0'],
    ['--max-new-tokens', '0'],
    ['--limit', '-1'],
    ['--sandbox', 'docker'],
  ])('%s %s', async (flag, value) => {
    // Named as the setting is (the command line also takes dashes).
    await expect(score(good(), flag, value)).rejects.toThrow(new RegExp(`^--${flag.slice(2).replaceAll('-', '_')}: `));
  });

  test.each([
    ['null', /bad\.jsonl:2: expected an object/],
    ['[1, 2]', /bad\.jsonl:2: expected an object/],
    ['42', /bad\.jsonl:2: expected an object/],
    ['{"task_id": "test/0"}', /bad\.jsonl:2: needs a "solution".*or "completion"/],
    ['{"task_id": null, "solution": "x"}', /bad\.jsonl:2: "task_id" must be/],
    ['{"task_id": "test/0", ', /bad\.jsonl:2: invalid JSON/],
  ])('sample line %s', async (line, message) => {
    await expect(score(samples('bad.jsonl', `{"task_id": "test/0", "completion": "    return 1"}\n${line}\n{}\n`))).rejects.toThrow(message);
  });

  test('no samples, a folder, a bad gzip file and an output folder that cannot exist', async () => {
    await expect(score(samples('empty.jsonl', '\n'))).rejects.toThrow(/empty\.jsonl: no samples/);
    await expect(score(dir)).rejects.toThrow(`cannot read ${dir}: EISDIR`);
    const gz = path.join(dir, 'broken.jsonl.gz');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x42]));
    await expect(runCommand(register, ['eval', '--benchmark', 'humaneval', '--samples', good(), '--data', gz])).rejects.toThrow(/broken\.jsonl\.gz: not a readable gzip file/);
    await expect(score(good(), '--out', '/proc/codistill-x/y.jsonl')).rejects.toThrow(/cannot create folder \/proc\/codistill-x/);
  });

  test('samples that miss tasks are refused unless --partial', async () => {
    const two = path.join(fixtures, 'humaneval-subset.jsonl.gz');
    const one = samples('one.jsonl', '{"task_id": "HumanEval/2", "completion": "    return number % 1.0\\n"}\n');
    await expect(runCommand(register, ['eval', '--benchmark', 'humaneval', '--samples', one, '--data', two])).rejects.toThrow(/one\.jsonl has no sample for 3 of 4 tasks \(HumanEval\/0, HumanEval\/32, HumanEval\/38\); pass --partial/);
    const lines = await runCommand(register, ['eval', '--benchmark', 'humaneval', '--samples', one, '--data', two, '--partial']);
    expect(JSON.parse(lines[0])).toMatchObject({ tasks: 1, benchmarkTasks: 4, 'pass@1': 1 });
  });

  test("EvalPlus benchmarks also write evalplus.evaluate's <samples>_eval_results.json", async () => {
    const plus = path.join(fixtures, 'humanevalplus-subset.jsonl.gz');
    // HumanEval/2: right, then wrong on the base tests; the sample file's name gives the results file's.
    const file = samples('picks.jsonl', ['    return number % 1.0\n', '    return 0.5\n'].map((c) => JSON.stringify({ task_id: 'HumanEval/2', completion: c })).join('\n') + '\n');
    const [line] = await runCommand(register, ['eval', '--benchmark', 'humanevalplus', '--samples', file, '--data', plus, '--partial']);
    const results = path.join(path.dirname(file), 'picks_eval_results.json');
    expect(JSON.parse(line)).toMatchObject({ evalplusResults: results });
    const written = JSON.parse(readFileSync(results, 'utf8'));
    expect(Object.keys(written).sort()).toEqual(['date', 'eval', 'hash']);
    expect(written.eval['HumanEval/2'].map((e: { base_status: string; plus_status: string }) => [e.base_status, e.plus_status])).toEqual([
      ['pass', 'pass'],
      ['fail', 'fail'],
    ]);
    expect(written.eval['HumanEval/2'][0]).toMatchObject({ task_id: 'HumanEval/2', solution: expect.stringContaining('return number % 1.0'), base_fail_tests: [], plus_fail_tests: [] });
  });

  test('a results file of other samples is refused, not reported for these', async () => {
    const out = path.join(dir, 'results.jsonl');
    expect(JSON.parse((await score(good(), '--out', out))[0])['pass@1']).toBe(1);
    expect(JSON.parse((await score(good(), '--out', out))[0])).toMatchObject({ 'pass@1': 1, reusedVerdicts: 1 });
    const wrong = samples('wrong.jsonl', '{"task_id": "test/0", "completion": "    return 2"}\n');
    await expect(score(wrong, '--out', out)).rejects.toThrow(/results\.jsonl holds a verdict for test\/0 sample 0 made from a different program/);
  });
});
