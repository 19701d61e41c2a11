import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerGenerate } from '../src/commands/generate.js';
import { register } from '../src/commands/merge.js';
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
