import { Command } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/eval.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/harness/test/fixtures');

function program(): Command {
  const cli = new Command('codistill').exitOverride();
  register(cli);
  return cli;
}

test('eval prints a JSON summary with pass@1', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    await program().parseAsync(['eval', '--benchmark', 'humaneval', '--samples', path.join(fixtures, 'example_samples.jsonl'), '--data', path.join(fixtures, 'example_problem.jsonl'), '--timeout', '3'], { from: 'user' });
  } finally {
    console.log = log;
  }
  const summary = JSON.parse(lines[0]);
  expect(summary).toMatchObject({ benchmark: 'humaneval', tasks: 1, samples: 6 });
  expect(summary['pass@1']).toBeCloseTo(0.5, 12);
  expect(summary['pass@10']).toBeUndefined(); // 6 samples: only k <= 6 is estimable
});

test('eval without --data says where to get the benchmark', async () => {
  await expect(program().parseAsync(['eval', '--benchmark', 'mbppplus', '--samples', 'x.jsonl'], { from: 'user' })).rejects.toThrow(/--data is required.*MbppPlus/);
});
