import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerGenerate } from '../src/commands/generate.js';
import { register } from '../src/commands/merge.js';
import { foreignAdapters } from '../../../packages/lora/test/helpers.js';
import { hubAdapter, hubHome, offlineAt } from './hub-cache.js';
import { runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');
const adapter = path.join(repoRoot, 'packages/lora/test/fixtures/peft-adapter');

const generate = async (...args: string[]) =>
  JSON.parse((await runCommand(registerGenerate, ['generate', '--prompt', 'def f(x):', '--max-new-tokens', '6', '--threads', '1', '--json', ...args]))[0]) as { token_ids: number[]; logprobs: number[] };

test('merge writes a full checkpoint that decodes as the base model with the adapter does', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'merge-cli-')), 'merged');
  const [line] = await runCommand(register, ['merge', '--model', tinyLlama, '--adapter', adapter, '--out', out]);
  expect(JSON.parse(line)).toMatchObject({ merged: out });
  expect(fs.readdirSync(out).sort()).toEqual(fs.readdirSync(tinyLlama).sort()); // weights, config, tokenizer files
  const adapted = await generate('--model', tinyLlama, '--adapter', adapter);
  const merged = await generate('--model', out);
  expect(merged.token_ids).toEqual(adapted.token_ids);
  merged.logprobs.forEach((l, i) => expect(l).toBeCloseTo(adapted.logprobs[i], 4));
  await expect(runCommand(register, ['merge', '--model', tinyLlama, '--adapter', adapter, '--out', out])).rejects.toThrow(`--out ${out} is not empty`);
});

test('--revision and --adapter-revision pick the revisions of a Hub --model and --adapter; with a folder they are refused', async () => {
  const home = hubHome();
  hubAdapter(home);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'merge-cli-')), 'merged');
  const [line] = await offlineAt(home, () => runCommand(register, ['merge', '--model', 'org/tiny', '--revision', 'v1', '--adapter', adapter, '--out', out]));
  expect(JSON.parse(line).model).toBe(path.join(home, 'hub', 'models--org--tiny', 'snapshots', 'b'.repeat(40)));
  expect(JSON.parse(fs.readFileSync(path.join(out, 'generation_config.json'), 'utf8')).repetition_penalty).toBe(1.3);
  const [fromHub] = await offlineAt(home, () => runCommand(register, ['merge', '--model', tinyLlama, '--adapter', 'org/tiny-lora', '--adapter-revision', 'v1', '--out', `${out}-hub`]));
  expect(JSON.parse(fromHub).adapter).toBe(path.join(home, 'hub', 'models--org--tiny-lora', 'snapshots', 'd'.repeat(40)));
  await expect(runCommand(register, ['merge', '--model', tinyLlama, '--adapter', adapter, '--adapter-revision', 'v1', '--out', `${out}-3`])).rejects.toThrow(`--adapter-revision v1: --adapter ${adapter} is a folder`);
  await expect(runCommand(register, ['merge', '--model', tinyLlama, '--revision', 'v1', '--adapter', adapter, '--out', `${out}-2`])).rejects.toThrow(`--revision v1: --model ${tinyLlama} is a folder`);
});

test('an adapter saved for another model is refused before anything is written; the same --out then takes a good one', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-cli-'));
  const foreign = foreignAdapters(path.join(root, 'adapters'));
  const out = path.join(root, 'merged');
  const merge = (from: string) => runCommand(register, ['merge', '--model', tinyLlama, '--adapter', from, '--out', out]);
  // Hidden size 32 against the model's 64: the out-of-range reads used to become NaN weights.
  await expect(merge(foreign.narrow)).rejects.toThrow(/q_proj\.lora_A\.weight is \[4, 32\], this model's is \[4, 64\] \(saved for another model\?\)/);
  // A third layer: the first two used to be merged and written before the third was missed.
  await expect(merge(foreign.deeper)).rejects.toThrow(/layers\.2\.self_attn\.q_proj\.lora_A\.weight and 3 more match no module of this model/);
  expect(fs.readdirSync(root)).toEqual(['adapters']); // no output folder, no temporary one
  await merge(adapter);
  expect(fs.readdirSync(out).sort()).toEqual(fs.readdirSync(tinyLlama).sort());
});
