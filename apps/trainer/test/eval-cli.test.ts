import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/eval.js';
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
