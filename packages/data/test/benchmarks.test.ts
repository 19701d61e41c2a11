import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHumanEval, loadHumanEvalPlus, loadMbpp, loadMbppPlus, parsePythonJson, parseRecords } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'benchmarks');
const fixture = (name: string) => path.join(fixtures, name);

test('HumanEval from gzipped JSONL', async () => {
  const tasks = await loadHumanEval(fixture('humaneval-subset.jsonl.gz'));
  expect(tasks.map((t) => t.taskId)).toEqual(['HumanEval/0', 'HumanEval/2', 'HumanEval/32', 'HumanEval/38']);
  expect(tasks[0]).toMatchObject({ entryPoint: 'has_close_elements' });
  expect(tasks[0].test).toContain('def check(candidate)');
});

test('MBPP keeps the test split (11-510) by default, sanitized file too', async () => {
  expect((await loadMbpp(fixture('mbpp-subset.jsonl'))).map((t) => t.taskId)).toEqual([11, 12, 17, 367]);
  expect((await loadMbpp(fixture('mbpp-subset.jsonl'), { split: 'all' })).length).toBe(7);
  const sanitized = await loadMbpp(fixture('sanitized-mbpp-subset.json'));
  expect(sanitized.map((t) => t.taskId)).toEqual([11, 12, 17]);
  expect(sanitized[0].text).toMatch(/Write a python function/);
});

test('EvalPlus files: inputs, atol, Python float tokens and the raw row', async () => {
  const he = await loadHumanEvalPlus(fixture('humanevalplus-subset.jsonl.gz'));
  expect(he[2]).toMatchObject({ taskId: 'HumanEval/32', atol: 0.0001, dataset: 'humaneval' });
  expect(he[0].test).toContain('check');
  const mbpp = await loadMbppPlus(fixture('mbppplus-subset.jsonl'));
  const byId = new Map(mbpp.map((t) => [t.taskId, t]));
  expect(byId.get('Mbpp/404')!.plusInput.flat()).toContain(-Infinity);
  expect(byId.get('Mbpp/793')!.plusInput).toEqual([]);
  expect(byId.get('Mbpp/99')!.rowJson).toContain('999999999999999999999999999999999999999999');
});

test('errors name the file and line', () => {
  expect(() => parseRecords('{"a": 1}\n{oops}\n', 'x.jsonl')).toThrow(/x\.jsonl:2: invalid JSON/);
  expect(parsePythonJson('[NaN, "NaN", -Infinity, {"Infinity": Infinity}]')).toEqual([NaN, 'NaN', -Infinity, { Infinity: Infinity }]);
});

test('a URL is fetched (loopback server)', async () => {
  const body = readFileSync(fixture('humaneval-subset.jsonl.gz'));
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    expect(await loadHumanEval(`http://127.0.0.1:${port}/HumanEval.jsonl.gz`)).toHaveLength(4);
  } finally {
    server.close();
  }
});
