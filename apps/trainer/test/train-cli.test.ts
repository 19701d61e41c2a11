import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/train.js';
import { expectFlagsRefused, runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');

function setup(): { data: string; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'train-cli-'));
  const data = path.join(dir, 'train.jsonl');
  const rows = Array.from({ length: 4 }, (_, i) => JSON.stringify({ prompt: `Write f${i}.`, code: `def f${i}():\n    return ${i}` }));
  writeFileSync(data, rows.join('\n') + '\n');
  return { data, out: path.join(dir, 'out') };
}

const run = (data: string, out: string, ...args: string[]) =>
  runCommand(register, ['train', '--model', tinyLlama, '--data', data, '--out', out, '--threads', '1', ...args]);

test('bad numeric flags stop before any work: exit code 1, the flag and its range named', async () => {
  const { data, out } = setup();
  const bad: Array<[string, string, string]> = [
    ['--lora-r <n>', '0', 'expected a whole number >= 1'],
    ['--lr <x>', 'abc', 'expected a number > 0'],
    ['--steps <n>', '1.5', 'expected a whole number >= 1'],
    ['--max-grad-norm <x>', '-1', 'expected a number >= 0'],
    ['--alpha-end <x>', '1.2', 'expected a number >= 0 and <= 1'],
    ['--seed <n>', '-1', 'expected a whole number >= 0 and <= 4294967295'],
    ['--threads <n>', '0', 'expected a whole number >= 1 and <= 1024'],
  ];
  await expectFlagsRefused((flag, value) => run(data, out, flag, value), bad);
  expect(existsSync(out)).toBe(false);
});

test('the numeric defaults are numbers the trainer accepts; given values reach it', async () => {
  const { data, out } = setup();
  const [line] = await run(data, out, '--steps', '2', '--batch-size', '2', '--lora-r', '4', '--lora-dropout', '0');
  expect(JSON.parse(line)).toMatchObject({ steps: 2, totalSteps: 2, interrupted: false });
  expect(existsSync(path.join(out, 'adapter_model.safetensors'))).toBe(true);
});

test('--gradient-checkpointing alone means the layer policy; a policy can be named; others are refused', async () => {
  const { data, out } = setup();
  await expectFlagsRefused((flag, value) => run(data, out, flag, value), [['--gradient-checkpointing [policy]', 'all', 'Allowed choices are none, layer, selective.']]);
  for (const policy of [[], ['selective']]) {
    const [line] = await run(data, `${out}-${policy.length}`, '--steps', '1', '--batch-size', '2', '--lora-r', '4', '--gradient-checkpointing', ...policy);
    expect(JSON.parse(line)).toMatchObject({ steps: 1, interrupted: false });
  }
});
