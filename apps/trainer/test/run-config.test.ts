import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readContexts } from '@codistill/context';
import { prepareTaco } from '@codistill/data';
import { register } from '../src/commands/init.js';
import { runCommand } from './run-command.js';
import { parseRunConfig, stripComments } from '../src/run/config.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('init writes a commented config that parses back to the defaults', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'init-')), 'run.json');
  await runCommand(register, ['init', '--out', out]);
  await expect(runCommand(register, ['init', '--out', out])).rejects.toThrow(/exists: pass --force/);
  const written = JSON.parse(await readFile(out, 'utf8'));
  expect(written['//']).toMatch(/codistill run/);
  expect(parseRunConfig(stripComments(written))).toEqual(parseRunConfig({}));
});

test('config errors name the field', () => {
  expect(() => parseRunConfig({ train: { steps: 0 } }, 'run.json')).toThrow(/^run\.json: train\.steps: /);
  expect(() => parseRunConfig({ teacher: { url: 'not a url', model: 'm' } })).toThrow(/teacher\.url/);
  expect(() => parseRunConfig({ trian: {} })).toThrow(/trian/);
});

test('the shipped sample contexts are valid records for selected TACO sample problems', async () => {
  const records = await readContexts(path.join(repoRoot, 'apps/trainer/samples/contexts-sample.jsonl'));
  const { pairs } = await prepareTaco([path.join(repoRoot, 'packages/data/samples/taco-sample.jsonl')]);
  const ids = new Set(pairs.map((p) => p.id));
  expect(records.size).toBeGreaterThanOrEqual(8);
  for (const r of records.values()) {
    expect(ids.has(r.id)).toBe(true);
    expect(r.status).toBe('ok');
    if (r.status === 'ok') expect(Object.keys(r.sections).sort()).toEqual(['edge_cases', 'formulas', 'intent', 'libraries', 'steps']);
  }
});
