import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calcCodeBleu, codeBleuFromJsonl, parseWeights } from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'metrics-jsonl-'));
function file(name: string, content: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

const refs = file('refs.jsonl', lines({ code: 'def f(a):\n    return a + 1' }, { codes: ['x = 1\ny = x', 'y = 1'] }));
const hyps = file('hyps.jsonl', lines({ id: 'first', code: 'def g(b):\n    return b + 1' }, { code: 'x = 2\ny = x' }));

test('corpus object with the reference package keys', async () => {
  const output = await codeBleuFromJsonl(refs, hyps);
  expect(output).toHaveLength(1);
  expect(Object.keys(output[0])).toEqual(['codebleu', 'ngram_match_score', 'weighted_ngram_match_score', 'syntax_match_score', 'dataflow_match_score']);
  expect(output[0]).toEqual(calcCodeBleu(['def f(a):\n    return a + 1', ['x = 1\ny = x', 'y = 1']], ['def g(b):\n    return b + 1', 'x = 2\ny = x']));
});

test('sentence mode: each pair alone (with its id), then the corpus', async () => {
  const output = await codeBleuFromJsonl(refs, hyps, { sentence: true, weights: parseWeights('0.1,0.2,0.3,0.4') });
  expect(output).toHaveLength(3);
  expect(output[0]).toEqual({ id: 'first', ...calcCodeBleu(['def f(a):\n    return a + 1'], ['def g(b):\n    return b + 1'], { weights: [0.1, 0.2, 0.3, 0.4] }) });
  expect(output[1].id).toBeUndefined();
});

test.each([
  ['invalid JSON', '{"code": "x"}\n{oops}\n', /bad\.jsonl:2: invalid JSON/],
  ['non-object', '[1, 2]\n', /bad\.jsonl:1: expected a JSON object/],
  ['missing code', '{"text": "x"}\n', /bad\.jsonl:1: missing field "code"/],
  ['code not a string', '{"code": 5}\n', /bad\.jsonl:1: field "code" must be a string/],
  ['codes in a hypothesis file', '{"codes": ["x"]}\n', /bad\.jsonl:1: missing field "code"/],
  ['code over the size limit', `{"code": "x"}\n{"code": "${'y'.repeat(1_000_001)}"}\n`, /bad\.jsonl:2: code of 1000001 characters is over the limit of 1000000 per record/],
])('hypothesis file with %s names file and line', async (_name, content, message) => {
  const bad = file('bad.jsonl', content);
  await expect(codeBleuFromJsonl(refs, bad)).rejects.toThrow(message);
});

test('non-UTF-8 bytes are reported with file and line', async () => {
  const bad = file('latin1.jsonl', Buffer.concat([Buffer.from('{"code": "x"}\n{"code": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  await expect(codeBleuFromJsonl(bad, hyps)).rejects.toThrow(/latin1\.jsonl:2: line is not valid UTF-8/);
});

test('reference lines may hold several codes but not an empty list', async () => {
  const bad = file('refs-empty.jsonl', lines({ codes: [] }, { code: 'x' }));
  await expect(codeBleuFromJsonl(bad, hyps)).rejects.toThrow(/refs-empty\.jsonl:1: expected field "code"/);
});

test('files must pair up, exist and not be empty', async () => {
  await expect(codeBleuFromJsonl(file('one.jsonl', lines({ code: 'x' })), hyps)).rejects.toThrow(/has 1 records but .* has 2/);
  await expect(codeBleuFromJsonl(join(directory, 'missing.jsonl'), hyps)).rejects.toThrow(/missing\.jsonl: cannot read file/);
  const empty = file('empty.jsonl', '\n');
  await expect(codeBleuFromJsonl(empty, empty)).rejects.toThrow(/empty\.jsonl: no records/);
});

test('weights must be four non-negative numbers', () => {
  expect(parseWeights('0.25, 0.25,0.25,0.25')).toEqual([0.25, 0.25, 0.25, 0.25]);
  expect(() => parseWeights('1,2,3')).toThrow(/four non-negative numbers/);
  expect(() => parseWeights('a,b,c,d')).toThrow(/four non-negative numbers/);
  expect(() => parseWeights('0.5,,0.5,0')).toThrow(/four non-negative numbers/);
});
