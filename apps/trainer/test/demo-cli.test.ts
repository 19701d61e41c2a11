import { register } from '../src/commands/demo.js';
import { runCommand } from './run-command.js';

test.each([
  ['--steps', '0'],
  ['--steps', 'ten'],
  ['--optimizer', 'adam'],
  ['--threads', '-2'],
])('demo %s %s is refused naming the flag', async (flag, value) => {
  await expect(runCommand(register, ['demo', flag, value])).rejects.toThrow(new RegExp(`option '${flag} <[a-z]+>' argument '${value}' is invalid`));
});

test('demo trains with validated flags', async () => {
  const lines = await runCommand(register, ['demo', '--steps', '2', '--optimizer', 'sgd', '--threads', '1']);
  expect(lines.at(-1)).toMatch(/in 2 steps/);
});
